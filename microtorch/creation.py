"""Functions that make tensors: tensor, zeros, ones, full, rand, randn, arange and the *_like ones."""
import numpy as np

from microtorch._checks import _as_dtype, _shape_args
from microtorch._engine import make_tensor as _make
from microtorch.tensor import Tensor, _array_of


def tensor(data, requires_grad=False, dtype=None) -> "Tensor":
    """A new leaf tensor holding a copy of data."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    return _make(np.zeros(_shape_args(shape), dtype=_as_dtype(dtype)), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    return _make(np.ones(_shape_args(shape), dtype=_as_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False) -> "Tensor":
    return _make(np.zeros(t.shape, dtype=_as_dtype(dtype or t.dtype)), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> "Tensor":
    return _make(np.ones(t.shape, dtype=_as_dtype(dtype or t.dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> "Tensor":
    """shape filled with fill_value; the dtype follows the value (bool, int64, float32) unless given."""
    if dtype is None:
        dtype = _array_of(fill_value).dtype
    return _make(np.full(_shape_args((shape,)), fill_value, dtype=_as_dtype(dtype)), requires_grad)


def uniform(*shape, low=0.0, high=1.0, dtype=np.float32, requires_grad=False) -> "Tensor":
    """Uniform samples in [low, high) (the original's signature: uniform(*shape, low, high))."""
    from microtorch.random import generator
    array = generator().uniform(low, high, _shape_args(shape)).astype(_as_dtype(dtype))
    return _make(array, requires_grad)


def rand(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    return uniform(*shape, dtype=dtype, requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    from microtorch.random import generator
    array = generator().standard_normal(_shape_args(shape)).astype(_as_dtype(dtype))
    return _make(array, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> "Tensor":
    if end is None:
        start, end = 0, start
    array = np.arange(start, end, step)
    if dtype is not None:
        array = array.astype(_as_dtype(dtype))
    elif array.dtype == np.float64:
        array = array.astype(np.float32)
    return _make(array, requires_grad)


def from_numpy(ndarray) -> "Tensor":
    """A tensor sharing memory (and dtype) with a numpy array, as ``torch.from_numpy``.

    Parameters
    ----------
    ndarray : numpy.ndarray
        A bool, integer, float or complex array; changes to either it or the tensor show in the other.

    Returns
    -------
    Tensor
        A leaf tensor that does not require grad.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"can't convert np.ndarray of type {ndarray.dtype}. The only supported types are: "
                        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.")
    return _make(ndarray)
