"""Activation layers: each calls the function of the same name in microtorch.nn.functional."""
from microtorch.nn import functional as F
from microtorch.nn.module import Module

__all__ = ["Sigmoid", "Tanh", "ReLU", "Softmax", "LogSoftmax", "GELU", "LeakyReLU", "ELU", "Softplus", "SiLU"]


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

    Shape
    -----
    Input: any shape. Output: the same shape.

    Notes
    -----
    PyTorch's ``inplace=True`` argument is not accepted.
    """
    def forward(self, x):
        """Apply ReLU to ``x``."""
        return x.relu()


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

    Shape
    -----
    Input: any shape. Output: the same shape.
    """
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        """Apply leaky ReLU to ``x``."""
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """Apply the exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    alpha : float, default 1.0

    Shape
    -----
    Input: any shape. Output: the same shape.
    """
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        """Apply ELU to ``x``."""
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


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

    Shape
    -----
    Input: any shape. Output: the same shape.
    """
    def forward(self, x):
        """Apply SiLU to ``x``."""
        return F.silu(x)
