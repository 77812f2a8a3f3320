"""The named tuples that max/min/sort/topk/kthvalue/median/mode/cummax/cummin (and aminmax) return:
`values, indices = x.sort()`, or `.values` and `.indices` by name, printed as torch prints
torch.return_types."""
from operator import itemgetter

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "mode", "cummax", "cummin", "aminmax"]


def _pair_type(name, first, second):
    """A tuple of two tensors whose fields are also named first and second, as torch.return_types.<name>."""

    def __new__(cls, first_value, second_value):
        return tuple.__new__(cls, (first_value, second_value))

    def __repr__(self):
        return f"microtorch.return_types.{name}(\n{first}={self[0]!r},\n{second}={self[1]!r})"

    return type(name, (tuple,), {
        "__slots__": (), "__new__": __new__, "__repr__": __repr__, "__module__": __name__, "__qualname__": name,
        "__doc__": f"({first}, {second}), as torch.return_types.{name}.",
        first: property(itemgetter(0)), second: property(itemgetter(1))})


max, min, sort, topk, kthvalue, median, mode, cummax, cummin = (
    _pair_type(name, "values", "indices") for name in __all__[:-1])
aminmax = _pair_type("aminmax", "min", "max")
