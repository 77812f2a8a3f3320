"""Weight initialisation, with PyTorch's formulas; each fills a tensor in place and returns it."""
import math

import numpy as np

from microtorch.random import generator

__all__ = ["calculate_gain", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "uniform_", "normal_", "zeros_", "ones_"]


def _fans(tensor):
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out cannot be computed for a tensor with fewer than 2 "
                         f"dimensions (shape {shape})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """Return the recommended gain for a nonlinearity, as PyTorch's table.

    Parameters
    ----------
    nonlinearity : str
        'linear', 'sigmoid', 'conv1d', 'conv2d', 'tanh', 'relu' or 'leaky_relu'.
    param : float, optional
        The negative slope of 'leaky_relu' (default 0.01).

    Returns
    -------
    float
    """
    if nonlinearity in ("linear", "sigmoid", "conv1d", "conv2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fill(tensor, values):
    tensor._array[...] = values.astype(tensor.dtype, copy=False)
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill a tensor in place with samples from U(a, b).

    Parameters
    ----------
    tensor : Tensor
        Filled in place.
    a : float, default 0.0
    b : float, default 1.0

    Returns
    -------
    Tensor
        The same tensor.
    """
    return _fill(tensor, generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill a tensor in place with samples from N(mean, std**2).

    Parameters
    ----------
    tensor : Tensor
        Filled in place.
    mean : float, default 0.0
    std : float, default 1.0

    Returns
    -------
    Tensor
        The same tensor.
    """
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def zeros_(tensor):
    """Fill a tensor with zeros in place.

    Parameters
    ----------
    tensor : Tensor
        Filled in place.

    Returns
    -------
    Tensor
        The same tensor.
    """
    tensor._array[...] = 0
    return tensor


def ones_(tensor):
    """Fill a tensor with ones in place.

    Parameters
    ----------
    tensor : Tensor
        Filled in place.

    Returns
    -------
    Tensor
        The same tensor.
    """
    tensor._array[...] = 1
    return tensor


def xavier_uniform(tensor, gain=1.0):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal(tensor, gain=1.0):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = gain * sqrt(3 / fan)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


# PyTorch's in-place spellings
xavier_uniform_, xavier_normal_ = xavier_uniform, xavier_normal
kaiming_uniform_, kaiming_normal_ = kaiming_uniform, kaiming_normal
