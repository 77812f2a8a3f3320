"""Linear layers: Linear and Identity."""
import math

import numpy as np

from microtorch.nn import functional as F
from microtorch.nn import init
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter

__all__ = ["Linear", "Identity"]


class Linear(Module):
    """Apply ``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features : int
    out_features : int
    bias : bool, default True
    dtype : numpy dtype, default float32
        The parameters' dtype. PyTorch also takes ``device``; microtorch runs on the CPU only.

    Attributes
    ----------
    weight : Parameter
        Shape ``(out_features, in_features)``, initialised ``U(-1/sqrt(in), 1/sqrt(in))`` as in PyTorch.
    bias : Parameter or None
        Shape ``(out_features,)``, same initialisation.

    Shape
    -----
    Input: ``(*, in_features)``. Output: ``(*, out_features)``.

    Examples
    --------
    >>> import microtorch as torch
    >>> layer = torch.nn.Linear(3, 2)
    >>> layer(torch.randn(5, 3)).shape
    (5, 2)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        # PyTorch: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), for weight and bias
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        if bias:
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0
            self.bias = Parameter(np.empty((out_features,), dtype=dtype))
            init.uniform_(self.bias, -bound, bound)
        else:
            self.bias = None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments, as torch.

    Shape
    -----
    Any shape; the output is the input itself.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input
