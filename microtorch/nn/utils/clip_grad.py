"""Gradient clipping: clip_grad_norm_ and clip_grad_value_."""
import numpy as np

from microtorch.tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in parameters if p._grad_array is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their joint norm is at most max_norm; returns the norm before clipping.

    The norm is taken over every gradient as if they were one vector (norm_type may be inf).
    """
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return _make(np.array(0.0, dtype=np.float32))
    grads = [p._grad_array for p in params]
    if norm_type == np.inf:
        total = max(np.abs(g).max() for g in grads)
    else:
        total = sum((np.abs(g) ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite "
                           f"({total}), so it cannot be clipped; pass error_if_nonfinite=False to skip this check")
    scale = min(max_norm / (total + 1e-6), 1.0)  # PyTorch's 1e-6 guards against a zero norm
    for p, g in zip(params, grads):
        p._grad_array = (g * scale).astype(g.dtype, copy=False)
    return _make(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for p in _with_grads(parameters):
        p._grad_array = np.clip(p._grad_array, -clip_value, clip_value)
