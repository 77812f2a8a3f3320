"""Flatten: merge dims into one, as a layer."""
from microtorch.nn.module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """Merge dims ``start_dim`` to ``end_dim`` into one (all but the batch dim by default).

    Parameters
    ----------
    start_dim : int, default 1
    end_dim : int, default -1

    Shape
    -----
    Input: ``(N, *dims)``. Output: ``(N, prod(dims))`` with the defaults.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
