"""Functions of tensors used to build networks: activations, dropout and losses."""
import numpy as np

from microtorch import ops
from microtorch._engine import apply as _apply
from microtorch.random import generator
from microtorch.tensor import Tensor, _make

__all__ = ["relu", "sigmoid", "tanh", "softmax", "dropout", "mse_loss", "cross_entropy", "linear"]

_REDUCTIONS = ("mean", "sum", "none")


def _input(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__} "
                        "(wrap data with microtorch.tensor(...))")
    return x


def relu(x):
    return _input("relu", x).relu()


def sigmoid(x):
    return _input("sigmoid", x).sigmoid()


def tanh(x):
    return _input("tanh", x).tanh()


def softmax(x, dim=-1):
    return _input("softmax", x).softmax(dim)


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with weight shaped (out_features, in_features) as in PyTorch."""
    out = _input("linear", x) @ _input("linear", weight).T
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


def _as_tensor(value, like, op="loss"):
    """A loss target as a tensor; Python numbers and lists take the input's dtype."""
    if isinstance(value, Tensor):
        return value
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested lists
        array = np.asarray(value, dtype=object)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{op}: target must be a Tensor, a numpy array or numbers, got "
                        f"{type(value).__name__} of dtype {array.dtype} (shape {array.shape})")
    return _make(array if isinstance(value, np.ndarray) else array.astype(like.dtype))


def mse_loss(input, target, reduction="mean"):
    """Mean (or sum) of squared differences; input and target broadcast as in PyTorch."""
    _check_reduction("mse_loss", reduction)
    target = _as_tensor(target, _input("mse_loss", input), "mse_loss")
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"mse_loss: input shape {input.shape} and target shape {target.shape} "
                           "cannot be broadcast together") from None
    return _apply(ops.MSELoss, input, target, reduction)


# Convolution, pooling, normalisation, embedding, more activations and losses, pad, and
# cross_entropy (with weight, ignore_index, label_smoothing and probability targets).
from microtorch.nn.functional_extra import *  # noqa: E402,F401,F403
from microtorch.nn.functional_extra import __all__ as _extra_names  # noqa: E402

__all__ += [name for name in _extra_names if name not in __all__]
