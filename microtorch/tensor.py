"""Tensor: a numpy array that records the ops applied to it, and the functions that make one."""
from numbers import Number
from typing import Callable

import numpy as np

from microtorch import _engine, ops
from microtorch import ops_extra
from microtorch._grad_mode import is_grad_enabled

_apply = _engine.apply
_make = _engine.make_tensor


def _array_of(data, dtype=None):
    """Convert user data to an ndarray with PyTorch's default dtypes."""
    if isinstance(data, Tensor):
        array = data.data.copy()
    elif isinstance(data, np.ndarray):
        array = data.copy()
        if array.dtype.kind not in "biufc":
            raise TypeError(f"tensor(): numpy arrays of dtype {array.dtype} (shape {array.shape}) are not "
                            "supported; expected bool, integer, float or complex numbers")
    elif isinstance(data, (Number, np.generic, list, tuple)):
        try:
            array = np.array(data)
        except ValueError as error:  # ragged nested lists
            raise ValueError(f"tensor(): could not build a tensor from {_describe(data)}: {error}") from None
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
    if isinstance(other, np.generic):
        return other.item()  # numpy scalars count as Python numbers, as in torch (no upcast)
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


def _kind(x):
    return x.dtype.kind if isinstance(x, (Tensor, np.ndarray)) else "b" if isinstance(x, bool) else \
        "i" if isinstance(x, int) else "f"


def _cast_operand(x, dtype):
    if isinstance(x, Tensor):
        return x.to(dtype)
    return x.astype(dtype) if isinstance(x, np.ndarray) else x


def _promote(name, a, b):
    """Cast operands where numpy's type promotion differs from torch's: an integer operand meeting
    a float takes the float's dtype (float32 for a Python float), int / int is float32, and a 0-d
    float tensor takes the dtype of a float tensor with dimensions."""
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a in "biu" and kind_b == "f":
        return _cast_operand(a, b.dtype if isinstance(b, (Tensor, np.ndarray)) else np.float32), b
    if kind_b in "biu" and kind_a == "f":
        return a, _cast_operand(b, a.dtype if isinstance(a, (Tensor, np.ndarray)) else np.float32)
    if kind_a in "biu" and kind_b in "biu" and name == "div":
        return _cast_operand(a, np.float32), _cast_operand(b, np.float32)
    if (isinstance(a, Tensor) and isinstance(b, Tensor) and kind_a == kind_b == "f" and a.dtype != b.dtype
            and (a.ndim == 0) != (b.ndim == 0)):
        return (a.to(b.dtype), b) if a.ndim == 0 else (a, b.to(a.dtype))
    return a, b


def _binary(fn, name):
    def method(self, other):
        other = _operand(other, name)
        _check_broadcast(name, self, other)
        return _apply(fn, *_promote(name, self, other))

    def reflected(self, other):
        other = _operand(other, name)
        _check_broadcast(name, other, self)
        return _apply(fn, *_promote(name, other, self))

    # The engine skips these checks when they cannot change anything (same-dtype float operands).
    return _engine.fast_binary(fn, method, reflected)


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
        g = _engine.own_grad(self)
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

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (in-place edits of either are still tracked)."""
        return _engine.detach(self)

    def clone(self) -> "Tensor":
        return _apply(_Clone, self)

    def to(self, dtype) -> "Tensor":
        dtype = _as_dtype(dtype)
        return self if dtype == self.dtype else _apply(_Cast, self, dtype)

    def float(self) -> "Tensor":
        return self.to(np.float32)

    def double(self) -> "Tensor":
        return self.to(np.float64)

    def long(self) -> "Tensor":
        return self.to(np.int64)

    def requires_grad_(self, requires_grad=True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's .grad."""
        if not self.requires_grad:
            raise RuntimeError(f"backward: the tensor (shape {self.shape}, dtype {self.dtype}) does not require "
                               "grad and does not have a grad_fn (call requires_grad_() on a leaf, or check for "
                               "no_grad)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar outputs; "
                                   f"this tensor has shape {self.shape}, so pass gradient=")
            gradient = np.ones_like(self.data)
        else:
            try:
                gradient = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                                    dtype=self.dtype)
            except (TypeError, ValueError):
                raise TypeError(f"backward: gradient must be a Tensor, a numpy array or numbers of shape "
                                f"{self.shape}, got {_describe(gradient)}") from None
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

    def _checked_matmul(self, other) -> "Tensor":
        other = _operand(other, "matmul")
        _check_matmul(self, other)
        return _apply(ops.MatMul, *_promote("matmul", self, other))

    def _checked_rmatmul(self, other) -> "Tensor":
        other = _operand(other, "matmul")
        _check_matmul(other, self)
        return _apply(ops.MatMul, *_promote("matmul", other, self))

    # Same-dtype float tensors skip the checks; any failure reruns the checked method for its message.
    __matmul__, __rmatmul__ = _engine.fast_binary(ops.MatMul, _checked_matmul, _checked_rmatmul)

    def __neg__(self) -> "Tensor":
        return _apply(ops.Neg, self)

    def matmul(self, other) -> "Tensor":
        return self @ other

    # ------------------------------------------------------------ elementwise
    # Made by the engine: the same as `def exp(self): return _apply(ops.Exp, self)`, minus a Python frame.
    exp: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Exp)
    log: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Log)
    sigmoid: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Sigmoid)
    tanh: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Tanh)
    relu: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.ReLU)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        dim, keepdim = _reduction_args(self, "sum", dim, keepdim, axis, keepdims)
        return _apply(ops.Sum, self, dim, keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        dim, keepdim = _reduction_args(self, "mean", dim, keepdim, axis, keepdims)
        return _apply(ops.Mean, self, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """The maximum values (the original microtorch returns values only, not indices)."""
        dim, keepdim = _reduction_args(self, "max", dim, keepdim, axis, keepdims)
        return _apply(ops.Max, self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        dim, keepdim = _reduction_args(self, "argmax", dim, keepdim, axis, keepdims)
        if isinstance(dim, tuple):
            raise TypeError("argmax: dim must be an int or None")
        out = np.argmax(self.data, axis=dim, keepdims=keepdim)
        return _make(np.asarray(out, dtype=np.int64))

    def softmax(self, dim=-1) -> "Tensor":
        dim = ops._normalize_dim(dim, self.ndim, "softmax")
        return _apply(ops.Softmax, self, dim)

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape) -> "Tensor":
        shape = _shape_args(shape)
        _check_reshape(self.shape, shape)
        return _apply(ops.Reshape, self, shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1) -> "Tensor":
        """Merge dims start_dim..end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start = ops._normalize_dim(start_dim, self.ndim, "flatten")
        end = ops._normalize_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise RuntimeError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
        merged = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def transpose(self, dim0=None, dim1=None) -> "Tensor":
        if dim0 is None and dim1 is None:
            return self.T
        dim0 = ops._normalize_dim(dim0, self.ndim, "transpose")
        dim1 = ops._normalize_dim(dim1, self.ndim, "transpose")
        return _apply(ops.Transpose, self, dim0, dim1)

    def permute(self, *dims) -> "Tensor":
        dims = _shape_args(dims)
        if sorted(ops._normalize_dim(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dimensions")
        return _apply(ops.Permute, self, tuple(d % max(self.ndim, 1) for d in dims))

    @property
    def T(self) -> "Tensor":
        """All dimensions reversed (a matrix transpose for 2-D tensors)."""
        return _apply(ops.Permute, self, tuple(range(self.ndim - 1, -1, -1)))

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise RuntimeError(f"t(): expects a tensor with <= 2 dimensions, but got {self.ndim}")
        return self.T

    def split(self, split_size, dim=-1) -> list["Tensor"]:
        """Split into chunks of split_size along dim (the original's default dim is -1)."""
        return split(self, split_size, dim)

    # ------------------------------------------------------------ indexing
    def __getitem__(self, index) -> "Tensor":
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
        self.requires_grad = True  # also when only the value required grad


    # ------------------------------------------------------------ in-place updates
    def _in_place(self, op, update, operand):
        if is_grad_enabled() and self.requires_grad:
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be modified in place while grad "
                               "mode is on; wrap the update in `with microtorch.no_grad():`")
        _check_in_place(op, self, operand)
        update(self.data)
        _engine.bump_version(self)
        return self

    def add_(self, other) -> "Tensor":
        return self._in_place("add_", lambda data: np.add(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def sub_(self, other) -> "Tensor":
        return self._in_place("sub_", lambda data: np.subtract(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def mul_(self, other) -> "Tensor":
        return self._in_place("mul_", lambda data: np.multiply(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def div_(self, other) -> "Tensor":
        return self._in_place("div_", lambda data: np.divide(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def copy_(self, source) -> "Tensor":
        return self._in_place("copy_", lambda data: np.copyto(data, _array_or_scalar(source), casting="unsafe"), source)

    def fill_(self, value) -> "Tensor":
        return self._in_place("fill_", lambda data: data.fill(value), value)

    def zero_(self) -> "Tensor":
        return self._in_place("zero_", lambda data: data.fill(0), 0)

    # ------------------------------------------------------------ more tensor ops (sqrt ... tril, comparisons)
    def sqrt(self) -> "Tensor":
        return _apply(ops_extra.Sqrt, self)

    def abs(self) -> "Tensor":
        return _apply(ops_extra.Abs, self)

    __abs__ = abs

    def clamp(self, min=None, max=None) -> "Tensor":
        """Clip values to [min, max]; either bound may be None."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, _SCALARS):
                raise TypeError(f"clamp: {name} must be a number or None, got {type(bound).__name__}")
        return _apply(ops_extra.Clamp, self, min, max)

    clip = clamp

    def maximum(self, other) -> "Tensor":
        return maximum(self, other)

    def minimum(self, other) -> "Tensor":
        return minimum(self, other)

    def where(self, condition, other) -> "Tensor":
        """self where condition is True, other elsewhere (Tensor.where, as in PyTorch)."""
        return where(condition, self, other)

    def masked_fill(self, mask, value) -> "Tensor":
        """A copy with value wherever the boolean mask (broadcast to self) is True."""
        mask = _bool_mask(mask, "masked_fill")
        if not _broadcasts_to(mask.shape, self.shape):
            raise RuntimeError(f"masked_fill: mask of shape {mask.shape} cannot be broadcast to the "
                               f"tensor's shape {self.shape}")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
        elif not isinstance(value, _SCALARS):
            raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got {type(value).__name__}")
        fill = value.to(self.dtype) if isinstance(value, Tensor) else np.asarray(value, dtype=self.dtype)
        return _apply(ops_extra.Where, mask, fill, self)

    def tril(self, diagonal=0) -> "Tensor":
        return _apply(ops_extra.Triangle, self, _triangle_args(self, diagonal, "tril"), False)

    def triu(self, diagonal=0) -> "Tensor":
        return _apply(ops_extra.Triangle, self, _triangle_args(self, diagonal, "triu"), True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """The minimum values (values only, like max); the gradient goes where max's would for -self."""
        dim, keepdim = _reduction_args(self, "min", dim, keepdim, axis, keepdims)
        if self.data.size == 0:
            raise RuntimeError(f"min: cannot reduce an empty tensor of shape {self.shape}")
        return -_apply(ops.Max, -self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        dim, keepdim = _reduction_args(self, "argmin", dim, keepdim, axis, keepdims)
        if isinstance(dim, tuple):
            raise TypeError("argmin: dim must be an int or None")
        out = np.argmin(self.data, axis=dim, keepdims=keepdim)
        return _make(np.asarray(out, dtype=np.int64))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> "Tensor":
        """Variance over dim; divides by n - correction (correction=1, i.e. unbiased, by default)."""
        if isinstance(dim, list):
            dim = tuple(dim)
        dim = ops._normalize_dim(dim, self.ndim, "var")
        if unbiased is not None and correction is not None:
            raise TypeError("var: pass either unbiased or correction, not both")
        correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
        if self.dtype.kind not in "fc":
            raise TypeError(f"var: expected a floating point tensor, got dtype {self.dtype}")
        return _apply(ops_extra.Var, self, dim, correction, bool(keepdim))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> "Tensor":
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def squeeze(self, dim=None) -> "Tensor":
        """Drop dims of size 1 (all of them, or those named by dim that have size 1)."""
        if dim is None:
            dims = range(self.ndim)
        else:
            dims = ops._normalize_dim(tuple(dim) if isinstance(dim, list) else dim, self.ndim, "squeeze")
            dims = dims if isinstance(dims, tuple) else (dims,)
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self if shape == self.shape else _apply(ops.Reshape, self, shape)

    def unsqueeze(self, dim) -> "Tensor":
        """Insert a dim of size 1 at position dim (dim may be -ndim-1 ... ndim)."""
        dim = ops._normalize_dim(dim, self.ndim + 1, "unsqueeze")
        return _apply(ops.Reshape, self, self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *sizes) -> "Tensor":
        """A broadcast view to sizes (-1 keeps a dim); the gradient is summed back."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes {sizes} must be at least the tensor's "
                               f"number of dims ({self.shape})")
        shape = tuple(n if n != -1 and i >= lead else (self.shape[i - lead] if i >= lead else n)
                      for i, n in enumerate(sizes))
        bad = [i for i, n in enumerate(shape) if n < 0 or (i >= lead and self.shape[i - lead] not in (1, n))]
        if bad:
            raise RuntimeError(f"expand: cannot expand a tensor of shape {self.shape} to {sizes} "
                               f"(dim {bad[0]}: only size-1 dims can be expanded, -1 only for existing dims)")
        return _apply(ops_extra.Expand, self, shape)

    def expand_as(self, other) -> "Tensor":
        return self.expand(other.shape)

    def gather(self, dim, index) -> "Tensor":
        """out[..., i, ...] = self[..., index[..., i, ...], ...] along dim (torch.gather)."""
        dim = ops._normalize_dim(dim, self.ndim, "gather")
        index = _int_index(index, "gather")
        if index.ndim != self.ndim:
            raise RuntimeError(f"gather: index {index.shape} and input {self.shape} must have the same number of dims")
        if any(i != dim and n > m for i, (n, m) in enumerate(zip(index.shape, self.shape))):
            raise RuntimeError(f"gather: index {index.shape} is larger than input {self.shape} "
                               f"in a dim other than {dim}")
        _check_index_range(index, self.shape[dim], "gather", dim)
        return _apply(ops_extra.Gather, self, dim, index)

    def index_select(self, dim, index) -> "Tensor":
        """The entries at index (1-D integers) along dim."""
        dim = ops._normalize_dim(dim, self.ndim, "index_select")
        index = _int_index(index, "index_select")
        if index.ndim > 1:
            raise RuntimeError(f"index_select: index must be 1-D, got shape {index.shape}")
        _check_index_range(index, self.shape[dim] if self.ndim else 1, "index_select", dim)
        return _apply(ops_extra.IndexSelect, self, dim, index.reshape(-1))

    def chunk(self, chunks, dim=0) -> list["Tensor"]:
        """Split into at most `chunks` pieces of equal size (the last may be smaller)."""
        if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
            raise RuntimeError(f"chunk: chunks must be a positive int, got {chunks!r}")
        length = self.shape[ops._normalize_dim(dim, self.ndim, "chunk")]
        return split(self, max(-(-length // chunks), 1), dim)

    # comparisons give bool tensors outside the graph
    def _compare(self, other, ufunc, name):
        if not isinstance(other, (Tensor, np.ndarray, *_SCALARS)):
            return NotImplemented  # `t == None` is False, `t < "a"` a TypeError, as for other objects
        _check_broadcast(name, self, other)
        return _make(ufunc(self.data, other.data if isinstance(other, Tensor) else other))

    def __lt__(self, other):
        return self._compare(other, np.less, "lt")

    def __le__(self, other):
        return self._compare(other, np.less_equal, "le")

    def __gt__(self, other):
        return self._compare(other, np.greater, "gt")

    def __ge__(self, other):
        return self._compare(other, np.greater_equal, "ge")

    def __eq__(self, other):
        return self._compare(other, np.equal, "eq")

    def __ne__(self, other):
        return self._compare(other, np.not_equal, "ne")

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__


def _array_or_scalar(value):
    return value.data if isinstance(value, Tensor) else value


def _check_in_place(op, t, value):
    """An in-place update keeps the tensor's shape and dtype: check the value before touching the data."""
    value = _array_or_scalar(_operand(value, op))
    shape = np.shape(value)
    try:
        fits = np.broadcast_shapes(shape, t.shape) == t.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{op}: a value of shape {shape} cannot be broadcast to the tensor's shape {t.shape}")
    if op in ("add_", "sub_", "mul_", "div_"):
        result = np.result_type(t.data, value) if op != "div_" else np.result_type(t.data, value, np.float32)
        if not np.can_cast(result, t.dtype, "same_kind"):
            raise RuntimeError(f"{op}: the result type {result} cannot be stored in the tensor's dtype {t.dtype} "
                               f"(shape {t.shape}); convert the tensor first, e.g. with .float()")


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
    dim = ops._normalize_dim(dim, t.ndim, op)
    # A 0-d tensor accepts dim 0 or -1, as in torch; numpy does not, and all dims is the same thing.
    return (None if t.ndim == 0 else dim), bool(keepdim)


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
    if any(s < -1 for s in new):
        raise RuntimeError(f"reshape: invalid shape {new} for a tensor of shape {old}: sizes must be >= 0 "
                           "(or -1 for one inferred dimension)")
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
    if len(shape_a) > 2 or len(shape_b) > 2:
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


def argmax(t, dim=None, keepdim=False) -> "Tensor":
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


def cat(tensors, dim=0, *, axis=None) -> "Tensor":
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


def stack(tensors, dim=0, *, axis=None) -> "Tensor":
    """Join tensors along a new dim."""
    tensors = _tensors_of(tensors, "stack")
    dim = ops._normalize_dim(dim if axis is None else axis, tensors[0].ndim + 1, "stack")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise RuntimeError(f"stack: expects each tensor to be equal size, got shapes {[t.shape for t in tensors]}")
    return _apply(ops.Stack, dim, *tensors)


def split(t, split_size, dim=-1) -> list["Tensor"]:
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


# ---------------------------------------------------------------- more tensor ops: functions and their checks

def where(condition, input, other) -> "Tensor":
    """input where condition (a bool tensor) is True, other elsewhere; input and other may be numbers."""
    condition = _bool_mask(condition, "where")
    input, other = _operand(input, "where"), _operand(other, "where")
    try:
        np.broadcast_shapes(condition.shape, np.shape(input), np.shape(other))
    except ValueError:
        raise RuntimeError(f"where: condition {condition.shape}, input {np.shape(input)} and other "
                           f"{np.shape(other)} cannot be broadcast together") from None
    return _apply(ops_extra.Where, condition, input, other)


def maximum(input, other) -> "Tensor":
    """Elementwise maximum; ties share the gradient equally, as in PyTorch."""
    other = _operand(other, "maximum")
    _check_broadcast("maximum", input, other)
    return _apply(ops_extra.Maximum, input, other)


def minimum(input, other) -> "Tensor":
    other = _operand(other, "minimum")
    _check_broadcast("minimum", input, other)
    return _apply(ops_extra.Minimum, input, other)


def absolute(input) -> "Tensor":
    return input.abs()


def sqrt(input) -> "Tensor":
    return input.sqrt()


def clamp(input, min=None, max=None) -> "Tensor":
    return input.clamp(min, max)


def tril(input, diagonal=0) -> "Tensor":
    return input.tril(diagonal)


def triu(input, diagonal=0) -> "Tensor":
    return input.triu(diagonal)


def argmin(input, dim=None, keepdim=False) -> "Tensor":
    return input.argmin(dim, keepdim)


def squeeze(input, dim=None) -> "Tensor":
    return input.squeeze(dim)


def unsqueeze(input, dim) -> "Tensor":
    return input.unsqueeze(dim)


def flatten(input, start_dim=0, end_dim=-1) -> "Tensor":
    return input.flatten(start_dim, end_dim)


def gather(input, dim, index) -> "Tensor":
    return input.gather(dim, index)


def index_select(input, dim, index) -> "Tensor":
    return input.index_select(dim, index)


def chunk(input, chunks, dim=0) -> list["Tensor"]:
    return input.chunk(chunks, dim)


def masked_fill(input, mask, value) -> "Tensor":
    return input.masked_fill(mask, value)


def _bool_mask(mask, op):
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_:
        raise TypeError(f"{op}: expected a bool condition/mask, got dtype {array.dtype} "
                        "(compare first, e.g. `x > 0`)")
    return array


def _int_index(index, op):
    array = index.data if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {array.dtype}")
    return array


def _check_index_range(index, length, op, dim):
    if index.size and (index.min() < 0 or index.max() >= length):
        bad = index[(index < 0) | (index >= length)].flat[0]
        raise IndexError(f"{op}: index {bad} is out of bounds for dim {dim} with size {length}")


def _triangle_args(t, diagonal, op):
    if t.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions, got shape {t.shape}")
    if not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an int, got {type(diagonal).__name__}")
    return int(diagonal)


def _broadcasts_to(shape, target):
    """Can an array of shape be broadcast to target (without changing target)?"""
    if len(shape) > len(target):
        return False
    return all(n in (1, m) for n, m in zip(shape[::-1], target[::-1]))
