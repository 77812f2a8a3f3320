"""dtypes by torch's names: `microtorch.float32` is a `microtorch.dtype` that prints as torch's do
(`microtorch.float32`), knows `is_floating_point`, and stands for its numpy dtype wherever numpy
is handed one (numpy reads its `.dtype` attribute), so the library keeps computing with numpy dtypes.

Decision: `Tensor.dtype` returns one of these objects (one per numpy dtype, so `x.dtype is
microtorch.long` holds). It compares equal to its numpy dtype, its numpy scalar type and its name
(`x.dtype == np.float32`, `x.dtype == "float32"`), and forwards numpy's attributes (`kind`,
`itemsize`, `char`, `name`), so code written for numpy dtypes keeps working.
"""
import numpy as np

__all__ = ["dtype", "finfo", "iinfo", "get_default_dtype", "set_default_dtype"]


class dtype:
    """A tensor element type, as ``torch.dtype``; ``np.dtype(microtorch.float32)`` is numpy's float32.

    Attributes
    ----------
    is_floating_point, is_complex, is_signed : bool
        As torch's.
    itemsize : int
        Bytes per element.

    Notes
    -----
    Prints as ``microtorch.float32`` (torch prints ``torch.float32``). Unlike torch's, it equals
    the matching numpy dtype and forwards numpy's dtype attributes (``kind``, ``char``, ``name``).
    """

    __slots__ = {"_numpy": None, "_name": None,  # a dict, so that each public slot carries its docstring
                 "is_floating_point": "bool: a floating point dtype (float16, float32, float64).",
                 "is_complex": "bool: a complex dtype.",
                 "is_signed": "bool: a dtype that holds negative values (floats, complex, signed ints)."}

    def __init__(self, name, numpy_dtype):
        self._numpy = np.dtype(numpy_dtype)
        self._name = name
        self.is_floating_point = self._numpy.kind == "f"
        self.is_complex = self._numpy.kind == "c"
        self.is_signed = self._numpy.kind in "fci"

    @property
    def dtype(self):
        """The numpy dtype (what numpy reads when it is handed this object as a dtype)."""
        return self._numpy

    @property
    def itemsize(self):
        """int: the size of one element in bytes."""
        return self._numpy.itemsize

    def __getattr__(self, name):  # kind, char, type, name, ...: numpy's, for code written for numpy dtypes
        return getattr(self._numpy, name)

    def __repr__(self):
        return f"microtorch.{self._name}"

    __str__ = __repr__

    def __eq__(self, other):
        if other is self:
            return True
        if isinstance(other, dtype):
            return False
        try:
            return self._numpy == np.dtype(other)
        except (TypeError, ValueError):
            return NotImplemented

    def __hash__(self):
        return hash(self._numpy)

    def __reduce__(self):  # pickled (DataLoader workers, copy) as the one object of its name
        return _named, (self._name,)


_NAMES = {"float16": np.float16, "float32": np.float32, "float64": np.float64, "complex64": np.complex64,
          "complex128": np.complex128, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
          "uint8": np.uint8, "bool": np.bool_}
_BY_NAME = {name: dtype(name, numpy_dtype) for name, numpy_dtype in _NAMES.items()}
_BY_NUMPY = {d._numpy: d for d in _BY_NAME.values()}
_default = _BY_NAME["float32"]


def _named(name):
    return _BY_NAME[name]


def from_numpy_dtype(numpy_dtype):
    """The microtorch.dtype of a numpy dtype (made once for dtypes torch has no name for)."""
    found = _BY_NUMPY.get(numpy_dtype)
    if found is None:
        found = _BY_NUMPY[numpy_dtype] = dtype(np.dtype(numpy_dtype).name, numpy_dtype)
    return found


def get_default_dtype():
    """The dtype that Python floats and the float creation functions give (float32 unless set)."""
    return _default


def set_default_dtype(d):
    """Set the default floating point dtype (float32 or float64, as in torch; float16 too).

    Parameters
    ----------
    d : dtype
        A floating point dtype.
    """
    global _default
    chosen = from_numpy_dtype(np.dtype(d))
    if not chosen.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {chosen}")
    _default = chosen


def _default_numpy():
    return _default._numpy


def finfo(type=None):
    """Machine limits of a floating point dtype (``eps``, ``max``, ``min``, ``tiny``, ``bits``, ...),
    numpy's ``finfo``; the default dtype's when type is None."""
    return np.finfo(np.dtype(_default if type is None else type))


def iinfo(type):
    """Machine limits of an integer dtype (``max``, ``min``, ``bits``), numpy's ``iinfo``."""
    return np.iinfo(np.dtype(type))
