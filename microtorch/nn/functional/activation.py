"""Activation functions."""
from microtorch import ops
from microtorch._checks import _input, _normalize_dim
from microtorch._engine import apply as _apply

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "leaky_relu", "elu", "softplus", "silu"]


def relu(x):
    """Return ``max(x, 0)`` elementwise.

    Parameters
    ----------
    x : Tensor

    Returns
    -------
    Tensor

    Notes
    -----
    PyTorch's ``inplace`` argument is not accepted.
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
    """x * Phi(x), the normal CDF exactly ("none") or by its tanh approximation ("tanh")."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _apply(ops.GELU, input, approximate)


def leaky_relu(input, negative_slope=0.01):
    """Return ``x`` where positive, ``negative_slope * x`` elsewhere.

    Parameters
    ----------
    input : Tensor
    negative_slope : float, default 0.01

    Returns
    -------
    Tensor
    """
    return _apply(ops.LeakyReLU, input, negative_slope)


def elu(input, alpha=1.0):
    """Return ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    input : Tensor
    alpha : float, default 1.0

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


def silu(input):
    """x * sigmoid(x) (also called swish)."""
    return _apply(ops.SiLU, input)
