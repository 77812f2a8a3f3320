"""Activation functions."""
from microtorch import ops
from microtorch._checks import _input, _normalize_dim
from microtorch._engine import apply as _apply

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "leaky_relu", "elu", "softplus", "silu"]


def relu(x):
    return _input("relu", x).relu()


def sigmoid(x):
    return _input("sigmoid", x).sigmoid()


def tanh(x):
    return _input("tanh", x).tanh()


def softmax(x, dim=-1):
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


def leaky_relu(input, negative_slope=0.01):
    return _apply(ops.LeakyReLU, input, negative_slope)


def elu(input, alpha=1.0):
    return _apply(ops.ELU, input, alpha)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, switching to x where beta x > threshold."""
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return _apply(ops.Softplus, input, beta, threshold)


def silu(input):
    """x * sigmoid(x) (also called swish)."""
    return _apply(ops.SiLU, input)
