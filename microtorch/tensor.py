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
                                _index_of, _int_index, _needs_probe, _normalize_dim, _operand, _reduction_args,
                                _shape_args, _triangle_args, _where_args)
from microtorch._grad_mode import is_grad_enabled
from microtorch._hooks import RemovableHandle
from microtorch._promotion import _promote

_apply = _engine.apply
_make = _engine.make_tensor


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
        if array.dtype == np.float64 and not isinstance(data, np.generic):
            array = array.astype(np.float32)  # Python floats default to float32, as in torch
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
        """The gradient accumulated by backward, a Tensor, or None.

        Only leaves that require grad (and tensors that called ``retain_grad()``) keep one.
        Assign a Tensor, an array or None to replace it.
        """
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
    dtype = property(lambda self: self._array.dtype, doc="The numpy dtype.")
    ndim = property(lambda self: self._array.ndim, doc="The number of dimensions.")

    def size(self, dim=None):
        """The shape, or the length of one dimension."""
        return self.shape if dim is None else self.shape[_normalize_dim(dim, self.ndim, "size")]

    def dim(self):
        """Return the number of dimensions (``ndim``).

        Returns
        -------
        int
        """
        return self.ndim

    def numel(self):
        """Return the number of elements.

        Returns
        -------
        int
        """
        return self._array.size

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        body = np.array2string(self._array, separator=" ", prefix="Tensor(")
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
        """Return the values as (nested) Python lists, or a number for a 0-d tensor.

        Returns
        -------
        list or number

        Examples
        --------
        >>> import microtorch as torch
        >>> torch.tensor([[1, 2], [3, 4]]).tolist()
        [[1, 2], [3, 4]]
        """
        return self._array.tolist()

    def item(self):
        """Return the value of a one-element tensor as a Python number.

        Returns
        -------
        int, float or bool

        Notes
        -----
        Raises RuntimeError for tensors with more than one element, as in PyTorch.
        """
        if self._array.size != 1:
            raise RuntimeError(f"item(): a Tensor with {self._array.size} elements cannot be "
                               "converted to a Python scalar")
        return self._array.item()

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (in-place edits of either are still tracked)."""
        return _engine.detach(self)

    def clone(self) -> "Tensor":
        """Return a copy with its own data; the gradient flows back to self.

        Returns
        -------
        Tensor
        """
        return _apply(ops._Clone, self)

    def to(self, dtype) -> "Tensor":
        """Return the tensor converted to ``dtype`` (self itself when it already has it).

        Parameters
        ----------
        dtype : numpy dtype or microtorch dtype (``microtorch.float64``, ...)

        Returns
        -------
        Tensor

        Notes
        -----
        Only dtypes: microtorch runs on the CPU, so ``to('cuda')`` and devices are not accepted.
        """
        dtype = _as_dtype(dtype)
        return self if dtype == self.dtype else _apply(ops._Cast, self, dtype)

    def float(self) -> "Tensor":
        """Return the tensor as float32: ``self.to(microtorch.float32)``.

        Returns
        -------
        Tensor
        """
        return self.to(np.float32)

    def double(self) -> "Tensor":
        """Return the tensor as float64: ``self.to(microtorch.float64)``.

        Returns
        -------
        Tensor
        """
        return self.to(np.float64)

    def long(self) -> "Tensor":
        """Return the tensor as int64: ``self.to(microtorch.int64)``.

        Returns
        -------
        Tensor
        """
        return self.to(np.int64)

    def requires_grad_(self, requires_grad=True) -> "Tensor":
        """Set ``requires_grad`` in place and return self.

        Parameters
        ----------
        requires_grad : bool, default True

        Returns
        -------
        Tensor
        """
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
        """Return the matrix product ``self @ other``, with numpy's (and torch's) batching rules.

        Parameters
        ----------
        other : Tensor

        Returns
        -------
        Tensor
        """
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
        """Return the sum of the elements, over all dims or along ``dim``.

        Parameters
        ----------
        dim : int or tuple of int, optional
            The dims to reduce; all of them when omitted (``axis`` is accepted too).
        keepdim : bool, default False
            Keep each reduced dim with size 1 (``keepdims`` is accepted too).

        Returns
        -------
        Tensor

        Examples
        --------
        >>> import microtorch as torch
        >>> torch.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(1).tolist()
        [3.0, 7.0]
        """
        dim, keepdim = _reduction_args(self, "sum", dim, keepdim, axis, keepdims)
        return _apply(ops.Sum, self, dim, keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """Return the mean of the elements, over all dims or along ``dim``.

        Parameters
        ----------
        dim : int or tuple of int, optional
            The dims to reduce; all of them when omitted (``axis`` is accepted too).
        keepdim : bool, default False
            Keep each reduced dim with size 1 (``keepdims`` is accepted too).

        Returns
        -------
        Tensor
        """
        dim, keepdim = _reduction_args(self, "mean", dim, keepdim, axis, keepdims)
        return _apply(ops.Mean, self, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """The maximum values (the original microtorch returns values only, not indices)."""
        dim, keepdim = _reduction_args(self, "max", dim, keepdim, axis, keepdims)
        return _apply(ops.Max, self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """Return the index of the largest value (of the flattened tensor, or along ``dim``).

        Parameters
        ----------
        dim : int, optional
        keepdim : bool, default False
            Keep each reduced dim with size 1 (``keepdims`` is accepted too).

        Returns
        -------
        Tensor
            int64; not differentiable.
        """
        dim, keepdim = _reduction_args(self, "argmax", dim, keepdim, axis, keepdims)
        if isinstance(dim, tuple):
            raise TypeError("argmax: dim must be an int or None")
        out = np.argmax(self._array, axis=dim, keepdims=keepdim)
        return _make(np.asarray(out, dtype=np.int64))

    def softmax(self, dim=-1) -> "Tensor":
        """Return softmax along ``dim``: positive values that sum to 1 there.

        Parameters
        ----------
        dim : int, default -1

        Returns
        -------
        Tensor
        """
        dim = _normalize_dim(dim, self.ndim, "softmax")
        return _apply(ops.Softmax, self, dim)

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape) -> "Tensor":
        """Return the same values in a new shape (one dim may be -1).

        Parameters
        ----------
        *shape : int or tuple of int

        Returns
        -------
        Tensor

        Examples
        --------
        >>> import microtorch as torch
        >>> torch.arange(6).reshape(2, 3).shape
        (2, 3)
        """
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
        """Return the tensor with dims ``dim0`` and ``dim1`` swapped (``.T`` when both are omitted).

        Parameters
        ----------
        dim0 : int, optional
        dim1 : int, optional

        Returns
        -------
        Tensor
        """
        if dim0 is None and dim1 is None:
            return self.T
        dim0 = _normalize_dim(dim0, self.ndim, "transpose")
        dim1 = _normalize_dim(dim1, self.ndim, "transpose")
        return _apply(ops.Transpose, self, dim0, dim1)

    def permute(self, *dims) -> "Tensor":
        """Return the tensor with its dims reordered.

        Parameters
        ----------
        *dims : int or tuple of int
            A permutation of the dims.

        Returns
        -------
        Tensor
        """
        dims = _shape_args(dims)
        if sorted(_normalize_dim(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dimensions")
        return _apply(ops.Permute, self, tuple(d % max(self.ndim, 1) for d in dims))

    @property
    def T(self) -> "Tensor":
        """All dimensions reversed (a matrix transpose for 2-D tensors)."""
        return _apply(ops.Permute, self, tuple(range(self.ndim - 1, -1, -1)))

    def t(self) -> "Tensor":
        """Return the transpose of a tensor with at most 2 dims.

        Returns
        -------
        Tensor
        """
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
        if records and self.is_leaf and self.requires_grad:
            raise RuntimeError("setitem: a leaf tensor that requires grad cannot be modified in place; "
                               "use `with microtorch.no_grad():` to change its values")
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
        self._take_place_of(_apply(ops.SetItem, self, index, value))

    def _take_place_of(self, result):
        """Become result in the graph: how an in-place change is recorded. The old array is not
        written to, so a node that saved it still backpropagates through the old values."""
        self.data = result._array if result.dtype == self.dtype else result._array.astype(self.dtype)
        self.grad_fn = result.grad_fn
        self.requires_grad = True  # also when only the other operand required grad

    # ------------------------------------------------------------ in-place updates
    def _augmented(self, op, in_place, out_of_place, other):
        """x += y and its kin, as in torch: the tensor itself changes. Where autograd records nothing
        (no_grad, or nothing requires grad) its storage is written and its version bumped; otherwise
        the op runs out of place and this tensor takes the result's place in the graph."""
        records = is_grad_enabled() and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))
        if not records:
            return in_place(self, other)
        if self.is_leaf and self.requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        _check_in_place(op, self, other)
        self._take_place_of(out_of_place(self, other))
        return self

    def _in_place(self, op, update, operand):
        if is_grad_enabled() and self.requires_grad:
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be modified in place while grad "
                               "mode is on; wrap the update in `with microtorch.no_grad():`")
        _check_in_place(op, self, operand)
        update(self._array)
        _engine.bump_version(self)
        return self

    def add_(self, other) -> "Tensor":
        """Add ``other`` to self in place.

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            self.

        Notes
        -----
        In place: bumps the tensor's version counter, so a graph that saved the old values refuses to backpropagate.
        """
        return self._in_place("add_", lambda data: np.add(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def sub_(self, other) -> "Tensor":
        """Subtract ``other`` from self in place.

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            self.

        Notes
        -----
        In place: bumps the tensor's version counter, so a graph that saved the old values refuses to backpropagate.
        """
        return self._in_place("sub_", lambda data: np.subtract(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def mul_(self, other) -> "Tensor":
        """Multiply self by ``other`` in place.

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            self.

        Notes
        -----
        In place: bumps the tensor's version counter, so a graph that saved the old values refuses to backpropagate.
        """
        return self._in_place("mul_", lambda data: np.multiply(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def div_(self, other) -> "Tensor":
        """Divide self by ``other`` in place.

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            self.

        Notes
        -----
        In place: bumps the tensor's version counter, so a graph that saved the old values refuses to backpropagate.
        """
        return self._in_place("div_", lambda data: np.divide(data, _array_or_scalar(other), out=data, casting="unsafe"), other)

    def __iadd__(self, other) -> "Tensor":
        return self._augmented("add_", Tensor.add_, Tensor.__add__, other)

    def __isub__(self, other) -> "Tensor":
        return self._augmented("sub_", Tensor.sub_, Tensor.__sub__, other)

    def __imul__(self, other) -> "Tensor":
        return self._augmented("mul_", Tensor.mul_, Tensor.__mul__, other)

    def __itruediv__(self, other) -> "Tensor":
        return self._augmented("div_", Tensor.div_, Tensor.__truediv__, other)

    def copy_(self, source) -> "Tensor":
        """Copy ``source``'s values into self in place (broadcast, cast to self's dtype).

        Parameters
        ----------
        source : Tensor, array or number

        Returns
        -------
        Tensor
            self.

        Notes
        -----
        In place: bumps the tensor's version counter, so a graph that saved the old values refuses to backpropagate.
        """
        return self._in_place("copy_", lambda data: np.copyto(data, _array_or_scalar(source), casting="unsafe"), source)

    def fill_(self, value) -> "Tensor":
        """Fill self with ``value`` in place.

        Parameters
        ----------
        value : number

        Returns
        -------
        Tensor
            self.

        Notes
        -----
        In place: bumps the tensor's version counter, so a graph that saved the old values refuses to backpropagate.
        """
        return self._in_place("fill_", lambda data: data.fill(value), value)

    def zero_(self) -> "Tensor":
        """Fill self with zeros in place.

        Returns
        -------
        Tensor
            self.

        Notes
        -----
        In place: bumps the tensor's version counter, so a graph that saved the old values refuses to backpropagate.
        """
        return self._in_place("zero_", lambda data: data.fill(0), 0)

    # ------------------------------------------------------------ more tensor ops (sqrt ... tril, comparisons)
    def sqrt(self) -> "Tensor":
        """Return the elementwise square root.

        Returns
        -------
        Tensor
        """
        return _apply(ops.Sqrt, self)

    def abs(self) -> "Tensor":
        """Return the elementwise absolute value.

        Returns
        -------
        Tensor
        """
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
        """Return the elementwise minimum with ``other``; ties share the gradient equally, as in PyTorch.

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
        """
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
        """Return the lower triangle of the last two dims, zeros above ``diagonal``.

        Parameters
        ----------
        diagonal : int, default 0

        Returns
        -------
        Tensor
        """
        return _apply(ops.Triangle, self, _triangle_args(self, diagonal, "tril"), False)

    def triu(self, diagonal=0) -> "Tensor":
        """Return the upper triangle of the last two dims, zeros below ``diagonal``.

        Parameters
        ----------
        diagonal : int, default 0

        Returns
        -------
        Tensor
        """
        return _apply(ops.Triangle, self, _triangle_args(self, diagonal, "triu"), True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """The minimum values (values only, like max); the gradient goes where max's would for -self."""
        dim, keepdim = _reduction_args(self, "min", dim, keepdim, axis, keepdims)
        if self._array.size == 0:
            raise RuntimeError(f"min: cannot reduce an empty tensor of shape {self.shape}")
        return -_apply(ops.Max, -self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """Return the index of the smallest value (of the flattened tensor, or along ``dim``).

        Parameters
        ----------
        dim : int, optional
        keepdim : bool, default False
            Keep each reduced dim with size 1 (``keepdims`` is accepted too).

        Returns
        -------
        Tensor
            int64; not differentiable.
        """
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
        """Return the standard deviation, over all dims or along ``dim``.

        Parameters
        ----------
        dim : int or tuple of int, optional
            The dims to reduce; all of them when omitted (``axis`` is accepted too).
        unbiased : bool, optional
            Divide by N - 1 (the default) or by N.
        keepdim : bool, default False
            Keep each reduced dim with size 1 (``keepdims`` is accepted too).
        correction : int, optional
            Divide by N - correction; overrides ``unbiased``.

        Returns
        -------
        Tensor
        """
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
        """Return the tensor broadcast to ``other``'s shape: ``self.expand(other.shape)``.

        Parameters
        ----------
        other : Tensor

        Returns
        -------
        Tensor
        """
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
        """Return ``self < other`` elementwise, as a bool tensor (``lt``).

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            bool; not differentiable.
        """
        return self._compare(other, np.less, "lt")

    def __le__(self, other):
        """Return ``self <= other`` elementwise, as a bool tensor (``le``).

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            bool; not differentiable.
        """
        return self._compare(other, np.less_equal, "le")

    def __gt__(self, other):
        """Return ``self > other`` elementwise, as a bool tensor (``gt``).

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            bool; not differentiable.
        """
        return self._compare(other, np.greater, "gt")

    def __ge__(self, other):
        """Return ``self >= other`` elementwise, as a bool tensor (``ge``).

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            bool; not differentiable.
        """
        return self._compare(other, np.greater_equal, "ge")

    def __eq__(self, other):
        """Return ``self == other`` elementwise, as a bool tensor (``eq``).

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            bool; not differentiable.
        """
        return self._compare(other, np.equal, "eq")

    def __ne__(self, other):
        """Return ``self != other`` elementwise, as a bool tensor (``ne``).

        Parameters
        ----------
        other : Tensor or number
            Broadcast against self.

        Returns
        -------
        Tensor
            bool; not differentiable.
        """
        return self._compare(other, np.not_equal, "ne")

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__


_engine.register_tensor_class(Tensor)
