"""Tensor: a numpy array that records the ops applied to it, and the functions that make one."""
from numbers import Number

import numpy as np

from microtorch import _engine, ops
from microtorch._grad_mode import is_grad_enabled

_apply = _engine.apply
_make = _engine.make_tensor


def _array_of(data, dtype=None):
    """Convert user data to an ndarray with PyTorch's default dtypes."""
    if isinstance(data, Tensor):
        array = data.data.copy()
    elif isinstance(data, np.ndarray):
        array = data.copy()
    elif isinstance(data, (Number, np.generic, list, tuple)):
        array = np.array(data)
        if array.dtype == object or array.dtype.kind not in "biufc":
            raise TypeError(f"tensor(): could not build a numeric tensor from {_describe(data)}")
        if array.dtype == np.float64 and not isinstance(data, np.generic):
            array = array.astype(np.float32)  # Python floats default to float32, as in torch
    else:
        raise TypeError(f"tensor(): expected a number, a (nested) list, a numpy array or a Tensor, "
                        f"got {type(data).__name__}")
    if dtype is not None:
        array = array.astype(_as_dtype(dtype), copy=False)
    return array


def _describe(data):
    text = repr(data)
    return f"{type(data).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _as_dtype(dtype):
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unsupported dtype {dtype!r}") from None


_SCALARS = (int, float, bool, np.generic)


def _operand(other, op):
    """Check a binary op's other operand: a Tensor, an ndarray or a real number."""
    if isinstance(other, (Tensor, np.ndarray)) or isinstance(other, _SCALARS):
        return other
    raise TypeError(f"{op}: unsupported operand type {type(other).__name__}; "
                    "expected a Tensor, a numpy array or a number")


def _check_broadcast(op, a, b):
    shape_a, shape_b = np.shape(a), np.shape(b)
    if shape_a != shape_b:
        try:
            np.broadcast_shapes(shape_a, shape_b)
        except ValueError:
            raise RuntimeError(f"{op}: shapes {shape_a} and {shape_b} cannot be broadcast together") from None


def _binary(fn, name):
    def method(self, other):
        other = _operand(other, name)
        _check_broadcast(name, self, other)
        return _apply(fn, self, other)

    def reflected(self, other):
        other = _operand(other, name)
        _check_broadcast(name, other, self)
        return _apply(fn, other, self)

    return method, reflected


class Tensor(_engine.TensorBase):
    """An n-dimensional array with autograd, backed by a numpy ndarray.

    Tensor(data, requires_grad=False, dtype=None) copies data. Floats from Python
    lists become float32 and ints int64, as in PyTorch; numpy arrays keep their dtype.
    """

    __slots__ = ()
    __array_priority__ = 1000  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _array_of(data, dtype)
        self.requires_grad = requires_grad

    # ------------------------------------------------------------ basics
    @property
    def grad(self):
        g = self._grad_array
        return None if g is None else _make(g)

    @grad.setter
    def grad(self, value):
        if value is not None:
            value = value.data if isinstance(value, Tensor) else np.asarray(value)
            if value.shape != self.shape:
                raise RuntimeError(f"grad: assigned gradient has shape {value.shape}, "
                                   f"but the tensor has shape {self.shape}")
        self._grad_array = value

    shape = property(lambda self: self.data.shape, doc="The shape, a tuple of ints.")
    dtype = property(lambda self: self.data.dtype, doc="The numpy dtype.")
    ndim = property(lambda self: self.data.ndim, doc="The number of dimensions.")

    def size(self, dim=None):
        """The shape, or the length of one dimension."""
        return self.shape if dim is None else self.shape[ops._normalize_dim(dim, self.ndim, "size")]

    def dim(self):
        return self.ndim

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        body = np.array2string(self.data, separator=" ", prefix="Tensor(")
        extras = ""
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras += f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extras += f", grad_fn={self.grad_fn!r}"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"Tensor({body}{extras})"

    __str__ = __repr__
    __hash__ = object.__hash__

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {self.data.size} values is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def numpy(self):
        """The underlying ndarray (shares memory)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"item(): a Tensor with {self.data.size} elements cannot be "
                               "converted to a Python scalar")
        return self.data.item()

    def detach(self):
        """The same data, cut from the graph."""
        return _make(self.data)

    def clone(self):
        return _apply(_Clone, self)

    def to(self, dtype):
        dtype = _as_dtype(dtype)
        return self if dtype == self.dtype else _apply(_Cast, self, dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's .grad."""
        if not self.requires_grad:
            raise RuntimeError("backward: element 0 of tensors does not require grad and does not have "
                               "a grad_fn (call requires_grad_() on a leaf, or check for no_grad)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar outputs; "
                                   f"this tensor has shape {self.shape}, so pass gradient=")
            gradient = np.ones_like(self.data)
        else:
            gradient = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                                dtype=self.dtype)
            if gradient.shape != self.shape:
                raise RuntimeError(f"backward: gradient has shape {gradient.shape}, "
                                   f"but the tensor has shape {self.shape}")
        _engine.run_backward(self, gradient, retain_graph)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in .grad after backward."""
        _engine.retain_grad(self)

    def register_hook(self, hook):
        """hook(grad) runs when the gradient for this tensor is computed; it may return a replacement."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require grad")
        hooks = _engine.add_hook(self, hook)
        return _HookHandle(hooks, hook)

    # ------------------------------------------------------------ arithmetic
    __add__, __radd__ = _binary(ops.Add, "add")
    __sub__, __rsub__ = _binary(ops.Sub, "sub")
    __mul__, __rmul__ = _binary(ops.Mul, "mul")
    __truediv__, __rtruediv__ = _binary(ops.Div, "div")
    __pow__, __rpow__ = _binary(ops.Pow, "pow")

    def __matmul__(self, other):
        other = _operand(other, "matmul")
        _check_matmul(self, other)
        return _apply(ops.MatMul, self, other)

    def __rmatmul__(self, other):
        other = _operand(other, "matmul")
        _check_matmul(other, self)
        return _apply(ops.MatMul, other, self)

    def __neg__(self):
        return _apply(ops.Neg, self)

    def matmul(self, other):
        return self @ other

    # ------------------------------------------------------------ elementwise
    def exp(self):
        return _apply(ops.Exp, self)

    def log(self):
        return _apply(ops.Log, self)

    def sigmoid(self):
        return _apply(ops.Sigmoid, self)

    def tanh(self):
        return _apply(ops.Tanh, self)

    def relu(self):
        return _apply(ops.ReLU, self)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _reduction_args(self, "sum", dim, keepdim, axis, keepdims)
        return _apply(ops.Sum, self, dim, keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _reduction_args(self, "mean", dim, keepdim, axis, keepdims)
        return _apply(ops.Mean, self, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The maximum values (the original microtorch returns values only, not indices)."""
        dim, keepdim = _reduction_args(self, "max", dim, keepdim, axis, keepdims)
        return _apply(ops.Max, self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _reduction_args(self, "argmax", dim, keepdim, axis, keepdims)
        if isinstance(dim, tuple):
            raise TypeError("argmax: dim must be an int or None")
        out = np.argmax(self.data, axis=dim, keepdims=keepdim)
        return _make(np.asarray(out, dtype=np.int64))

    def softmax(self, dim=-1):
        dim = ops._normalize_dim(dim, self.ndim, "softmax")
        return _apply(ops.Softmax, self, dim)

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape):
        shape = _shape_args(shape)
        _check_reshape(self.shape, shape)
        return _apply(ops.Reshape, self, shape)

    view = reshape

    def flatten(self):
        return self.reshape(-1)

    def transpose(self, dim0=None, dim1=None):
        if dim0 is None and dim1 is None:
            return self.T
        dim0 = ops._normalize_dim(dim0, self.ndim, "transpose")
        dim1 = ops._normalize_dim(dim1, self.ndim, "transpose")
        return _apply(ops.Transpose, self, dim0, dim1)

    def permute(self, *dims):
        dims = _shape_args(dims)
        if sorted(ops._normalize_dim(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dimensions")
        return _apply(ops.Permute, self, tuple(d % max(self.ndim, 1) for d in dims))

    @property
    def T(self):
        """All dimensions reversed (a matrix transpose for 2-D tensors)."""
        return _apply(ops.Permute, self, tuple(range(self.ndim - 1, -1, -1)))

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t(): expects a tensor with <= 2 dimensions, but got {self.ndim}")
        return self.T

    def split(self, split_size, dim=-1):
        """Split into chunks of split_size along dim (the original's default dim is -1)."""
        return split(self, split_size, dim)

    # ------------------------------------------------------------ indexing
    def __getitem__(self, index):
        index = _index_of(index)
        try:
            self.data[index] if _needs_probe(index) else None
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {self.shape})") from None
        return _apply(ops.GetItem, self, index)

    def __setitem__(self, index, value):
        index = _index_of(index)
        if isinstance(value, Tensor):
            value_array = value.data
        elif isinstance(value, (np.ndarray, *_SCALARS)):
            value_array = value
        else:
            raise TypeError(f"setitem: unsupported value type {type(value).__name__}")
        records = is_grad_enabled() and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
        if records and self.is_leaf and self.requires_grad:
            raise RuntimeError("setitem: a leaf tensor that requires grad cannot be modified in place; "
                               "use `with microtorch.no_grad():` to change its values")
        try:
            probe = self.data[index]
            np.broadcast_to(value_array, probe.shape)
        except IndexError as error:
            raise IndexError(f"setitem: {error} (tensor shape {self.shape})") from None
        except ValueError:
            raise RuntimeError(f"setitem: value of shape {np.shape(value_array)} cannot be assigned "
                               f"to the selection of shape {probe.shape}") from None
        if not records:
            self.data[index] = value_array
            _engine.bump_version(self)
            return
        # Out of place, then this tensor takes the result's place in the graph.
        result = _apply(ops.SetItem, self, index, value)
        self.data = result.data
        self.grad_fn = result.grad_fn


    # ------------------------------------------------------------ in-place updates
    def _in_place(self, op, update):
        if is_grad_enabled() and self.requires_grad:
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be modified in place while grad "
                               "mode is on; wrap the update in `with microtorch.no_grad():`")
        update(self.data)
        _engine.bump_version(self)
        return self

    def add_(self, other):
        return self._in_place("add_", lambda data: np.add(data, _array_or_scalar(other), out=data, casting="unsafe"))

    def sub_(self, other):
        return self._in_place("sub_", lambda data: np.subtract(data, _array_or_scalar(other), out=data, casting="unsafe"))

    def mul_(self, other):
        return self._in_place("mul_", lambda data: np.multiply(data, _array_or_scalar(other), out=data, casting="unsafe"))

    def div_(self, other):
        return self._in_place("div_", lambda data: np.divide(data, _array_or_scalar(other), out=data, casting="unsafe"))

    def copy_(self, source):
        return self._in_place("copy_", lambda data: np.copyto(data, _array_or_scalar(source), casting="unsafe"))

    def fill_(self, value):
        return self._in_place("fill_", lambda data: data.fill(value))

    def zero_(self):
        return self.fill_(0)


def _array_or_scalar(value):
    return value.data if isinstance(value, Tensor) else value


class _Clone(ops.Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class _Cast(ops.Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.dtype), None


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


_engine.register_tensor_class(Tensor)


# ---------------------------------------------------------------- argument helpers

def _reduction_args(t, op, dim, keepdim, axis, keepdims):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return ops._normalize_dim(dim, t.ndim, op), bool(keepdim)


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"shape must be ints, got {type(s).__name__} in {shape}")
    return tuple(int(s) for s in shape)


def _check_reshape(old, new):
    size = int(np.prod(old))
    if new.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be inferred, got shape {new}")
    known = int(np.prod([s for s in new if s != -1]))
    ok = (size == known) if -1 not in new else (known != 0 and size % known == 0)
    if not ok:
        raise RuntimeError(f"reshape: shape {new} is invalid for a tensor of shape {old} ({size} elements)")


def _check_matmul(a, b):
    shape_a, shape_b = np.shape(a), np.shape(b)
    if len(shape_a) == 0 or len(shape_b) == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes {shape_a} and {shape_b}")
    inner_a = shape_a[-1]
    inner_b = shape_b[-2] if len(shape_b) > 1 else shape_b[0]
    if inner_a != inner_b:
        raise RuntimeError(f"matmul: shapes {shape_a} and {shape_b} cannot be multiplied "
                           f"({inner_a} != {inner_b})")
    try:
        np.broadcast_shapes(shape_a[:-2], shape_b[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: batch dimensions of {shape_a} and {shape_b} cannot be broadcast") from None


def _index_of(index):
    """Tensors inside an index become their arrays; lists become integer or boolean arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    if isinstance(index, tuple):
        return tuple(_index_of(part) for part in index)
    return index


def _needs_probe(index):
    # Integer and array indices can be out of bounds; slices cannot.
    parts = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(p, slice) and p is not None and p is not Ellipsis for p in parts)


# ---------------------------------------------------------------- creation

def tensor(data, requires_grad=False, dtype=None):
    """A new leaf tensor holding a copy of data."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    return _make(np.zeros(_shape_args(shape), dtype=_as_dtype(dtype)), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    return _make(np.ones(_shape_args(shape), dtype=_as_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _make(np.zeros(t.shape, dtype=_as_dtype(dtype or t.dtype)), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _make(np.ones(t.shape, dtype=_as_dtype(dtype or t.dtype)), requires_grad)


def full(shape, fill_value, dtype=np.float32, requires_grad=False):
    return _make(np.full(_shape_args((shape,)), fill_value, dtype=_as_dtype(dtype)), requires_grad)


def uniform(*shape, low=0.0, high=1.0, dtype=np.float32, requires_grad=False):
    """Uniform samples in [low, high) (the original's signature: uniform(*shape, low, high))."""
    from microtorch.random import generator
    array = generator().uniform(low, high, _shape_args(shape)).astype(_as_dtype(dtype))
    return _make(array, requires_grad)


def rand(*shape, dtype=np.float32, requires_grad=False):
    return uniform(*shape, dtype=dtype, requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False):
    from microtorch.random import generator
    array = generator().standard_normal(_shape_args(shape)).astype(_as_dtype(dtype))
    return _make(array, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    array = np.arange(start, end, step)
    if dtype is not None:
        array = array.astype(_as_dtype(dtype))
    elif array.dtype == np.float64:
        array = array.astype(np.float32)
    return _make(array, requires_grad)


def argmax(t, dim=None, keepdim=False):
    return t.argmax(dim, keepdim)


# ---------------------------------------------------------------- joining and splitting

def _tensors_of(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op}: expected a non-empty list of tensors")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a list of Tensors, got an element of type {type(t).__name__}")
    return tensors


def cat(tensors, dim=0, *, axis=None):
    """Join tensors along an existing dim."""
    tensors = _tensors_of(tensors, "cat")
    dim = ops._normalize_dim(dim if axis is None else axis, tensors[0].ndim, "cat")
    first = tensors[0].shape
    for t in tensors[1:]:
        if t.ndim != len(first) or any(a != b for i, (a, b) in enumerate(zip(first, t.shape)) if i != dim):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {dim}; "
                               f"got shapes {[x.shape for x in tensors]}")
    return _apply(ops.Cat, dim, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0, *, axis=None):
    """Join tensors along a new dim."""
    tensors = _tensors_of(tensors, "stack")
    dim = ops._normalize_dim(dim if axis is None else axis, tensors[0].ndim + 1, "stack")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise RuntimeError(f"stack: expects each tensor to be equal size, got shapes {[t.shape for t in tensors]}")
    return _apply(ops.Stack, dim, *tensors)


def split(t, split_size, dim=-1):
    """Chunks of split_size along dim (the last one may be smaller); a list of sizes also works."""
    dim = ops._normalize_dim(dim, t.ndim, "split")
    length = t.shape[dim]
    if isinstance(split_size, (list, tuple)):
        if sum(split_size) != length:
            raise RuntimeError(f"split: sizes {list(split_size)} do not add up to {length} (dim {dim} of {t.shape})")
        sizes = list(split_size)
    else:
        if split_size <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {split_size}")
        sizes = [min(split_size, length - start) for start in range(0, length, split_size)]
    chunks, start = [], 0
    for size in sizes:
        index = (slice(None),) * dim + (slice(start, start + size),)
        chunks.append(_apply(ops.GetItem, t, index))
        start += size
    return chunks
