"""Activation layers: each calls the function of the same name in microtorch.nn.functional.

``inplace=True`` is accepted wherever torch accepts it and shown in the repr as torch shows it;
the result is computed out of place (same values and gradients as torch; the input is unchanged).
"""
import numpy as np

from microtorch.nn import functional as F
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter

__all__ = ["Sigmoid", "Tanh", "ReLU", "Softmax", "LogSoftmax", "GELU", "LeakyReLU", "ELU", "Softplus", "SiLU",
           "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Mish", "Softsign", "Tanhshrink", "PReLU", "Softmin",
           "LogSigmoid", "Threshold"]


def _inplace_text(inplace, before=""):
    """torch's repr: ', inplace=True' after other settings, 'inplace=True' alone; nothing when False."""
    if not inplace:
        return before
    return f"{before}, inplace=True" if before else "inplace=True"


class Sigmoid(Module):
    """Apply the logistic sigmoid elementwise: ``1 / (1 + exp(-x))``.

    Shape
    -----
    Input: any shape. Output: the same shape.

    Examples
    --------
    >>> import microtorch as torch
    >>> torch.nn.Sigmoid()(torch.tensor([0.0]))
    Tensor([0.5])
    """
    def forward(self, x):
        """Apply the sigmoid to ``x``."""
        return x.sigmoid()


class Tanh(Module):
    """Apply the hyperbolic tangent elementwise.

    Shape
    -----
    Input: any shape. Output: the same shape.
    """
    def forward(self, x):
        """Apply tanh to ``x``."""
        return x.tanh()


class ReLU(Module):
    """Apply the rectified linear unit elementwise: ``max(x, 0)``.

    Parameters
    ----------
    inplace : bool, default False
        Accepted; computed out of place (same values and gradients as PyTorch).

    Shape
    -----
    Input: any shape. Output: the same shape.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        """Apply ReLU to ``x``."""
        return x.relu()

    def extra_repr(self):
        return _inplace_text(self.inplace)


class Softmax(Module):
    """Apply softmax along a dimension: each slice becomes positive and sums to 1.

    Parameters
    ----------
    dim : int, default -1
        The dimension that sums to 1. PyTorch requires it (and warns without it); here it defaults to the last.

    Shape
    -----
    Input: any shape. Output: the same shape.
    """
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """Apply softmax to ``x`` along ``self.dim``."""
        return x.softmax(self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Apply ``log(softmax(x))`` along a dimension, computed stably.

    Parameters
    ----------
    dim : int, default -1
        The dimension to normalize over.

    Shape
    -----
    Input: any shape. Output: the same shape.
    """
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """Apply log-softmax to ``x`` along ``self.dim``."""
        return F.log_softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    """Apply the Gaussian error linear unit elementwise: ``x * Phi(x)``.

    Parameters
    ----------
    approximate : {'none', 'tanh'}, default 'none'
        'tanh' uses the tanh approximation of the normal CDF.

    Shape
    -----
    Input: any shape. Output: the same shape.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        """Apply GELU to ``x``."""
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class LeakyReLU(Module):
    """Apply ``x`` where positive and ``negative_slope * x`` elsewhere.

    Parameters
    ----------
    negative_slope : float, default 0.01
    inplace : bool, default False
        Accepted; computed out of place.

    Shape
    -----
    Input: any shape. Output: the same shape.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        """Apply leaky ReLU to ``x``."""
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return _inplace_text(self.inplace, f"negative_slope={self.negative_slope}")


class ELU(Module):
    """Apply the exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    alpha : float, default 1.0
    inplace : bool, default False
        Accepted; computed out of place.

    Shape
    -----
    Input: any shape. Output: the same shape.
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        """Apply ELU to ``x``."""
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return _inplace_text(self.inplace, f"alpha={self.alpha}")


class Softplus(Module):
    """Apply ``log(1 + exp(beta * x)) / beta``, a smooth ReLU.

    Parameters
    ----------
    beta : float, default 1.0
    threshold : float, default 20.0
        Where ``beta * x`` exceeds it, the output is ``x`` itself (for numerical stability).

    Shape
    -----
    Input: any shape. Output: the same shape.
    """
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        """Apply softplus to ``x``."""
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """Apply the sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Parameters
    ----------
    inplace : bool, default False
        Accepted; computed out of place.

    Shape
    -----
    Input: any shape. Output: the same shape.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        """Apply SiLU to ``x``."""
        return F.silu(x)

    def extra_repr(self):
        return _inplace_text(self.inplace)


class Hardtanh(Module):
    """x clipped to [min_val, max_val].

    Parameters
    ----------
    min_val, max_val : float, default -1.0, 1.0
    inplace : bool, default False
        Accepted; computed out of place.

    Shape
    -----
    Any shape; the output has the input's shape.
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return _inplace_text(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6); inplace accepted, computed out of place."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_text(self.inplace)


class _Elementwise(Module):
    """An activation with no settings but torch's inplace flag (not shown in the repr, as torch)."""

    function = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return type(self).function(x)


class Hardsigmoid(_Elementwise):
    """relu6(x + 3) / 6."""
    function = F.hardsigmoid


class Hardswish(_Elementwise):
    """x * relu6(x + 3) / 6."""
    function = F.hardswish


class Mish(_Elementwise):
    """x * tanh(softplus(x))."""
    function = F.mish


class Softsign(Module):
    """``x / (1 + |x|)``."""

    def forward(self, x):
        return F.softsign(x)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, x):
        return F.tanhshrink(x)


class LogSigmoid(Module):
    """log(sigmoid(x))."""

    def forward(self, x):
        return F.logsigmoid(x)


class Softmin(Module):
    """softmax(-x) along dim."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmin(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Threshold(Module):
    """x where x > threshold, else value.

    Parameters
    ----------
    threshold, value : float
    inplace : bool, default False
        Accepted; computed out of place.
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value)

    def extra_repr(self):
        return _inplace_text(self.inplace, f"threshold={self.threshold}, value={self.value}")


class PReLU(Module):
    """max(0, x) + weight * min(0, x) with a learnable weight, one per channel or shared.

    Parameters
    ----------
    num_parameters : int, default 1
        1 (shared) or the number of channels (dim 1 of the input).
    init : float, default 0.25
    dtype : numpy dtype, default float32

    Shape
    -----
    (N, C, ...) or any shape when num_parameters is 1.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=np.float32):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
