"""Normalisation: batch_norm, layer_norm, group_norm, instance_norm and rms_norm."""
import numpy as np

from microtorch import ops
from microtorch._checks import _check_channel_vectors, _trailing_shape
from microtorch._engine import apply as _apply

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims, as torch.nn.functional.batch_norm.

    In training, batch statistics are used and the running ones (if given) move towards them
    by momentum, with the unbiased variance; otherwise the running statistics are used.
    """
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    _check_channel_vectors("batch_norm", input, running_mean=running_mean, running_var=running_var,
                           weight=weight, bias=bias)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input._array.size // max(channels, 1)
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        out = _apply(ops.Normalize, input, dims, eps)
        if running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, input._array.mean(axis=dims),
                            input._array.var(axis=dims, ddof=1), momentum)
    else:
        out = _normalize_by_running("batch_norm", input, running_mean, running_var, eps)
    return _scale_and_shift(out, weight, bias)


def _channel_shape(input):
    """(1, C, 1, ...): a per-channel vector shaped to broadcast against input (N, C, ...)."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _update_running(running_mean, running_var, mean, var, momentum):
    """Move the running statistics towards this batch's (mean, unbiased var) by momentum, in place."""
    running_mean.data = ((1 - momentum) * running_mean._array + momentum * mean).astype(running_mean.dtype)
    running_var.data = ((1 - momentum) * running_var._array + momentum * var).astype(running_var.dtype)


def _normalize_by_running(op, input, running_mean, running_var, eps):
    """(input - running_mean) / sqrt(running_var + eps), per channel (dim 1): eval mode."""
    if running_mean is None or running_var is None:
        raise RuntimeError(f"{op}: running_mean and running_var are needed when not training")
    shape = _channel_shape(input)
    inv_std = (1 / np.sqrt(running_var._array + eps)).astype(input.dtype).reshape(shape)
    return (input - running_mean._array.astype(input.dtype).reshape(shape)) * inv_std


def _scale_and_shift(out, weight, bias):
    """out * weight + bias, each a per-channel vector (dim 1), either one optional."""
    if weight is not None:
        out = out * weight.reshape(_channel_shape(out))
    if bias is not None:
        out = out + bias.reshape(_channel_shape(out))
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims, then scale by weight and shift by bias."""
    normalized_shape = _trailing_shape("layer_norm", input, normalized_shape, weight=weight, bias=bias)
    if weight is not None and bias is not None and weight.dtype == bias.dtype == input.dtype:
        return _apply(ops.LayerNorm, input, weight, bias, eps)   # the usual case, as one op
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    out = _apply(ops.Normalize, input, dims, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over groups of channels, as torch.nn.functional.group_norm.

    Parameters
    ----------
    input : Tensor
        ``(N, C, *)``, with C divisible by num_groups.
    num_groups : int
        Number of groups the channels are split into; each group is normalised over its channels
        and all spatial positions, separately per sample.
    weight, bias : Tensor, optional
        Per-channel scale and shift, shape (C,).
    eps : float
        Added to the variance.

    Returns
    -------
    Tensor
        The same shape as input.
    """
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected at least 2 dimensions for input tensor but received {input.ndim}")
    if num_groups < 1 or input.shape[1] % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {input.shape} and num_groups={num_groups}")
    _check_channel_vectors("group_norm", input, weight=weight, bias=bias)
    grouped = input.reshape(input.shape[0], num_groups, -1)
    out = _apply(ops.Normalize, grouped, (2,), eps).reshape(input.shape)
    return _scale_and_shift(out, weight, bias)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its spatial dims, as torch.nn.functional.instance_norm.

    Parameters
    ----------
    input : Tensor
        ``(N, C, *spatial)``, batched: the layers add the batch dim of an unbatched input.
    running_mean, running_var : Tensor, optional
        Per-channel running statistics, shape (C,). With use_input_stats they move towards the
        batch's per-instance statistics averaged over the batch (the variance unbiased), by momentum;
        without, they are what the input is normalised by.
    weight, bias : Tensor, optional
        Per-channel scale and shift, shape (C,).
    use_input_stats : bool
        Normalise by each instance's own statistics (training), or by the running ones.
    momentum, eps : float

    Returns
    -------
    Tensor
        The same shape as input.
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input (N, C, *spatial) of at least 3 dims, got shape "
                         f"{input.shape}")
    _check_channel_vectors("instance_norm", input, running_mean=running_mean, running_var=running_var,
                           weight=weight, bias=bias)
    dims = tuple(range(2, input.ndim))
    if use_input_stats:
        if int(np.prod(input.shape[2:])) <= 1:
            raise ValueError(f"instance_norm: expected more than 1 spatial element when training, got input size "
                             f"{input.shape}")
        out = _apply(ops.Normalize, input, dims, eps)
        if running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, input._array.mean(axis=dims).mean(axis=0),
                            input._array.var(axis=dims, ddof=1).mean(axis=0), momentum)
    else:
        out = _normalize_by_running("instance_norm", input, running_mean, running_var, eps)
    return _scale_and_shift(out, weight, bias)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, times weight, as
    torch.nn.functional.rms_norm.

    Parameters
    ----------
    input : Tensor
        ``(*, *normalized_shape)``.
    normalized_shape : int or tuple of ints
        The trailing dims to normalise over.
    weight : Tensor, optional
        Elementwise scale of shape normalized_shape.
    eps : float, optional
        Added to the mean square; None means the machine epsilon of input's dtype, as in torch.

    Returns
    -------
    Tensor
        The same shape as input.
    """
    normalized_shape = _trailing_shape("rms_norm", input, normalized_shape, weight=weight)
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    out = _apply(ops.Normalize, input, tuple(range(input.ndim - len(normalized_shape), input.ndim)), eps, False)
    return out if weight is None else out * weight
