"""Tensor: a numpy array that records the ops applied to it.

The arithmetic lives in microtorch.ops (one Function per op); this class checks arguments
(microtorch._checks), applies torch's type promotion (microtorch._promotion) and hands each
op to the compiled engine (microtorch._engine.apply), which records it for backward.
"""
from numbers import Number
from typing import Callable

import numpy as np

from microtorch import _engine, linalg, ops, return_types
from microtorch._checks import (_SCALARS, _array_or_scalar, _as_array, _as_dtype, _bool_mask, _broadcasts_to,
                                _check_batch_product, _check_broadcast, _check_in_place, _check_index_range,
                                _check_matmul, _check_matrix_product, _check_matrix_vector, _check_reshape,
                                _check_vectors, _describe, _index_of, _int_index, _needs_probe, _normalize_dim,
                                _operand, _reduction_args, _shape_args, _triangle_args, _where_args)
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


def _binary_method(fn, name, to_float=False):
    """A method applying the two-input op fn with broadcasting and torch's type promotion;
    to_float: integer operands give a float32 result, as in torch."""
    def method(self, other):
        other = _operand(other, name)
        _check_broadcast(name, self, other)
        a, b = _promote(name, self, other)
        if to_float and a.dtype.kind not in "fc":
            a, b = a.float(), (b.float() if isinstance(b, Tensor) else b)
        return _apply(fn, a, b)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"Elementwise {name}(self, other), broadcast, recorded for autograd (ops.{fn.__name__})."
    return method


def _integral_unary(fn):
    """A rounding method: an integer tensor is already whole, so it is returned as a copy."""
    fast = _engine.unary_method(fn)

    def method(self):
        return fast(self) if self.dtype.kind in "fc" else _apply(ops._Clone, self)

    method.__name__ = method.__qualname__ = fast.__name__
    method.__doc__ = fast.__doc__
    return method


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
        """The ndarray itself for ``np.asarray(t)`` (shared memory); a copy when copy=True or a dtype differs."""
        if copy is False and dtype is not None and np.dtype(dtype) != self.dtype:
            raise ValueError(f"np.asarray: a Tensor of dtype {self.dtype} cannot become {np.dtype(dtype)} without "
                             "copying (copy=False)")
        array = self._array if dtype is None else self._array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """Export the data as a DLPack capsule (no copy), for ``np.from_dlpack`` / ``torch.from_dlpack``."""
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {"max_version": max_version, "dl_device": dl_device, "copy": copy}
        return self._array.__dlpack__(stream=stream, **{k: v for k, v in kwargs.items() if v is not None})

    def __dlpack_device__(self):
        """(device type, device id) for DLPack: always the CPU, (1, 0)."""
        return self._array.__dlpack_device__()

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

    def numpy(self, *, force=False):
        """The underlying ndarray, sharing memory and dtype, as ``torch.Tensor.numpy``.

        Parameters
        ----------
        force : bool, optional
            If True, a copy.

        Notes
        -----
        torch refuses ``numpy()`` on a tensor that requires grad; microtorch allows it (the
        original library's code relies on it).
        """
        return self._array.copy() if force else self._array

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

    # ------------------------------------------------------------ matrix products (mm ... baddbmm)
    def _product(self, other, op, check):
        check(op, self, other)
        if self.dtype != other.dtype:
            raise RuntimeError(f"{op}: expected both operands to have the same dtype, but got: {self.dtype} != "
                               f"{other.dtype} (convert one with .to(), .float() or .double())")
        return _apply(ops.MatMul, self, other)

    def mm(self, mat2) -> "Tensor":
        """The matrix product of two 2-D tensors (no broadcasting: see matmul for that)."""
        return self._product(mat2, "mm", _check_matrix_product)

    def bmm(self, mat2) -> "Tensor":
        """Batched matrix product: (b, n, m) @ (b, m, p) gives (b, n, p), no broadcasting."""
        return self._product(mat2, "bmm", _check_batch_product)

    def dot(self, other) -> "Tensor":
        """The inner product of two 1-D tensors of the same length (a 0-d tensor)."""
        return self._product(other, "dot", _check_vectors)

    def mv(self, vec) -> "Tensor":
        """The product of a matrix (n, m) and a vector (m,), a vector (n,)."""
        return self._product(vec, "mv", _check_matrix_vector)

    def inner(self, other) -> "Tensor":
        """Products summed over the last dim of self and of other (dot for 1-D tensors); the other
        dims of self, then of other, remain."""
        if not isinstance(other, Tensor):
            raise TypeError(f"inner(): argument 'other' must be Tensor, not {type(other).__name__}")
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1] or self.dtype != other.dtype:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                               f"{list(self.shape)} and {list(other.shape)} (dtypes {self.dtype}, {other.dtype})")
        left, right = "abcdefgh"[:self.ndim - 1], "ijklmnop"[:other.ndim - 1]
        return _apply(ops.Einsum, f"{left}z,{right}z->{left}{right}", self, other)

    def vdot(self, other) -> "Tensor":
        """dot, for real tensors."""
        return self.dot(other)

    def outer(self, vec2) -> "Tensor":
        """The outer product of two 1-D tensors: out[i, j] = self[i] * vec2[j]."""
        _check_vectors("outer", self, vec2)
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * (mat1 @ mat2); self broadcasts to the product's shape (beta=0 ignores it)."""
        return self._scaled_sum(Tensor.mm(mat1, mat2), "addmm", beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * (batch1 @ batch2), batched (see bmm)."""
        return self._scaled_sum(Tensor.bmm(batch1, batch2), "baddbmm", beta, alpha)

    def inverse(self) -> "Tensor":
        """The inverse of a square matrix (or a batch of them): microtorch.linalg.inv."""
        return linalg.inv(self)

    def det(self) -> "Tensor":
        """The determinant of a square matrix (or a batch of them): microtorch.linalg.det."""
        return linalg.det(self)

    def _scaled_sum(self, product, op, beta, alpha):
        if not _broadcasts_to(self.shape, product.shape):
            raise RuntimeError(f"{op}: the tensor of shape {self.shape} cannot be expanded to the product's shape "
                               f"{product.shape}")
        product = product if alpha == 1 else product * alpha
        if beta == 0:  # self is ignored, nan and inf included, and gets a zero gradient, as in torch
            return _apply(ops.Where, np.zeros(product.shape, dtype=bool), self, product)
        return product + (self if beta == 1 else self * beta)

    # ------------------------------------------------------------ elementwise
    # Made by the engine: the same as `def exp(self): return _apply(ops.Exp, self)`, minus a Python frame.
    exp: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Exp)
    log: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Log)
    sigmoid: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Sigmoid)
    tanh: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.Tanh)
    relu: Callable[["Tensor"], "Tensor"] = _engine.unary_method(ops.ReLU)

    # ------------------------------------------------------------ elementwise math (sin ... nan_to_num)
    # Integer and bool inputs give float32 results, as in torch (the ops convert them).
    sin = _engine.unary_method(ops.Sin)
    cos = _engine.unary_method(ops.Cos)
    tan = _engine.unary_method(ops.Tan)
    asin = arcsin = _engine.unary_method(ops.Asin)
    acos = arccos = _engine.unary_method(ops.Acos)
    atan = arctan = _engine.unary_method(ops.Atan)
    sinh = _engine.unary_method(ops.Sinh)
    cosh = _engine.unary_method(ops.Cosh)
    asinh = arcsinh = _engine.unary_method(ops.Asinh)
    acosh = arccosh = _engine.unary_method(ops.Acosh)
    atanh = arctanh = _engine.unary_method(ops.Atanh)
    exp2 = _engine.unary_method(ops.Exp2)
    expm1 = _engine.unary_method(ops.Expm1)
    log2 = _engine.unary_method(ops.Log2)
    log10 = _engine.unary_method(ops.Log10)
    log1p = _engine.unary_method(ops.Log1p)
    rsqrt = _engine.unary_method(ops.Rsqrt)
    reciprocal = _engine.unary_method(ops.Reciprocal)
    erf = _engine.unary_method(ops.Erf)
    erfc = _engine.unary_method(ops.Erfc)
    frac = _engine.unary_method(ops.Frac)
    # These keep an integer tensor's dtype, as in torch.
    square = _engine.unary_method(ops.Square)
    sign = sgn = _engine.unary_method(ops.Sign)
    floor = _integral_unary(ops.Floor)
    ceil = _integral_unary(ops.Ceil)
    trunc = fix = _integral_unary(ops.Trunc)

    # the named forms of + - * / and their kin
    def add(self, other, *, alpha=1) -> "Tensor":
        """self + alpha * other."""
        return self + (other if alpha == 1 else _operand(other, "add") * alpha)

    def sub(self, other, *, alpha=1) -> "Tensor":
        """self - alpha * other."""
        return self - (other if alpha == 1 else _operand(other, "sub") * alpha)

    subtract = sub

    def rsub(self, other, *, alpha=1) -> "Tensor":
        """other - alpha * self."""
        return other - (self if alpha == 1 else self * alpha)

    def mul(self, other) -> "Tensor":
        """self * other."""
        return self * other

    multiply = mul

    def div(self, other, *, rounding_mode=None) -> "Tensor":
        """self / other; rounding_mode "trunc" or "floor" rounds the quotient (its gradient is then 0,
        and integer operands give an integer result, as in torch)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                             f"'{rounding_mode}'")
        other = _operand(other, "div")
        if self.dtype.kind in "biu" and np.asarray(_array_or_scalar(other)).dtype.kind in "biu":
            _check_broadcast("div", self, other)
            a, b = self._array, _array_or_scalar(other)
            if (np.asarray(b) == 0).any():
                raise ZeroDivisionError("div: integer division by zero")
            exact = np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(a / b)
            quotient = exact.astype(np.result_type(a, b))
            return _make(np.asarray(quotient))
        quotient = self / other
        return quotient.floor() if rounding_mode == "floor" else quotient.trunc()

    divide = true_divide = div

    def floor_divide(self, other) -> "Tensor":
        """self // other: the quotient rounded down (gradient 0)."""
        return self.div(other, rounding_mode="floor")

    __floordiv__ = floor_divide

    def __rfloordiv__(self, other) -> "Tensor":
        other = _operand(other, "floor_divide")
        return _make(np.asarray(other)).div(self, rounding_mode="floor") if not isinstance(other, Tensor) else \
            other.div(self, rounding_mode="floor")

    def addcmul(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """self + value * tensor1 * tensor2."""
        product = tensor1 * tensor2
        return self + (product if value == 1 else product * value)

    def addcdiv(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """self + value * tensor1 / tensor2."""
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else quotient * value)

    def clamp_min(self, min) -> "Tensor":
        """clamp(min=min)."""
        return self.clamp(min=min)

    def clamp_max(self, max) -> "Tensor":
        """clamp(max=max)."""
        return self.clamp(max=max)

    def neg(self) -> "Tensor":
        """-self, elementwise."""
        return _apply(ops.Neg, self)

    negative = neg

    def round(self, decimals=0) -> "Tensor":
        """Round half to even, to `decimals` decimal places (negative: to tens, hundreds, ...); gradient 0."""
        if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
            raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
        return _apply(ops.Round, self, int(decimals)) if self.dtype.kind in "fc" else _apply(ops._Clone, self)

    def pow(self, exponent) -> "Tensor":
        """self ** exponent; exponent may be a number or a tensor that broadcasts with self."""
        return self ** exponent

    atan2 = arctan2 = _binary_method(ops.Atan2, "atan2", to_float=True)
    hypot = _binary_method(ops.Hypot, "hypot", to_float=True)
    logaddexp = _binary_method(ops.LogAddExp, "logaddexp", to_float=True)
    xlogy = _binary_method(ops.Xlogy, "xlogy", to_float=True)
    fmod = _binary_method(ops.Fmod, "fmod")
    remainder = _binary_method(ops.Remainder, "remainder")

    def __mod__(self, other) -> "Tensor":
        return self.remainder(other)

    def __rmod__(self, other) -> "Tensor":
        other = _operand(other, "remainder")
        _check_broadcast("remainder", other, self)
        return _apply(ops.Remainder, *_promote("remainder", other, self))

    def lerp(self, end, weight) -> "Tensor":
        """self + weight * (end - self); weight is a number or a tensor that broadcasts."""
        end, weight = _operand(end, "lerp"), _operand(weight, "lerp")
        if not isinstance(end, Tensor):
            raise TypeError(f"lerp(): argument 'end' must be Tensor, not {type(end).__name__}")
        _check_broadcast("lerp", self, end, weight, names=("input", "end", "weight"))
        if isinstance(weight, Tensor) and weight.dtype != self.dtype or end.dtype != self.dtype:
            raise RuntimeError(f"lerp: expected input, end and weight of the same dtype, got {self.dtype}, "
                               f"{end.dtype} and {getattr(weight, 'dtype', 'a number')}")
        return _apply(ops.Lerp, self, end, weight)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None) -> "Tensor":
        """nan, +inf and -inf replaced by nan, posinf and neginf (by default 0 and the dtype's largest
        and lowest finite values); the gradient passes where self was finite."""
        return _apply(ops.NanToNum, self, nan, posinf, neginf)

    def isnan(self) -> "Tensor":
        """A bool tensor: True where self is nan."""
        return _make(np.isnan(self._array))

    def isinf(self) -> "Tensor":
        """A bool tensor: True where self is +inf or -inf."""
        return _make(np.isinf(self._array))

    def isfinite(self) -> "Tensor":
        """A bool tensor: True where self is neither nan nor infinite."""
        return _make(np.isfinite(self._array))

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> "Tensor":
        """The sum over dim (an int or a tuple; all dims by default); dtype converts self first."""
        x = self if dtype is None else self.to(dtype)
        dim, keepdim = _reduction_args(x, "sum", dim, keepdim, axis, keepdims)
        return _apply(ops.Sum, x, dim, keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> "Tensor":
        """The mean over dim (an int or a tuple; all dims by default); dtype converts self first."""
        x = self if dtype is None else self.to(dtype)
        dim, keepdim = _reduction_args(x, "mean", dim, keepdim, axis, keepdims)
        return _apply(ops.Mean, x, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """The maximum values over dim (all dims by default); x.max(other_tensor) is maximum(x, other).

        Notes
        -----
        Differs from PyTorch: with a dim, the original microtorch returns the values only, and this
        method keeps that (x.max(1) is torch's x.max(1).values). For torch's (values, indices) named
        tuple call microtorch.max(x, dim), or x.argmax(dim) for the indices.
        """
        if isinstance(dim, Tensor):
            return self.maximum(dim)
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

    # ------------------------------------------------------------ more reductions (prod ... unique)
    def log_softmax(self, dim=-1) -> "Tensor":
        """log(softmax(self)) along dim, computed stably in one op."""
        return _apply(ops.LogSoftmax, self, _normalize_dim(dim, self.ndim, "log_softmax"))

    def nansum(self, dim=None, keepdim=False) -> "Tensor":
        """sum, with nan entries counted as 0."""
        return self.masked_fill(self.isnan(), 0).sum(dim, keepdim)

    def nanmean(self, dim=None, keepdim=False) -> "Tensor":
        """mean of the entries that are not nan."""
        counted = (~self.isnan()).sum(dim, keepdim)
        return self.nansum(dim, keepdim) / counted.to(self.dtype)

    def var_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
        """(var, mean) over dim, as torch.var_mean."""
        return self.var(dim, unbiased, keepdim, correction=correction), self.mean(dim, keepdim)

    def std_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
        """(std, mean) over dim, as torch.std_mean."""
        return self.std(dim, unbiased, keepdim, correction=correction), self.mean(dim, keepdim)

    def diff(self, n=1, dim=-1, prepend=None, append=None) -> "Tensor":
        """The n-th forward difference along dim (out[i] = x[i + 1] - x[i]), after joining prepend and append."""
        from microtorch.functional import cat  # functional builds on Tensor
        dim = _normalize_dim(dim, self.ndim, "diff")
        x = cat([t for t in (prepend, self, append) if t is not None], dim) if prepend is not None or \
            append is not None else self
        for _ in range(n):
            length = x.shape[dim]
            x = x.narrow(dim, 1, max(length - 1, 0)) - x.narrow(dim, 0, max(length - 1, 0))
        return x

    def prod(self, dim=None, keepdim=False, *, dtype=None) -> "Tensor":
        """The product over dim (an int) or of all entries; exact gradients where entries are zero."""
        x = self if dtype is None else self.to(dtype)
        dim, keepdim = _reduction_args(x, "prod", dim, keepdim, None, None)
        if isinstance(dim, tuple):
            raise TypeError("prod(): argument 'dim' must be int, not tuple")
        x = x if x.dtype.kind in "fc" else x.to(np.int64)  # integers and bools multiply as int64, as in torch
        return _apply(ops.Prod, x, dim, keepdim)

    def logsumexp(self, dim, keepdim=False) -> "Tensor":
        """log(sum(exp(self))) over dim (an int or a tuple), without overflow for large entries."""
        dim, keepdim = _reduction_args(self, "logsumexp", dim, keepdim, None, None)
        x = self if self.dtype.kind in "fc" else self.float()
        return _apply(ops.LogSumExp, x, dim, keepdim)

    def cumsum(self, dim, *, dtype=None) -> "Tensor":
        """Running sums along dim; integer and bool tensors sum as int64, as in torch."""
        return self._scan(ops.CumSum, "cumsum", dim, dtype)

    def cumprod(self, dim, *, dtype=None) -> "Tensor":
        """Running products along dim; exact gradients where entries are zero."""
        return self._scan(ops.CumProd, "cumprod", dim, dtype)

    def _scan(self, fn, name, dim, dtype):
        if dim is None:
            raise TypeError(f"{name}(): missing required argument 'dim' (int)")
        x = self if dtype is None else self.to(dtype)
        x = x if x.dtype.kind in "fc" or dtype is not None else x.to(np.int64)
        x = x.reshape(1) if x.ndim == 0 else x
        out = _apply(fn, x, _normalize_dim(dim, x.ndim, name))
        return out.reshape(()) if self.ndim == 0 else out

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None) -> "Tensor":
        """The p-norm over dim (all entries by default): p is a number, inf, -inf, "fro" (the 2-norm)
        or "nuc" (the nuclear norm of matrices over two dims)."""
        x = self if dtype is None else self.to(dtype)
        if p == "nuc":
            return linalg.matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim)
        return linalg.vector_norm(x, 2 if p == "fro" else p, dim, keepdim)

    def amax(self, dim=(), keepdim=False) -> "Tensor":
        """The maximum over dim (an int or a tuple; all dims by default); ties share the gradient evenly."""
        dim, keepdim = _reduction_args(self, "amax", None if dim == () else dim, keepdim, None, None)
        return _apply(ops.Max, self, (dim,) if isinstance(dim, int) else dim, keepdim)

    def amin(self, dim=(), keepdim=False) -> "Tensor":
        """The minimum over dim (an int or a tuple; all dims by default); ties share the gradient evenly."""
        return -(-self).amax(dim, keepdim)

    def all(self, dim=None, keepdim=False) -> "Tensor":
        """True where every entry over dim (all dims by default) is nonzero; a bool tensor."""
        dim, keepdim = _reduction_args(self, "all", dim, keepdim, None, None)
        return _make(np.asarray(np.all(self._array, axis=dim, keepdims=keepdim)))

    def any(self, dim=None, keepdim=False) -> "Tensor":
        """True where some entry over dim (all dims by default) is nonzero; a bool tensor."""
        dim, keepdim = _reduction_args(self, "any", dim, keepdim, None, None)
        return _make(np.asarray(np.any(self._array, axis=dim, keepdims=keepdim)))

    def _reduce_dim(self, op, dim):
        """dim (an int) checked for an op that picks entries along one dim, and self as a 1-D tensor if 0-d."""
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
        dim = _normalize_dim(dim, self.ndim, op)
        if self._array.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")
        return (self.reshape(1) if self.ndim == 0 else self), dim

    def _pick(self, x, index, dim, keepdim, result):
        """(values, indices): x's entries at index (int64, x's ndim) along dim. Values are a gather, so
        each picked entry gets its value's gradient and no other, as in torch."""
        values = _apply(ops.Gather, x, dim, index)
        if not keepdim or self.ndim == 0:
            values, index = values.squeeze(dim), np.squeeze(index, dim)
        return result(values, _make(index))

    def _max_min(self, dim, keepdim, largest):
        op = "max" if largest else "min"
        x, dim = self._reduce_dim(op, dim)
        index = (np.argmax if largest else np.argmin)(x._array, axis=dim)
        return self._pick(x, np.expand_dims(index, dim).astype(np.int64), dim, keepdim,
                          return_types.max if largest else return_types.min)

    def median(self, dim=None, keepdim=False):
        """The lower median of all entries (ties share the gradient), or (values, indices) along dim."""
        if dim is None:
            flat = np.sort(self._array.reshape(-1))
            if flat.size == 0:
                return _make(np.asarray(np.nan, dtype=self.dtype))
            value = flat[(flat.size - 1) // 2]
            if self.dtype.kind not in "fc":
                return _make(np.asarray(value))
            ties = _make(self._array == value)
            return (self * ties).sum() / float(ties._array.sum())
        x, dim = self._reduce_dim("median", dim)
        order = np.argsort(x._array, axis=dim, kind="stable")
        middle = (x.shape[dim] - 1) // 2
        return self._pick(x, np.take(order, [middle], axis=dim), dim, keepdim, return_types.median)

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along dim. Ties keep their order (torch only promises that with
        stable=True)."""
        x, dim = self._reduce_dim("sort", dim)
        order = self.argsort(dim, descending)._array
        return self._pick(x, order.reshape(x.shape), dim, True, return_types.sort)

    def argsort(self, dim=-1, descending=False, stable=False) -> "Tensor":
        """The indices that sort self along dim (ties in their original order)."""
        x, dim = self._reduce_dim("argsort", dim)
        keys = x._array
        if descending:  # negated, in a signed dtype, so that a stable sort keeps ties in order
            keys = -(keys.astype(np.int64) if keys.dtype.kind in "biu" else keys)
        order = np.argsort(keys, axis=dim, kind="stable").astype(np.int64)
        return _make(order.reshape(self.shape))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (or smallest) entries along dim, largest first."""
        x, dim = self._reduce_dim("topk", dim)
        if not 0 <= k <= x.shape[dim]:
            raise RuntimeError(f"topk(): selected index k out of range (k={k}, dim {dim} has size {x.shape[dim]})")
        order = x.argsort(dim, descending=largest)._array
        return self._pick(x, np.take(order, np.arange(k), axis=dim), dim, True, return_types.topk)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """(values, indices) of the k-th smallest entry along dim (k counts from 1)."""
        x, dim = self._reduce_dim("kthvalue", dim)
        if not 1 <= k <= x.shape[dim]:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim} "
                               f"(k={k}, size {x.shape[dim]})")
        order = x.argsort(dim)._array
        return self._pick(x, np.take(order, [k - 1], axis=dim), dim, keepdim, return_types.kthvalue)

    def mode(self, dim=-1, keepdim=False):
        """(values, indices): the most frequent entry along dim (the smallest of equally frequent ones)
        and its last position, as torch returns it."""
        x, dim = self._reduce_dim("mode", dim)
        moved = np.moveaxis(x._array, dim, -1)
        equal = moved[..., :, None] == moved[..., None, :]
        counts = equal.sum(axis=-1)
        best = counts.max(axis=-1, keepdims=True)
        value = np.where(counts == best, moved, np.inf if moved.dtype.kind == "f" else moved.max()).min(axis=-1)
        last = moved.shape[-1] - 1 - np.argmax((moved == value[..., None])[..., ::-1], axis=-1)
        return self._pick(x, np.expand_dims(last, dim).astype(np.int64), dim, keepdim, return_types.mode)

    def cummax(self, dim):
        """(values, indices): the running maximum along dim and where it was found (the latest of ties)."""
        return self._running_extreme("cummax", dim, np.maximum, return_types.cummax)

    def cummin(self, dim):
        """(values, indices): the running minimum along dim and where it was found (the latest of ties)."""
        return self._running_extreme("cummin", dim, np.minimum, return_types.cummin)

    def _running_extreme(self, op, dim, ufunc, result):
        x, dim = self._reduce_dim(op, dim)
        running = ufunc.accumulate(x._array, axis=dim)
        positions = np.expand_dims(np.arange(x.shape[dim]), tuple(d for d in range(x.ndim) if d != dim))
        # a position holding the running extreme is its own index; the others keep the index before them
        index = np.maximum.accumulate(np.where(x._array == running, positions, 0), axis=dim)
        return self._pick(x, index.astype(np.int64), dim, True, result)

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) over dim (all dims by default), as torch.aminmax."""
        return return_types.aminmax(self.amin(() if dim is None else dim, keepdim),
                                    self.amax(() if dim is None else dim, keepdim))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct entries, sorted (no gradient); with return_inverse / return_counts also where each
        entry went and how often each value occurs. dim=None only (unique rows are not supported)."""
        if dim is not None:
            raise NotImplementedError("unique(): dim= is not supported by microtorch; flatten the tensor first")
        values, inverse, counts = np.unique(self._array, return_inverse=True, return_counts=True)
        out = [_make(values)]
        if return_inverse:
            out.append(_make(inverse.reshape(self.shape).astype(np.int64)))
        if return_counts:
            out.append(_make(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

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

    def movedim(self, source, destination) -> "Tensor":
        """The dims in source moved to the positions in destination (ints or tuples of ints); the
        other dims keep their order."""
        source = _normalize_dim(tuple(source) if isinstance(source, (list, tuple)) else (source,), self.ndim, "movedim")
        destination = _normalize_dim(tuple(destination) if isinstance(destination, (list, tuple)) else (destination,),
                                     self.ndim, "movedim")
        if len(source) != len(destination):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(source)} dims) should "
                               f"contain the same number of dims as destination ({list(destination)} dims)")
        order = [d for d in range(self.ndim) if d not in source]
        for dest, src in sorted(zip(destination, source)):
            order.insert(dest, src)
        return _apply(ops.Permute, self, tuple(order)) if self.ndim else self

    moveaxis = movedim

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

    # ------------------------------------------------------------ more shape ops (view_as ... trace)
    def view_as(self, other) -> "Tensor":
        """self reshaped to other's shape."""
        return self.reshape(other.shape)

    reshape_as = view_as

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def swapaxes(self, axis0, axis1) -> "Tensor":
        """transpose(axis0, axis1), numpy's name."""
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def unflatten(self, dim, sizes) -> "Tensor":
        """Split dim into the dims of sizes (one of them may be -1)."""
        dim = _normalize_dim(dim, self.ndim, "unflatten")
        sizes = _shape_args((sizes,))
        if -1 not in sizes and int(np.prod(sizes)) != self.shape[dim]:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                               f"({self.shape[dim]}) in the input tensor")
        return self.reshape(self.shape[:dim] + sizes + self.shape[dim + 1:])

    def repeat(self, *sizes) -> "Tensor":
        """self tiled sizes[i] times along each dim; extra leading sizes add dims (torch's repeat, numpy's tile)."""
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"repeat: Number of dimensions of repeat dims ({len(sizes)}) can not be smaller than "
                               f"number of dimensions of tensor ({self.ndim})")
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"repeat: repeats must be non-negative, got {list(sizes)}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        return _apply(ops.Tile, x, sizes)

    def tile(self, *dims) -> "Tensor":
        """repeat, except that fewer sizes than dims repeat the last dims (numpy's tile)."""
        dims = _shape_args(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None) -> "Tensor":
        """Each entry repeated `repeats` times along dim (a flattened self when dim is None); repeats is
        an int or a 1-D tensor with one count per entry."""
        x = self.reshape(-1) if dim is None else self
        dim = 0 if dim is None else _normalize_dim(dim, x.ndim, "repeat_interleave")
        counts = _as_array(repeats) if isinstance(repeats, Tensor) else np.asarray(repeats)
        if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts < 0).any():
            raise RuntimeError("repeat_interleave: repeats must be a non-negative int or a 1-D tensor of them")
        if counts.ndim == 1 and counts.size not in (1, x.shape[dim]):
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({dim}) = {x.shape[dim]}")
        index = np.repeat(np.arange(x.shape[dim]), counts)
        return _apply(ops.IndexSelect, x, dim, index)

    def unbind(self, dim=0) -> tuple:
        """The slices along dim, as a tuple of tensors with that dim removed."""
        dim = _normalize_dim(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * dim + (i,)] for i in range(self.shape[dim]))

    def narrow(self, dim, start, length) -> "Tensor":
        """The `length` entries from `start` along dim (start may be negative)."""
        dim = _normalize_dim(dim, self.ndim, "narrow")
        size = self.shape[dim]
        if not -size <= start <= size:
            raise IndexError(f"narrow: start ({start}) out of range (expected to be in range of [{-size}, {size}])")
        start = start % size if start < 0 else start
        if length < 0 or start + length > size:
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return _apply(ops.GetItem, self, (slice(None),) * dim + (slice(start, start + length),))

    def roll(self, shifts, dims=None) -> "Tensor":
        """Entries shifted along dims, wrapping around; with dims=None the flattened tensor is rolled."""
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
        dims = _normalize_dim(tuple(dims) if isinstance(dims, (list, tuple)) else (dims,), self.ndim, "roll")
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        return _apply(ops.Roll, self, tuple(int(s) for s in shifts), dims)

    def flip(self, *dims) -> "Tensor":
        """Entries in reverse order along each of dims."""
        dims = _normalize_dim(_shape_args(dims), self.ndim, "flip")
        return _apply(ops.Flip, self, dims)

    def fliplr(self) -> "Tensor":
        """flip(1): left and right swapped (at least 2-D)."""
        if self.ndim < 2:
            raise RuntimeError("fliplr: Input must be >= 2-d.")
        return self.flip(1)

    def flipud(self) -> "Tensor":
        """flip(0): up and down swapped (at least 1-D)."""
        if self.ndim < 1:
            raise RuntimeError("flipud: Input must be >= 1-d.")
        return self.flip(0)

    def diagonal(self, offset=0, dim1=0, dim2=1) -> "Tensor":
        """The diagonal of dims dim1 and dim2 (above it for offset > 0), as the last dim."""
        dim1, dim2 = _normalize_dim(dim1, self.ndim, "diagonal"), _normalize_dim(dim2, self.ndim, "diagonal")
        if dim1 == dim2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return _apply(ops.Diagonal, self, int(offset), dim1, dim2)

    def diag(self, diagonal=0) -> "Tensor":
        """A 1-D tensor's square matrix with it on the diagonal, or a 2-D tensor's diagonal."""
        if self.ndim == 1:
            return _apply(ops.DiagEmbed, self, int(diagonal))
        if self.ndim != 2:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return self.diagonal(diagonal)

    def trace(self) -> "Tensor":
        """The sum of a matrix's diagonal."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return self.diagonal().sum()

    def take_along_dim(self, indices, dim=None) -> "Tensor":
        """The entries at indices along dim, self and indices broadcast in the other dims (numpy's
        take_along_axis); with dim=None, indices into the flattened tensor."""
        index = _int_index(indices, "take_along_dim")
        if dim is None:
            _check_index_range(index, self._array.size, "take_along_dim", 0)
            return self.reshape(-1).gather(0, index.reshape(-1))
        dim = _normalize_dim(dim, self.ndim, "take_along_dim")
        if index.ndim != self.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                               f"but got {self.ndim} dimensions for input, and {index.ndim} dimensions for indices")
        ones_at_dim = [tuple(1 if i == dim else n for i, n in enumerate(s)) for s in (self.shape, index.shape)]
        common = list(_check_broadcast("take_along_dim", *(np.empty(s) for s in ones_at_dim),
                                       names=("input", "indices")))
        x = self.expand(tuple(common[:dim]) + (self.shape[dim],) + tuple(common[dim + 1:]))
        return x.gather(dim, np.broadcast_to(index, tuple(common[:dim]) + (index.shape[dim],) +
                                             tuple(common[dim + 1:])))

    def bincount(self, weights=None, minlength=0) -> "Tensor":
        """How often each value 0, 1, ... occurs in a 1-D tensor of non-negative ints (or the sum of the
        weights at its positions); no gradient, as in torch."""
        if self.ndim != 1 or self.dtype.kind not in "iu" or (self._array < 0).any():
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        weights = None if weights is None else _as_array(weights)
        if weights is not None and weights.shape != self.shape:
            raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input "
                               f"({weights.shape} vs {self.shape})")
        counts = np.bincount(self._array, weights, minlength)
        return _make(counts.astype(np.int64 if weights is None else weights.dtype))

    def logit(self, eps=None) -> "Tensor":
        """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
        p = self if eps is None else self.clamp(eps, 1 - eps)
        return (p / (1 - p)).log()

    def masked_select(self, mask) -> "Tensor":
        """The entries where the bool mask (broadcast with self) is True, as a 1-D tensor."""
        mask = _bool_mask(mask, "masked_select")
        shape = _check_broadcast("masked_select", self, mask, names=("input", "mask"))
        x = self if self.shape == shape else self.expand(shape)
        return _apply(ops.GetItem, x, np.broadcast_to(mask, shape))

    def scatter(self, dim, index, src=None, *, value=None, reduce=None) -> "Tensor":
        """A copy with src (a tensor, or a number as `value`) written at index along dim:
        out[i][index[i][j]] = src[i][j] for dim 1. Repeated indices: one of the writes wins."""
        if reduce is not None:
            raise NotImplementedError("scatter(reduce=...) is not supported by microtorch; use scatter_add")
        if src is None and value is None:
            raise TypeError("scatter(): pass src (a Tensor) or value (a number)")
        return self._scatter("scatter", dim, index, value if src is None else src, add=False)

    def scatter_add(self, dim, index, src) -> "Tensor":
        """A copy with src added at index along dim (repeated indices add up)."""
        if not isinstance(src, Tensor):
            raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
        return self._scatter("scatter_add", dim, index, src, add=True)

    def _scatter(self, op, dim, index, src, add):
        dim = _normalize_dim(dim, self.ndim, op)
        index = _int_index(index, op)
        if isinstance(src, Tensor):
            if not self.ndim == index.ndim == src.ndim:
                raise RuntimeError(f"{op}: Index tensor must have the same number of dimensions as self tensor "
                                   f"(index {index.shape}, self {self.shape}, src {src.shape})")
            if any(n > m for n, m in zip(index.shape, src.shape)) or \
                    any(i != dim and n > m for i, (n, m) in enumerate(zip(index.shape, self.shape))):
                raise RuntimeError(f"{op}: Expected index {list(index.shape)} to be smaller than self "
                                   f"{list(self.shape)} apart from dimension {dim} and to be smaller size than src "
                                   f"{list(src.shape)}")
            src = src.to(self.dtype)
        elif not isinstance(src, _SCALARS):
            raise TypeError(f"{op}(): src must be a Tensor or a number, got {type(src).__name__}")
        elif index.ndim != self.ndim:
            raise RuntimeError(f"{op}: Index tensor must have the same number of dimensions as self tensor")
        _check_index_range(index, self.shape[dim], op, dim)
        return _apply(ops.Scatter, self, dim, index, src, add)

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

    __abs__ = absolute = abs

    def clamp(self, min=None, max=None) -> "Tensor":
        """Clip values to [min, max].

        Parameters
        ----------
        min, max : number, Tensor or None
            The bounds; either may be None, and tensors broadcast with self (and get gradients where
            they clip). Where min > max the result is max, as in torch.
        """
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        bounds = []
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, (Tensor, *_SCALARS)):
                raise TypeError(f"clamp: {name} must be a number, a Tensor or None, got {type(bound).__name__}")
            if isinstance(bound, Tensor):
                _check_broadcast("clamp", self, bound, names=("input", name))
                bound = bound.to(self.dtype)
            bounds.append(bound)
        return _apply(ops.Clamp, self, *bounds)

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
        """The minimum values (values only, like max: microtorch.min(x, dim) gives (values, indices));
        the gradient goes where max's would for -self. x.min(other_tensor) is minimum(x, other)."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
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

    # ------------------------------------------------------------ inspection (nonzero, allclose, ...)
    def nonzero(self, *, as_tuple=False):
        """The indices of the nonzero entries: an (n, ndim) int64 tensor, or with as_tuple=True one
        1-D index tensor per dim (what x[x.nonzero(as_tuple=True)] reads)."""
        if as_tuple:
            return tuple(_make(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(self._array)))
        return _make(np.argwhere(self._array).astype(np.int64))

    argwhere = nonzero

    def count_nonzero(self, dim=None) -> "Tensor":
        """The number of nonzero entries, over all dims or over dim (an int or a tuple of ints)."""
        dim = _normalize_dim(tuple(dim) if isinstance(dim, list) else dim, self.ndim, "count_nonzero")
        return _make(np.asarray(np.count_nonzero(self._array, axis=dim), dtype=np.int64))

    def is_nonzero(self) -> bool:
        """bool(self) for a one-element tensor; an error for any other size, as in torch."""
        if self._array.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self._array.size > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._array.item())

    def is_floating_point(self) -> bool:
        """True for float16, float32 and float64 tensors."""
        return self.dtype.kind == "f"

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> "Tensor":
        """A bool tensor: True where ``|self - other| <= atol + rtol * |other|``."""
        other = _operand(other, "isclose")
        _check_broadcast("isclose", self, other)
        if isinstance(other, Tensor) and other.dtype != self.dtype:
            raise RuntimeError(f"isclose: {self.dtype} did not match {other.dtype}")
        return _make(np.isclose(self._array, _array_or_scalar(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """True when every element of self is close to other (see isclose)."""
        return bool(self.isclose(other, rtol, atol, equal_nan)._array.all())

    def equal(self, other) -> bool:
        """True when other has self's shape and the same values."""
        if not isinstance(other, Tensor):
            raise TypeError(f"equal(): argument 'other' must be Tensor, not {type(other).__name__}")
        return self.shape == other.shape and bool(np.array_equal(self._array, other._array))

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
    less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne

    # logical ops: any nonzero value counts as True; results are bool tensors outside the graph
    def _logical(self, other, ufunc, name):
        other = _operand(other, name)
        _check_broadcast(name, self, other)
        return _make(ufunc(self._array, _array_or_scalar(other)))

    def logical_and(self, other) -> "Tensor":
        """True where both self and other are nonzero."""
        return self._logical(other, np.logical_and, "logical_and")

    def logical_or(self, other) -> "Tensor":
        """True where self or other is nonzero."""
        return self._logical(other, np.logical_or, "logical_or")

    def logical_xor(self, other) -> "Tensor":
        """True where exactly one of self and other is nonzero."""
        return self._logical(other, np.logical_xor, "logical_xor")

    def logical_not(self) -> "Tensor":
        """True where self is zero."""
        return _make(np.logical_not(self._array))

    # & | ^ ~ on bool and integer tensors (masks: `(x > 0) & (x < 1)`)
    def _bitwise(self, other, ufunc, name):
        other = _operand(other, name)
        if self.dtype.kind not in "biu" or np.asarray(_array_or_scalar(other)).dtype.kind not in "biu":
            raise TypeError(f"{name}: only bool and integer tensors are supported, got {self.dtype} and "
                            f"{np.asarray(_array_or_scalar(other)).dtype}")
        _check_broadcast(name, self, other)
        return _make(ufunc(self._array, _array_or_scalar(other)))

    def __and__(self, other):
        """self & other for bool and integer tensors (masks: `(x > 0) & (x < 1)`)."""
        return self._bitwise(other, np.bitwise_and, "bitwise_and")

    def __or__(self, other):
        """self | other for bool and integer tensors."""
        return self._bitwise(other, np.bitwise_or, "bitwise_or")

    def __xor__(self, other):
        """self ^ other for bool and integer tensors."""
        return self._bitwise(other, np.bitwise_xor, "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__
    bitwise_and, bitwise_or, bitwise_xor = __and__, __or__, __xor__

    def __invert__(self):
        """~self for bool and integer tensors (logical not of a mask)."""
        if self.dtype.kind not in "biu":
            raise TypeError(f"bitwise_not: only bool and integer tensors are supported, got {self.dtype}")
        return _make(np.invert(self._array))

    bitwise_not = __invert__


_engine.register_tensor_class(Tensor)
