"""Flatten and Unflatten: merge dims into one, or split one dim into several, as layers."""
from microtorch._checks import _normalize_dim
from microtorch.nn.module import Module

__all__ = ["Flatten", "Unflatten"]


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

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim into unflattened_size (which may hold one -1).

    Parameters
    ----------
    dim : int
    unflattened_size : tuple of int

    Shape
    -----
    ``(*before, S, *after) -> (*before, *unflattened_size, *after)``, ``prod(unflattened_size) == S``.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(n, int) for n in unflattened_size):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        dim = _normalize_dim(self.dim, input.ndim, "Unflatten")
        return input.reshape(*input.shape[:dim], *self.unflattened_size, *input.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
