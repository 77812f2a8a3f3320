"""Functions that make tensors, as torch's: from data (tensor, as_tensor, from_numpy, asarray),
filled (zeros, ones, full, empty, eye and the *_like ones), ranges (arange, linspace, logspace),
random (rand, randn, randint, randperm, multinomial, bernoulli, normal, poisson), and the legacy
typed constructors (FloatTensor, LongTensor, ...).

Every one takes dtype=, device= (only the CPU) and requires_grad= where torch does; random ones
take generator= (a microtorch.Generator). Float results without a dtype take the default dtype
(float32, see set_default_dtype).
"""
import numpy as np

from microtorch._checks import _as_dtype, _shape_args
from microtorch._dtype import _default_numpy
from microtorch._engine import TensorBase
from microtorch._engine import make_tensor as _make
from microtorch.device import _check_device
from microtorch.random import _numpy_rng
from microtorch.tensor import Tensor, _array_of


def _leaf(array, dtype, device, requires_grad, where):
    """The new leaf tensor every creation function returns: array cast to dtype (if given)."""
    _check_device(device, where)
    if dtype is not None:
        array = np.asarray(array).astype(_as_dtype(dtype), copy=False)
    return _make(np.asarray(array), requires_grad)


def _float_dtype(dtype):
    return _default_numpy() if dtype is None else _as_dtype(dtype)


def _size(shape, size, where):
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]) and zeros(size=(2, 3)) all mean the shape (2, 3)."""
    if size is not None:
        if shape:
            raise TypeError(f"{where}(): pass the shape positionally or as size=, not both")
        shape = (size,)
    return _shape_args(shape)


# ---------------------------------------------------------------- from data

def tensor(data, requires_grad=False, dtype=None, device=None, pin_memory=False) -> "Tensor":
    """A new leaf tensor holding a copy of data (a number, nested lists, an ndarray or a Tensor).

    Python floats give the default dtype (float32) and ints int64, as in torch; numpy arrays keep
    their dtype. requires_grad and dtype may also be passed positionally (the original microtorch's order).
    """
    _check_device(device, "tensor")
    return _make(_array_of(data, dtype), requires_grad)


def as_tensor(data, dtype=None, device=None) -> "Tensor":
    """data as a tensor without a copy where possible: a Tensor of that dtype is returned itself,
    an ndarray of that dtype is shared (changes to one show in the other), as in torch."""
    _check_device(device, "as_tensor")
    if isinstance(data, TensorBase):
        return data if dtype is None or _as_dtype(dtype) == data._array.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _as_dtype(dtype) == data.dtype):
        return from_numpy(data)
    return _make(_array_of(data, dtype))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> "Tensor":
    """as_tensor, with copy=True to force a copy (and copy=False to refuse one), as torch.asarray."""
    result = as_tensor(obj, dtype=dtype, device=device)
    shares = isinstance(obj, (TensorBase, np.ndarray)) and np.shares_memory(result._array, np.asarray(obj))
    if copy is False and not shares:
        raise ValueError("asarray: copy=False, but the data cannot be used without a copy")
    if copy and shares:
        result = _make(result._array.copy())
    elif result is obj and requires_grad:
        result = result.detach()
    if requires_grad:
        result.requires_grad_(True)
    return result


def from_numpy(ndarray) -> "Tensor":
    """A tensor sharing ndarray's memory and dtype: writing to one changes the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"can't convert np.ndarray of type {ndarray.dtype}. The only supported types are: "
                        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.")
    return _make(ndarray)


# ---------------------------------------------------------------- filled

def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """Return a tensor of zeros.

    Parameters
    ----------
    *shape : int or tuple of int
        The size (or pass ``size=``).
    dtype : dtype, optional
        The default dtype (float32) when omitted.
    device : optional
        Only the CPU.
    requires_grad : bool, default False

    Returns
    -------
    Tensor
    """
    return _leaf(np.zeros(_size(shape, size, "zeros"), _float_dtype(dtype)), None, device, requires_grad, "zeros")


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """Return a tensor of ones; arguments as ``zeros``.

    Returns
    -------
    Tensor
    """
    return _leaf(np.ones(_size(shape, size, "ones"), _float_dtype(dtype)), None, device, requires_grad, "ones")


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """A tensor of that shape; zeros here (torch leaves the memory uninitialized)."""
    return zeros(*shape, size=size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """size filled with fill_value; the dtype follows the value (bool, int64, default float) unless given."""
    if dtype is None:
        dtype = _array_of(fill_value).dtype
    return _leaf(np.full(_shape_args((size,)), fill_value, _as_dtype(dtype)), None, device, requires_grad, "full")


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """The n x m identity matrix (m = n by default)."""
    return _leaf(np.eye(n, n if m is None else m, dtype=_float_dtype(dtype)), None, device, requires_grad, "eye")


def _like(fill, where):
    def like(input, dtype=None, *, device=None, requires_grad=False, memory_format=None) -> "Tensor":
        array = fill(input.shape, input._array.dtype if dtype is None else _as_dtype(dtype))
        return _leaf(array, None, device, requires_grad, where)

    like.__name__ = like.__qualname__ = where
    like.__doc__ = f"{where}(input): {where[:-5]}() of input's shape and dtype (unless dtype is given)."
    return like


zeros_like = _like(np.zeros, "zeros_like")
ones_like = _like(np.ones, "ones_like")
empty_like = _like(np.zeros, "empty_like")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> "Tensor":
    """A tensor of input's shape and dtype (unless dtype is given) filled with fill_value."""
    array = np.full(input.shape, fill_value, input._array.dtype if dtype is None else _as_dtype(dtype))
    return _leaf(array, None, device, requires_grad, "full_like")


# ---------------------------------------------------------------- ranges

def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """start, start + step, ... up to end (excluded); arange(end) starts at 0. int64 when every
    argument is an integer, else the default dtype, as in torch."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("arange: upper bound and lower bound inconsistent with step sign")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    array = np.arange(start, end, step, dtype=np.int64 if integral else np.float64)
    return _leaf(array, _default_numpy() if dtype is None and not integral else dtype, device, requires_grad,
                 "arange")


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """steps values evenly spaced from start to end, both included."""
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    return _leaf(np.linspace(start, end, steps), _float_dtype(dtype), device, requires_grad, "linspace")


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """base ** linspace(start, end, steps)."""
    if steps < 0:
        raise RuntimeError("logspace: number of steps must be non-negative")
    return _leaf(base ** np.linspace(start, end, steps), _float_dtype(dtype), device, requires_grad, "logspace")


# ---------------------------------------------------------------- random

def uniform(*shape, low=0.0, high=1.0, dtype=None, requires_grad=False, generator=None, device=None) -> "Tensor":
    """Uniform samples in [low, high) (the original's signature: ``uniform(*shape, low, high)``)."""
    array = _numpy_rng(generator).uniform(low, high, _shape_args(shape))
    return _leaf(array, _float_dtype(dtype), device, requires_grad, "uniform")


def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """Uniform samples in [0, 1)."""
    return uniform(*_size(shape, size, "rand"), dtype=dtype, requires_grad=requires_grad, generator=generator,
                   device=device)


def randn(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """Standard normal samples."""
    array = _numpy_rng(generator).standard_normal(_size(shape, size, "randn"))
    return _leaf(array, _float_dtype(dtype), device, requires_grad, "randn")


def _randint_bounds(args, low, high, where):
    # randint(high, size) or randint(low, high, size), positionally or by keyword
    if len(args) == 1 and high is not None:
        low = args[0]
    elif len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    elif args:
        raise TypeError(f"{where}(): expected (high) or (low, high), got {len(args)} bounds")
    if high is None:
        raise TypeError(f"{where}(): missing the upper bound high")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return low, high


def randint(*args, low=0, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False) -> "Tensor":
    """Integers uniform in [low, high): randint(high, size) or randint(low, high, size); int64 by default."""
    if size is None:
        if not args:
            raise TypeError("randint(): missing the size")
        args, size = args[:-1], args[-1]
    low, high = _randint_bounds(args, low, high, "randint")
    array = _numpy_rng(generator).integers(low, high, _shape_args((size,)))
    return _leaf(array, np.int64 if dtype is None else dtype, device, requires_grad, "randint")


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> "Tensor":
    """Return U(0, 1) samples with input's shape (and dtype unless given).

    Parameters
    ----------
    input : Tensor
    dtype, device, requires_grad, generator
        As for ``rand``.

    Returns
    -------
    Tensor
    """
    return rand(input.shape, generator=generator, dtype=input.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> "Tensor":
    """Return N(0, 1) samples with input's shape (and dtype unless given).

    Parameters
    ----------
    input : Tensor
    dtype, device, requires_grad, generator
        As for ``randn``.

    Returns
    -------
    Tensor
    """
    return randn(input.shape, generator=generator, dtype=input.dtype if dtype is None else dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input, *args, low=0, high=None, dtype=None, device=None, requires_grad=False,
                 generator=None) -> "Tensor":
    """randint of input's shape and dtype: randint_like(input, high) or randint_like(input, low, high)."""
    low, high = _randint_bounds(args, low, high, "randint_like")
    array = _numpy_rng(generator).integers(low, high, input.shape)
    return _leaf(array, input.dtype if dtype is None else dtype, device, requires_grad, "randint_like")


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> "Tensor":
    """A random permutation of 0 ... n - 1 (int64 by default)."""
    return _leaf(_numpy_rng(generator).permutation(n), np.int64 if dtype is None else dtype, device,
                 requires_grad, "randperm")


def multinomial(input, num_samples, replacement=False, *, generator=None) -> "Tensor":
    """num_samples category indices per row of input (1-D or 2-D non-negative weights, which need
    not sum to 1), with or without replacement; int64, shaped (num_samples,) or (rows, num_samples)."""
    weights = np.asarray(input._array if isinstance(input, TensorBase) else input, dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {weights.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    rows = weights.reshape(-1, weights.shape[-1])
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement and (np.count_nonzero(rows, axis=1) < num_samples).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (with replacement=False, not enough "
                           "non-negative category to sample)")
    rng = _numpy_rng(generator)
    samples = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement, p=row / total)
                        for row, total in zip(rows, totals)])
    return _make(samples.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))


def bernoulli(input, p=None, *, generator=None) -> "Tensor":
    """0 or 1 per element, 1 with probability input (or p), in input's dtype; no gradient."""
    probabilities = input._array if p is None else p
    array = _numpy_rng(generator).random(input.shape) < probabilities
    return _make(array.astype(input._array.dtype))


def poisson(input, generator=None) -> "Tensor":
    """Poisson samples with rates input, in input's dtype; no gradient."""
    return _make(_numpy_rng(generator).poisson(input._array).astype(input._array.dtype))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> "Tensor":
    """Normal samples, as torch.normal's overloads: normal(mean_tensor, std_tensor),
    normal(mean_tensor, std=1.0), normal(mean, std_tensor) (the tensors' broadcast shape), or
    normal(mean, std, size) for numbers. No gradient flows to mean or std (torch's reparametrized
    gradient is not recorded)."""
    tensors = [v for v in (mean, std) if isinstance(v, TensorBase)]
    if tensors:
        if size is not None:
            raise TypeError("normal(): size is only taken with a float mean and std")
        arrays = [v._array if isinstance(v, TensorBase) else v for v in (mean, std)]
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
        if dtype is None:
            dtype = np.result_type(*(t._array for t in tensors))
    elif size is None:
        raise TypeError("normal(): with a float mean and std, pass the size")
    else:
        arrays, shape, dtype = (mean, std), _shape_args((size,)), _float_dtype(dtype)
    if np.any(np.asarray(arrays[1]) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    return _leaf(_numpy_rng(generator).normal(arrays[0], arrays[1], shape), dtype, device, requires_grad, "normal")


# ---------------------------------------------------------------- legacy typed constructors

class _LegacyTensorType(type):
    # FloatTensor(2, 3), LongTensor([1, 2]): Tensor's constructor with a fixed dtype; and
    # isinstance(t, FloatTensor) is a dtype check, as torch's legacy types are.
    def __call__(cls, *args, device=None):
        return Tensor(*args, dtype=cls.dtype, device=device)

    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and instance._array.dtype == cls.dtype


def _legacy_type(name, dtype):
    doc = (f"``{name}(*sizes)`` or ``{name}(data)``: a {np.dtype(dtype).name} tensor, as torch's legacy constructor "
           "(the sizes form gives zeros; torch leaves the memory uninitialized).")
    return _LegacyTensorType(name, (), {"dtype": np.dtype(dtype), "__doc__": doc, "__module__": "microtorch"})


FloatTensor = _legacy_type("FloatTensor", np.float32)
DoubleTensor = _legacy_type("DoubleTensor", np.float64)
HalfTensor = _legacy_type("HalfTensor", np.float16)
LongTensor = _legacy_type("LongTensor", np.int64)
IntTensor = _legacy_type("IntTensor", np.int32)
ShortTensor = _legacy_type("ShortTensor", np.int16)
CharTensor = _legacy_type("CharTensor", np.int8)
ByteTensor = _legacy_type("ByteTensor", np.uint8)
BoolTensor = _legacy_type("BoolTensor", np.bool_)
