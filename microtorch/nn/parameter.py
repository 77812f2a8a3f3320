"""Parameter: a Tensor that a Module registers as learnable."""
from microtorch.tensor import Tensor, _array_of


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable; requires_grad defaults to True."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        array = data._array if isinstance(data, Tensor) else _array_of(data)
        self.data = array
        self.requires_grad = requires_grad
