"""Tensor: a numpy array that records the ops applied to it.

The arithmetic lives in microtorch.ops (one Function per op); this class checks arguments
(microtorch._checks), applies torch's type promotion (microtorch._promotion) and hands each
op to the compiled engine (microtorch._engine.apply), which records it for backward.
"""
from numbers import Number
from typing import Callable

import numpy as np

from microtorch import _engine, ops
from microtorch._checks import (_SCALARS, _array_or_scalar, _as_dtype, _bool_mask, _broadcasts_to, _check_broadcast,
                                _check_in_place, _check_index_range, _check_matmul, _check_reshape, _describe,
                                _index_of, _int_index, _legacy_name, _needs_probe, _normalize_dim, _operand,
                                _reduction_args, _shape_args, _triangle_args, _where_args)
from microtorch._dtype import _default_numpy, from_numpy_dtype
from microtorch._grad_mode import is_grad_enabled
from microtorch._hooks import RemovableHandle
from microtorch._promotion import _promote
from microtorch._tensor_str import tensor_format, tensor_repr
from microtorch.device import CPU, _check_device
from microtorch.device import device as Device
from microtorch.random import _numpy_rng

_apply = _engine.apply
_make = _engine.make_tensor
_LEGACY_DTYPES = [np.dtype(d) for d in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
                                        np.uint8, np.bool_)]


def _array_of(data, dtype=None):
    """Convert user data to an ndarray with PyTorch's default dtypes."""
    if isinstance(data, Tensor):
        array = data._array.copy()
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
        if array.dtype == np.float64 and not isinstance(data, np.generic) and dtype is None:
            array = array.astype(_default_numpy())  # Python floats take the default dtype (float32), as in torch
    else:
        raise TypeError(f"tensor(): expected a number, a (nested) list, a numpy array or a Tensor, "
                        f"got {type(data).__name__}")
    if dtype is not None:
        array = array.astype(_as_dtype(dtype), copy=False)
    return array


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


def _in_place_twin(name, method):
    """The in-place form of a one-input method: Tensor.exp_ is _in_place_twin("exp_", "exp")."""
    def in_place(self):
        return self._update(name, getattr(self, method))

    in_place.__name__ = in_place.__qualname__ = name
    in_place.__doc__ = f"Tensor.{method.strip('_')}, in place (see Tensor._update)."
    return in_place


def _cast_method(name, dtype):
    """Tensor.float and its kin: x.float() is x.to(microtorch.float32)."""
    def cast(self):
        return self.to(dtype)

    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = f"This tensor as {np.dtype(dtype).name} (itself if it already is), recorded for autograd."
    return cast


class Tensor(_engine.TensorBase):
    """An n-dimensional array with autograd, backed by a numpy ndarray.

    Tensor(data, requires_grad=False, dtype=None) copies data. As torch.Tensor, numbers and
    (nested) lists become float32 (the default dtype) unless dtype is given; numpy arrays and
    tensors keep their dtype, as in the original microtorch (torch.Tensor makes them float32).
    Tensor(*sizes) and Tensor() are torch's legacy constructor: a float32 tensor of that shape
    (zeros, where torch leaves the memory uninitialized), or an empty one. microtorch.tensor()
    infers the dtype (ints stay int64).
    """

    __slots__ = ()
    __array_priority__ = 1000  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, *args, requires_grad=False, dtype=None, device=None):
        _check_device(device, "Tensor")
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            self.data = np.zeros(args or (0,), _default_numpy() if dtype is None else _as_dtype(dtype))
        elif len(args) > 3:
            raise TypeError(f"Tensor(): expected (data, requires_grad, dtype) or sizes, got {len(args)} arguments")
        else:
            data, requires_grad, dtype = args + (requires_grad, dtype)[len(args) - 1:]
            if dtype is None and not isinstance(data, (np.ndarray, _engine.TensorBase)):
                dtype = _default_numpy()
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
            value = value._array if isinstance(value, Tensor) else np.asarray(value)
            if value.shape != self.shape:
                raise RuntimeError(f"grad: assigned gradient has shape {value.shape}, "
                                   f"but the tensor has shape {self.shape}")
        self._grad_array = value

    shape = property(lambda self: self._array.shape, doc="The shape, a tuple of ints.")
    dtype = property(lambda self: from_numpy_dtype(self._array.dtype),
                     doc="The element type, a microtorch.dtype (it equals the numpy dtype).")
    device = property(lambda self: CPU, doc="Always the CPU: microtorch has no other device.")
    is_cuda = property(lambda self: False, doc="False: microtorch runs on the CPU only.")
    ndim = property(lambda self: self._array.ndim, doc="The number of dimensions.")

    def size(self, dim=None):
        """The shape, or the length of one dimension."""
        return self.shape if dim is None else self.shape[_normalize_dim(dim, self.ndim, "size")]

    def dim(self):
        return self.ndim

    def numel(self):
        return self._array.size

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        return tensor_repr(self)

    def __format__(self, spec):
        return tensor_format(self, spec)

    __str__ = __repr__
    __hash__ = object.__hash__

    def __array__(self, dtype=None, copy=None):
        return self._array if dtype is None else self._array.astype(dtype, copy=False)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {self._array.size} values is ambiguous")
        return bool(self._array)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def numpy(self):
        """The underlying ndarray (shares memory)."""
        return self._array

    def tolist(self):
        return self._array.tolist()

    def item(self):
        if self._array.size != 1:
            raise RuntimeError(f"item(): a Tensor with {self._array.size} elements cannot be "
                               "converted to a Python scalar")
        return self._array.item()

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (in-place edits of either are still tracked)."""
        return _engine.detach(self)

    def clone(self) -> "Tensor":
        return _apply(ops._Clone, self)

    # ------------------------------------------------------------ conversion: dtype and device
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False) -> "Tensor":
        """This tensor in another dtype: to(dtype), to(device), to(device, dtype), to(other),
        to(dtype=..., device=...); itself when nothing changes (unless copy=True), as in torch.
        non_blocking is accepted and changes nothing. Any device but the CPU raises."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, Device)) or (isinstance(arg, int) and not isinstance(arg, bool)):
                device = arg
            else:
                dtype = arg
        _check_device(device, "to")
        result = self
        if dtype is not None and _as_dtype(dtype) != self._array.dtype:
            result = _apply(ops._Cast, self, _as_dtype(dtype))
        return self.clone() if copy and result is self else result

    def type(self, dtype=None) -> "Tensor":
        """The legacy type name ("microtorch.FloatTensor") with no argument; else to(dtype), where
        dtype may also be a name like "torch.LongTensor"."""
        if dtype is None:
            return f"microtorch.{_legacy_name(self._array.dtype)}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            module, _, name = dtype.rpartition(".")
            if module.endswith("cuda"):
                _check_device("cuda", "type")
            legacy = {f"{_legacy_name(d)}Tensor": d for d in _LEGACY_DTYPES}
            if name not in legacy:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = legacy[name]
        return self.to(dtype)

    def type_as(self, other) -> "Tensor":
        return self.to(other.dtype)

    # x.float(), x.long(), ...: x.to(that dtype)
    float, double, half, long, int, short, char, byte, bool = (_cast_method(name, dtype) for name, dtype in [
        ("float", np.float32), ("double", np.float64), ("half", np.float16), ("long", np.int64), ("int", np.int32),
        ("short", np.int16), ("char", np.int8), ("byte", np.uint8), ("bool", np.bool_)])

    def is_floating_point(self) -> bool:
        return self._array.dtype.kind == "f"

    def element_size(self) -> int:
        return self._array.itemsize

    def cpu(self) -> "Tensor":
        """Itself: every tensor is on the CPU."""
        return self

    def cuda(self, device=None, non_blocking=False) -> "Tensor":
        """Raises: microtorch runs on the CPU only."""
        _check_device("cuda" if device is None else device, "cuda")
        return self

    # ------------------------------------------------------------ constructors: new_* keep dtype
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> "Tensor":
        """A copy of data as a new leaf, in this tensor's dtype unless dtype is given."""
        return Tensor(data, dtype=self.dtype if dtype is None else dtype, device=device,
                      requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
        _check_device(device, "new_full")
        array = np.full(_shape_args((size,)), fill_value, _as_dtype(self._array.dtype if dtype is None else dtype))
        return _make(array, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return self.new_full(_shape_args(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return self.new_full(_shape_args(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)

    new_empty = new_zeros

    def detach_(self) -> "Tensor":
        """Cut this tensor from the graph in place: it becomes a leaf that does not require grad."""
        self.grad_fn = None
        self.requires_grad = False
        return self

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
            if self._array.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar outputs; "
                                   f"this tensor has shape {self.shape}, so pass gradient=")
            gradient = np.ones_like(self._array)
        else:
            try:
                gradient = np.array(gradient._array if isinstance(gradient, Tensor) else gradient,
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
        return RemovableHandle(hooks, hook)

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
        out = np.argmax(self._array, axis=dim, keepdims=keepdim)
        return _make(np.asarray(out, dtype=np.int64))

    def softmax(self, dim=-1) -> "Tensor":
        dim = _normalize_dim(dim, self.ndim, "softmax")
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
        start = _normalize_dim(start_dim, self.ndim, "flatten")
        end = _normalize_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise RuntimeError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
        merged = int(np.prod(self.shape[start:end + 1]))
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def transpose(self, dim0=None, dim1=None) -> "Tensor":
        if dim0 is None and dim1 is None:
            return self.T
        dim0 = _normalize_dim(dim0, self.ndim, "transpose")
        dim1 = _normalize_dim(dim1, self.ndim, "transpose")
        return _apply(ops.Transpose, self, dim0, dim1)

    def permute(self, *dims) -> "Tensor":
        dims = _shape_args(dims)
        if sorted(_normalize_dim(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
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
        """Chunks of split_size along dim (the last one may be smaller); a list of sizes also works.
        The original microtorch's default dim is -1 (torch's is 0)."""
        dim = _normalize_dim(dim, self.ndim, "split")
        length = self.shape[dim]
        if isinstance(split_size, (list, tuple)):
            if sum(split_size) != length:
                raise RuntimeError(f"split: sizes {list(split_size)} do not add up to {length} "
                                   f"(dim {dim} of {self.shape})")
            sizes = list(split_size)
        else:
            if split_size <= 0:
                raise RuntimeError(f"split: split_size must be positive, got {split_size}")
            sizes = [min(split_size, length - start) for start in range(0, length, split_size)]
        chunks, start = [], 0
        for size in sizes:
            index = (slice(None),) * dim + (slice(start, start + size),)
            chunks.append(_apply(ops.GetItem, self, index))
            start += size
        return chunks

    # ------------------------------------------------------------ indexing
    def __getitem__(self, index) -> "Tensor":
        index = _index_of(index)
        try:
            self._array[index] if _needs_probe(index) else None
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {self.shape})") from None
        return _apply(ops.GetItem, self, index)

    def __setitem__(self, index, value):
        index = _index_of(index)
        if isinstance(value, Tensor):
            value_array = value._array
        elif isinstance(value, (np.ndarray, *_SCALARS)):
            value_array = value
        else:
            raise TypeError(f"setitem: unsupported value type {type(value).__name__}")
        records = is_grad_enabled() and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
        self._check_leaf()
        try:
            probe = self._array[index]
            np.broadcast_to(value_array, probe.shape)
        except IndexError as error:
            raise IndexError(f"setitem: {error} (tensor shape {self.shape})") from None
        except ValueError:
            raise RuntimeError(f"setitem: value of shape {np.shape(value_array)} cannot be assigned "
                               f"to the selection of shape {probe.shape}") from None
        if not records:
            self._array[index] = value_array
            _engine.bump_version(self)
            return
        _engine.rebind(self, _apply(ops.SetItem, self, index, value))

    # ------------------------------------------------------------ in-place updates
    # One mechanism for every in-place op: the op runs out of place, then its result becomes this
    # tensor's value. Where autograd records nothing (no_grad, or nothing requires grad) the result
    # is written into the storage, so views and .data see it, and the version is bumped; where it
    # records (a non-leaf, or an operand that requires grad) this tensor takes the result's place
    # in the graph (_engine.rebind), which gives torch's gradients. A leaf that requires grad
    # refuses outside no_grad, as in torch.

    def _check_leaf(self):
        if self.requires_grad and self.grad_fn is None and is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    def _update(self, op, compute, casting="same_kind"):
        """Make compute()'s result (the op out of place) this tensor's value, in place."""
        self._check_leaf()
        result = compute()
        _check_in_place(op, self, result, casting)
        if result.grad_fn is None:
            np.copyto(self._array, result._array, casting="unsafe")
            _engine.bump_version(self)
        else:
            _engine.rebind(self, result if result.dtype == self.dtype else result.to(self.dtype))
        return self

    def _fill(self, op, values, casting="unsafe"):
        """values (a Tensor, or an array or number that is a constant) replace this tensor's; the
        gradient goes to values where it is a Tensor that requires grad, none to the old values."""
        if not isinstance(values, np.ndarray):
            values = _operand(values, op)
            _check_broadcast(op, self, values)
        return self._update(op, lambda: _apply(ops.Where, np.True_, values, self), casting)

    def _reshape_in_place(self, compute):
        """t_, squeeze_, ...: this tensor becomes a view of itself with another shape."""
        self._check_leaf()
        result = compute()
        if result.grad_fn is None:
            self.data = result._array  # a view of the same storage
            _engine.bump_version(self)
        else:
            _engine.rebind(self, result)
        return self

    def add_(self, other, *, alpha=1) -> "Tensor":
        """self += alpha * other, in place."""
        return self._update("add_", lambda: self + (other if alpha == 1 else other * alpha))

    def sub_(self, other, *, alpha=1) -> "Tensor":
        """self -= alpha * other, in place."""
        return self._update("sub_", lambda: self - (other if alpha == 1 else other * alpha))

    def mul_(self, other) -> "Tensor":
        return self._update("mul_", lambda: self * other)

    def div_(self, other) -> "Tensor":
        return self._update("div_", lambda: self / other)

    def pow_(self, exponent) -> "Tensor":
        return self._update("pow_", lambda: self ** exponent)

    def floor_divide_(self, other) -> "Tensor":
        """self //= other, in place; no gradient flows through it (as the rounding has none)."""
        return self._fill("floor_divide_", np.floor_divide(self._array, _array_or_scalar(_operand(other, "floor_divide_"))),
                          "same_kind")

    def remainder_(self, other) -> "Tensor":
        """self %= other, in place (Python's sign rule, as torch.remainder): self - other * floor(self / other)."""
        quotient = np.floor_divide(self._array, _array_or_scalar(_operand(other, "remainder_")))
        return self._update("remainder_", lambda: self - other * quotient)

    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_
    __ifloordiv__, __imod__ = floor_divide_, remainder_

    neg_, abs_, exp_, log_, sqrt_, relu_, sigmoid_, tanh_ = (
        _in_place_twin(name, method) for name, method in [
            ("neg_", "__neg__"), ("abs_", "abs"), ("exp_", "exp"), ("log_", "log"), ("sqrt_", "sqrt"),
            ("relu_", "relu"), ("sigmoid_", "sigmoid"), ("tanh_", "tanh")])

    def clamp_(self, min=None, max=None) -> "Tensor":
        return self._update("clamp_", lambda: self.clamp(min, max))

    clip_ = clamp_

    def clamp_min_(self, min) -> "Tensor":
        return self._update("clamp_min_", lambda: self.clamp(min=min))

    def clamp_max_(self, max) -> "Tensor":
        return self._update("clamp_max_", lambda: self.clamp(max=max))

    def addcmul_(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """self += value * tensor1 * tensor2, in place."""
        return self._update("addcmul_", lambda: self + tensor1 * tensor2 * value)

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """self += value * tensor1 / tensor2, in place."""
        return self._update("addcdiv_", lambda: self + tensor1 / tensor2 * value)

    def lerp_(self, end, weight) -> "Tensor":
        """self += weight * (end - self), in place."""
        return self._update("lerp_", lambda: self + (end - self) * weight)

    def masked_fill_(self, mask, value) -> "Tensor":
        return self._update("masked_fill_", lambda: self.masked_fill(mask, value))

    def index_fill_(self, dim, index, value) -> "Tensor":
        """value at the positions index (1-D integers) along dim, in place."""
        dim = _normalize_dim(dim, self.ndim, "index_fill_")
        index = _int_index(index, "index_fill_")
        length = self.shape[dim] if self.ndim else 1
        _check_index_range(index, length, "index_fill_", dim)
        chosen = np.zeros(length, dtype=bool)
        chosen[index.reshape(-1)] = True
        return self.masked_fill_(chosen.reshape((-1,) + (1,) * (self.ndim - dim - 1)), value)

    def copy_(self, source) -> "Tensor":
        """source's values (broadcast, cast to this tensor's dtype) written into this tensor."""
        return self._fill("copy_", source)

    def fill_(self, value) -> "Tensor":
        return self._fill("fill_", value)

    def zero_(self) -> "Tensor":
        return self._fill("zero_", 0)

    # the random fills: values from microtorch's generator (or `generator=`), no gradient
    def uniform_(self, a=0.0, b=1.0, *, generator=None) -> "Tensor":
        return self._fill("uniform_", _numpy_rng(generator).uniform(a, b, self.shape))

    def normal_(self, mean=0.0, std=1.0, *, generator=None) -> "Tensor":
        return self._fill("normal_", _numpy_rng(generator).normal(mean, std, self.shape))

    def exponential_(self, lambd=1.0, *, generator=None) -> "Tensor":
        return self._fill("exponential_", _numpy_rng(generator).exponential(1.0 / lambd, self.shape))

    def bernoulli_(self, p=0.5, *, generator=None) -> "Tensor":
        """1 with probability p (a number, or a tensor of probabilities broadcast to self), else 0."""
        return self._fill("bernoulli_", _numpy_rng(generator).random(self.shape) < _array_or_scalar(p))

    def random_(self, low=None, high=None, *, generator=None) -> "Tensor":
        """Integers uniform in [low, high); random_(high) is [0, high); random_() spans the integers
        the dtype holds exactly (2**24 for float32, 2**53 for float64, as torch)."""
        if high is None:
            low, high = 0, low
        if high is None:
            kind, bits = self.dtype.kind, {"e": 11, "f": 24, "d": 53}.get(self.dtype.char)
            high = 2 if kind == "b" else (1 << bits) + 1 if kind == "f" else int(np.iinfo(self._array.dtype).max)
        return self._fill("random_", _numpy_rng(generator).integers(low, high, self.shape))

    def t_(self) -> "Tensor":
        return self._reshape_in_place(self.t)

    def transpose_(self, dim0, dim1) -> "Tensor":
        return self._reshape_in_place(lambda: self.transpose(dim0, dim1))

    def squeeze_(self, dim=None) -> "Tensor":
        return self._reshape_in_place(lambda: self.squeeze(dim))

    def unsqueeze_(self, dim) -> "Tensor":
        return self._reshape_in_place(lambda: self.unsqueeze(dim))

    # ------------------------------------------------------------ more tensor ops (sqrt ... tril, comparisons)
    def sqrt(self) -> "Tensor":
        return _apply(ops.Sqrt, self)

    def abs(self) -> "Tensor":
        return _apply(ops.Abs, self)

    __abs__ = abs

    def clamp(self, min=None, max=None) -> "Tensor":
        """Clip values to [min, max]; either bound may be None."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, _SCALARS):
                raise TypeError(f"clamp: {name} must be a number or None, got {type(bound).__name__}")
        return _apply(ops.Clamp, self, min, max)

    clip = clamp

    def maximum(self, other) -> "Tensor":
        """Elementwise maximum; ties share the gradient equally, as in PyTorch."""
        other = _operand(other, "maximum")
        _check_broadcast("maximum", self, other)
        return _apply(ops.Maximum, self, other)

    def minimum(self, other) -> "Tensor":
        other = _operand(other, "minimum")
        _check_broadcast("minimum", self, other)
        return _apply(ops.Minimum, self, other)

    def where(self, condition, other) -> "Tensor":
        """self where condition is True, other elsewhere (Tensor.where, as in PyTorch)."""
        return _apply(ops.Where, *_where_args(condition, self, other))

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
        return _apply(ops.Where, mask, fill, self)

    def tril(self, diagonal=0) -> "Tensor":
        return _apply(ops.Triangle, self, _triangle_args(self, diagonal, "tril"), False)

    def triu(self, diagonal=0) -> "Tensor":
        return _apply(ops.Triangle, self, _triangle_args(self, diagonal, "triu"), True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """The minimum values (values only, like max); the gradient goes where max's would for -self."""
        dim, keepdim = _reduction_args(self, "min", dim, keepdim, axis, keepdims)
        if self._array.size == 0:
            raise RuntimeError(f"min: cannot reduce an empty tensor of shape {self.shape}")
        return -_apply(ops.Max, -self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        dim, keepdim = _reduction_args(self, "argmin", dim, keepdim, axis, keepdims)
        if isinstance(dim, tuple):
            raise TypeError("argmin: dim must be an int or None")
        out = np.argmin(self._array, axis=dim, keepdims=keepdim)
        return _make(np.asarray(out, dtype=np.int64))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> "Tensor":
        """Variance over dim; divides by n - correction (correction=1, i.e. unbiased, by default)."""
        if isinstance(dim, list):
            dim = tuple(dim)
        dim = _normalize_dim(dim, self.ndim, "var")
        if unbiased is not None and correction is not None:
            raise TypeError("var: pass either unbiased or correction, not both")
        correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
        if self.dtype.kind not in "fc":
            raise TypeError(f"var: expected a floating point tensor, got dtype {self.dtype}")
        return _apply(ops.Var, self, dim, correction, bool(keepdim))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> "Tensor":
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def squeeze(self, dim=None) -> "Tensor":
        """Drop dims of size 1 (all of them, or those named by dim that have size 1)."""
        if dim is None:
            dims = range(self.ndim)
        else:
            dims = _normalize_dim(tuple(dim) if isinstance(dim, list) else dim, self.ndim, "squeeze")
            dims = dims if isinstance(dims, tuple) else (dims,)
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self if shape == self.shape else _apply(ops.Reshape, self, shape)

    def unsqueeze(self, dim) -> "Tensor":
        """Insert a dim of size 1 at position dim (dim may be -ndim-1 ... ndim)."""
        dim = _normalize_dim(dim, self.ndim + 1, "unsqueeze")
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
        return _apply(ops.Expand, self, shape)

    def expand_as(self, other) -> "Tensor":
        return self.expand(other.shape)

    def gather(self, dim, index) -> "Tensor":
        """out[..., i, ...] = self[..., index[..., i, ...], ...] along dim (torch.gather)."""
        dim = _normalize_dim(dim, self.ndim, "gather")
        index = _int_index(index, "gather")
        if index.ndim != self.ndim:
            raise RuntimeError(f"gather: index {index.shape} and input {self.shape} must have the same number of dims")
        if any(i != dim and n > m for i, (n, m) in enumerate(zip(index.shape, self.shape))):
            raise RuntimeError(f"gather: index {index.shape} is larger than input {self.shape} "
                               f"in a dim other than {dim}")
        _check_index_range(index, self.shape[dim], "gather", dim)
        return _apply(ops.Gather, self, dim, index)

    def index_select(self, dim, index) -> "Tensor":
        """The entries at index (1-D integers) along dim."""
        dim = _normalize_dim(dim, self.ndim, "index_select")
        index = _int_index(index, "index_select")
        if index.ndim > 1:
            raise RuntimeError(f"index_select: index must be 1-D, got shape {index.shape}")
        _check_index_range(index, self.shape[dim] if self.ndim else 1, "index_select", dim)
        return _apply(ops.IndexSelect, self, dim, index.reshape(-1))

    def chunk(self, chunks, dim=0) -> list["Tensor"]:
        """Split into at most `chunks` pieces of equal size (the last may be smaller)."""
        if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
            raise RuntimeError(f"chunk: chunks must be a positive int, got {chunks!r}")
        length = self.shape[_normalize_dim(dim, self.ndim, "chunk")]
        return self.split(max(-(-length // chunks), 1), dim)

    # comparisons give bool tensors outside the graph
    def _compare(self, other, ufunc, name):
        if not isinstance(other, (Tensor, np.ndarray, *_SCALARS)):
            return NotImplemented  # `t == None` is False, `t < "a"` a TypeError, as for other objects
        _check_broadcast(name, self, other)
        return _make(ufunc(self._array, other._array if isinstance(other, Tensor) else other))

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


_engine.register_tensor_class(Tensor)
