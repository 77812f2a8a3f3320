"""The named tuples that max/min/sort/topk/kthvalue/median/mode/cummax/cummin (and aminmax) return: `values, indices = x.sort()`,
or `.values` and `.indices` by name, printed as torch prints torch.return_types."""

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "mode", "cummax", "cummin", "aminmax"]


class _ValuesIndices(tuple):
    """A (values, indices) tuple with the fields named, as torch.return_types.*."""

    __slots__ = ()
    n_fields = 2

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0], doc="The selected values (a Tensor with the input's gradient).")
    indices = property(lambda self: self[1], doc="Where the values were found along dim (int64, no gradient).")

    def __repr__(self):
        return f"microtorch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _named(name):
    return type(name, (_ValuesIndices,), {"__slots__": (), "__module__": __name__, "__qualname__": name})


max, min, sort, topk, kthvalue, median, mode, cummax, cummin = map(_named, __all__[:-1])


class aminmax(tuple):
    """(min, max), as torch.return_types.aminmax."""

    __slots__ = ()

    def __new__(cls, min, max):
        return super().__new__(cls, (min, max))

    min = property(lambda self: self[0], doc="The minimum.")
    max = property(lambda self: self[1], doc="The maximum.")

    def __repr__(self):
        return f"microtorch.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"
