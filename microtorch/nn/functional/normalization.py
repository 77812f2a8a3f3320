"""Normalisation: batch_norm and layer_norm."""
import numpy as np

from microtorch import ops
from microtorch._engine import apply as _apply

__all__ = ["batch_norm", "layer_norm"]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims, as torch.nn.functional.batch_norm.

    In training, batch statistics are used and the running ones (if given) move towards them
    by momentum, with the unbiased variance; otherwise the running statistics are used.
    """
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise RuntimeError(f"batch_norm: {name} must have shape ({channels},) for input {input.shape}, "
                               f"got {t.shape}")
    shape = (1, channels) + (1,) * (input.ndim - 2)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input._array.size // max(channels, 1)
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        out = _apply(ops.Normalize, input, dims, eps)
        if running_mean is not None and running_var is not None:
            mean, var = input._array.mean(axis=dims), input._array.var(axis=dims, ddof=1)
            running_mean.data = ((1 - momentum) * running_mean._array + momentum * mean).astype(running_mean.dtype)
            running_var.data = ((1 - momentum) * running_var._array + momentum * var).astype(running_var.dtype)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are needed when not training")
        inv_std = (1 / np.sqrt(running_var._array + eps)).astype(input.dtype).reshape(shape)
        out = (input - running_mean._array.astype(input.dtype).reshape(shape)) * inv_std
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims, then scale by weight and shift by bias."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    if input.shape[input.ndim - len(normalized_shape):] != normalized_shape or len(normalized_shape) > input.ndim:
        raise RuntimeError(f"layer_norm: normalized_shape {normalized_shape} does not match the last dims of the "
                           f"input {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != normalized_shape:
            raise RuntimeError(f"layer_norm: {name} must have shape {normalized_shape}, got {t.shape}")
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    out = _apply(ops.Normalize, input, dims, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
