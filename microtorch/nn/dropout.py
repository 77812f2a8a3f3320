"""Dropout layers."""
from microtorch.nn import functional as F
from microtorch.nn.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` in training mode and scale the rest by ``1/(1-p)``; the identity in eval mode.

    Parameters
    ----------
    p : float, default 0.5

    Shape
    -----
    Input: any shape. Output: the same shape.

    Notes
    -----
    The mask comes from microtorch's global generator (``microtorch.manual_seed``), so the
    same seed gives different masks than in PyTorch.
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
