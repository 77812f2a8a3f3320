"""Dropout layers."""
from microtorch.nn import functional as F
from microtorch.nn.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Dropout in training mode, the identity in eval mode.

    Parameters
    ----------
    p : float, default 0.5
        The probability of zeroing an element.
    inplace : bool, default False
        Accepted; computed out of place (same values and gradients as torch).
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
