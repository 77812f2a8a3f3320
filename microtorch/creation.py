"""Functions that make tensors: tensor, zeros, ones, full, rand, randn, arange and the *_like ones."""
import numpy as np

from microtorch._checks import _as_dtype, _shape_args
from microtorch._engine import make_tensor as _make
from microtorch.tensor import Tensor, _array_of


def tensor(data, requires_grad=False, dtype=None) -> "Tensor":
    """A new leaf tensor holding a copy of data."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    """Return a tensor of zeros.

    Parameters
    ----------
    *shape : int or tuple of int
        The size, as separate ints or one tuple: ``zeros(2, 3)`` or ``zeros((2, 3))``.
    dtype : numpy dtype, default float32
    requires_grad : bool, default False
        Record operations on the result for autograd.

    Returns
    -------
    Tensor

    Notes
    -----
    PyTorch's ``device``, ``out`` and ``layout`` arguments are not accepted.

    Examples
    --------
    >>> import microtorch as torch
    >>> torch.zeros(2, 3).shape
    (2, 3)
    """
    return _make(np.zeros(_shape_args(shape), dtype=_as_dtype(dtype)), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    """Return a tensor of ones.

    Parameters
    ----------
    *shape : int or tuple of int
        The size, as separate ints or one tuple: ``zeros(2, 3)`` or ``zeros((2, 3))``.
    dtype : numpy dtype, default float32
    requires_grad : bool, default False
        Record operations on the result for autograd.

    Returns
    -------
    Tensor
    """
    return _make(np.ones(_shape_args(shape), dtype=_as_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False) -> "Tensor":
    """Return zeros with the shape (and, by default, the dtype) of ``t``.

    Parameters
    ----------
    t : Tensor
    dtype : numpy dtype, optional
        Defaults to ``t.dtype``.
    requires_grad : bool, default False
        Record operations on the result for autograd.

    Returns
    -------
    Tensor
    """
    return _make(np.zeros(t.shape, dtype=_as_dtype(dtype or t.dtype)), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> "Tensor":
    """Return ones with the shape (and, by default, the dtype) of ``t``.

    Parameters
    ----------
    t : Tensor
    dtype : numpy dtype, optional
        Defaults to ``t.dtype``.
    requires_grad : bool, default False
        Record operations on the result for autograd.

    Returns
    -------
    Tensor
    """
    return _make(np.ones(t.shape, dtype=_as_dtype(dtype or t.dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> "Tensor":
    """shape filled with fill_value; the dtype follows the value (bool, int64, float32) unless given."""
    if dtype is None:
        dtype = _array_of(fill_value).dtype
    return _make(np.full(_shape_args((shape,)), fill_value, dtype=_as_dtype(dtype)), requires_grad)


def uniform(*shape, low=0.0, high=1.0, dtype=np.float32, requires_grad=False) -> "Tensor":
    """Uniform samples in [low, high) (the original's signature: ``uniform(*shape, low, high)``)."""
    from microtorch.random import generator
    array = generator().uniform(low, high, _shape_args(shape)).astype(_as_dtype(dtype))
    return _make(array, requires_grad)


def rand(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    """Return samples from the uniform distribution on [0, 1).

    Parameters
    ----------
    *shape : int or tuple of int
        The size, as separate ints or one tuple: ``zeros(2, 3)`` or ``zeros((2, 3))``.
    dtype : numpy dtype, default float32
    requires_grad : bool, default False
        Record operations on the result for autograd.

    Returns
    -------
    Tensor

    Notes
    -----
    Drawn from microtorch's generator (seeded by ``microtorch.manual_seed``): the same seed gives different numbers than PyTorch's.
    """
    return uniform(*shape, dtype=dtype, requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False) -> "Tensor":
    """Return samples from the standard normal distribution.

    Parameters
    ----------
    *shape : int or tuple of int
        The size, as separate ints or one tuple: ``zeros(2, 3)`` or ``zeros((2, 3))``.
    dtype : numpy dtype, default float32
    requires_grad : bool, default False
        Record operations on the result for autograd.

    Returns
    -------
    Tensor

    Notes
    -----
    Drawn from microtorch's generator (seeded by ``microtorch.manual_seed``): the same seed gives different numbers than PyTorch's.
    """
    from microtorch.random import generator
    array = generator().standard_normal(_shape_args(shape)).astype(_as_dtype(dtype))
    return _make(array, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> "Tensor":
    """Return ``start, start + step, ...`` up to (not including) ``end``.

    Parameters
    ----------
    start : number
        The end, when ``end`` is omitted (then the start is 0).
    end : number, optional
    step : number, default 1
    dtype : numpy dtype, optional
        int64 for integer arguments, float32 otherwise.
    requires_grad : bool, default False
        Record operations on the result for autograd.

    Returns
    -------
    Tensor
        1-D.

    Examples
    --------
    >>> import microtorch as torch
    >>> torch.arange(3).tolist()
    [0, 1, 2]
    """
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
