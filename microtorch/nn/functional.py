"""Functions of tensors used to build networks: activations, dropout and losses."""
import numpy as np

from microtorch import ops
from microtorch._engine import apply as _apply
from microtorch.random import generator
from microtorch.tensor import Tensor, _make

__all__ = ["relu", "sigmoid", "tanh", "softmax", "dropout", "mse_loss", "cross_entropy", "linear"]

_REDUCTIONS = ("mean", "sum", "none")


def relu(x):
    return x.relu()


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def softmax(x, dim=-1):
    return x.softmax(dim)


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with weight shaped (out_features, in_features) as in PyTorch."""
    out = x @ weight.T
    return out if bias is None else out + bias


def dropout(x, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return _apply(ops.Dropout, x, p, generator())


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _as_tensor(value, like):
    """A loss target as a tensor; Python numbers and lists take the input's dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return _make(value)
    return _make(np.asarray(value, dtype=like.dtype))


def mse_loss(input, target, reduction="mean"):
    """Mean (or sum) of squared differences; input and target broadcast as in PyTorch."""
    _check_reduction("mse_loss", reduction)
    target = _as_tensor(target, input)
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"mse_loss: input shape {input.shape} and target shape {target.shape} "
                           "cannot be broadcast together") from None
    return _apply(ops.MSELoss, input, target, reduction)


def cross_entropy(input, target, reduction="mean"):
    """Softmax cross-entropy of logits (N, C) against integer class targets (N,)."""
    _check_reduction("cross_entropy", reduction)
    target_array = target.data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim != 2:
        raise RuntimeError(f"cross_entropy: expected logits of shape (N, C), got {input.shape}")
    if target_array.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got dtype {target_array.dtype} "
                        "(convert with .long())")
    if target_array.shape != (input.shape[0],):
        raise RuntimeError(f"cross_entropy: expected targets of shape ({input.shape[0]},) for logits "
                           f"{input.shape}, got {target_array.shape}")
    classes = input.shape[1]
    if target_array.size and (target_array.min() < 0 or target_array.max() >= classes):
        bad = target_array[(target_array < 0) | (target_array >= classes)][0]
        raise IndexError(f"cross_entropy: target {bad} is out of bounds for {classes} classes")
    return _apply(ops.CrossEntropy, input, target_array, reduction)
