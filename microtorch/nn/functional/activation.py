"""Activation functions.

``inplace=True`` is accepted wherever torch accepts it; microtorch computes out of place and
returns the result, so ``x = F.relu(x, inplace=True)`` gives torch's values and gradients, but
the input tensor itself is left unchanged.
"""
from microtorch import ops
from microtorch._checks import _input, _normalize_dim
from microtorch._engine import apply as _apply
from microtorch.functional import where
from microtorch.ops.activation import Hardsigmoid, Hardswish, Hardtanh, Mish

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "leaky_relu", "elu", "softplus", "silu",
           "relu6", "hardtanh", "hardsigmoid", "hardswish", "mish", "softsign", "tanhshrink", "prelu", "softmin",
           "logsigmoid", "threshold"]


def relu(x, inplace=False):
    """Return ``max(x, 0)`` elementwise.

    Parameters
    ----------
    x : Tensor
    inplace : bool, default False
        Accepted; computed out of place (see the module docstring).

    Returns
    -------
    Tensor
    """
    return _input("relu", x).relu()


def sigmoid(x):
    """Return the logistic sigmoid elementwise.

    Parameters
    ----------
    x : Tensor

    Returns
    -------
    Tensor
    """
    return _input("sigmoid", x).sigmoid()


def tanh(x):
    """Return the hyperbolic tangent elementwise.

    Parameters
    ----------
    x : Tensor

    Returns
    -------
    Tensor
    """
    return _input("tanh", x).tanh()


def softmax(x, dim=-1):
    """Apply softmax along ``dim``: positive values that sum to 1 there.

    Parameters
    ----------
    x : Tensor
    dim : int, default -1
        PyTorch requires ``dim``; microtorch defaults to the last.

    Returns
    -------
    Tensor
    """
    return _input("softmax", x).softmax(dim)


def log_softmax(input, dim=-1):
    """log(softmax(x)) along dim, computed stably in one op."""
    return _apply(ops.LogSoftmax, input, _normalize_dim(dim, input.ndim, "log_softmax"))


def gelu(input, approximate="none"):
    """x * Phi(x), the Gaussian error linear unit, as torch.nn.functional.gelu.

    Parameters
    ----------
    input : Tensor
    approximate : {"none", "tanh"}
        Phi is the normal CDF exactly ("none"), or its tanh approximation
        0.5 (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) ("tanh").

    Returns
    -------
    Tensor
        The same shape and dtype as input.
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got {approximate!r}")
    return _apply(ops.GELU, input, approximate)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Return ``x`` where positive, ``negative_slope * x`` elsewhere.

    Parameters
    ----------
    input : Tensor
    negative_slope : float, default 0.01
    inplace : bool, default False
        Accepted; computed out of place.

    Returns
    -------
    Tensor
    """
    return _apply(ops.LeakyReLU, input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """Return ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    input : Tensor
    alpha : float, default 1.0
    inplace : bool, default False
        Accepted; computed out of place.

    Returns
    -------
    Tensor
    """
    return _apply(ops.ELU, input, alpha)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, switching to x where beta x > threshold."""
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return _apply(ops.Softplus, input, beta, threshold)


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return _apply(ops.SiLU, input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """input clipped to [min_val, max_val]; gradient 1 strictly inside, as torch."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _apply(Hardtanh, _input("hardtanh", input), min_val, max_val)


def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return hardtanh(_input("relu6", input), 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _apply(Hardsigmoid, _input("hardsigmoid", input))


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return _apply(Hardswish, _input("hardswish", input))


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _apply(Mish, _input("mish", input))


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (_input("softsign", input).abs() + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - _input("tanhshrink", input).tanh()


def logsigmoid(input):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    return -softplus(-_input("logsigmoid", input))


def softmin(input, dim=None):
    """softmax(-x) along dim (torch requires dim in practice; None means the last dim here)."""
    return softmax(-_input("softmin", input), -1 if dim is None else dim)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    x = _input("threshold", input)
    return where(x > threshold, x, value)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x), one weight per channel (dim 1) or a single shared weight.

    Parameters
    ----------
    input : Tensor
        Shape (N, C, ...) or (C,) or ().
    weight : Tensor
        Shape (1,) or (C,).
    """
    x = _input("prelu", input)
    count = weight.numel()
    channels = x.shape[1] if x.ndim >= 2 else (x.shape[0] if x.ndim == 1 else 1)
    if count not in (1, channels):
        raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size. Found parameter "
                           f"numbers = {count} and channel size = {channels}.")
    if count > 1 and x.ndim >= 2:
        weight = weight.reshape(count, *([1] * (x.ndim - 2)))
    positive = x.relu()
    return positive + weight * (x - positive)
