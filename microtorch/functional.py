"""The torch.* functions that take tensors: joining and splitting, selection, and the function
forms of Tensor methods (torch.sqrt(x) is x.sqrt()). Like torch, it defines sum, max, min, all, any, round
and pow, so the builtins are reached through `builtins` here."""
import builtins

from microtorch import linalg, ops
from microtorch._checks import _einsum_equation, _input, _normalize_dim, _operand, _tensors_of, _where_args
from microtorch._engine import apply as _apply
from microtorch.tensor import Tensor


def cat(tensors, dim=0, *, axis=None) -> "Tensor":
    """Join tensors along an existing dim."""
    tensors = _tensors_of(tensors, "cat")
    dim = _normalize_dim(dim if axis is None else axis, tensors[0].ndim, "cat")
    first = tensors[0].shape
    for t in tensors[1:]:
        if t.ndim != len(first) or builtins.any(a != b for i, (a, b) in enumerate(zip(first, t.shape)) if i != dim):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {dim}; "
                               f"got shapes {[x.shape for x in tensors]}")
    return _apply(ops.Cat, dim, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0, *, axis=None) -> "Tensor":
    """Join tensors along a new dim."""
    tensors = _tensors_of(tensors, "stack")
    dim = _normalize_dim(dim if axis is None else axis, tensors[0].ndim + 1, "stack")
    if builtins.any(t.shape != tensors[0].shape for t in tensors):
        raise RuntimeError(f"stack: expects each tensor to be equal size, got shapes {[t.shape for t in tensors]}")
    return _apply(ops.Stack, dim, *tensors)


def split(t, split_size, dim=-1) -> list["Tensor"]:
    """Chunks of split_size along dim (the last one may be smaller); a list of sizes also works."""
    return t.split(split_size, dim)


def where(condition, input=None, other=None):
    """input where condition (a bool tensor) is True, other elsewhere; input and other may be numbers.

    where(condition) alone is nonzero(condition, as_tuple=True): one index tensor per dim.
    """
    if input is None and other is None:
        return _input("where", condition).nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): pass both input and other, or neither (where(condition) gives the indices)")
    return _apply(ops.Where, *_where_args(condition, input, other))


def maximum(input, other) -> "Tensor":
    """Elementwise maximum; ties share the gradient equally, as in PyTorch."""
    return input.maximum(other)


def minimum(input, other) -> "Tensor":
    """Return the elementwise minimum of two tensors (broadcast).

    The function form of ``Tensor.minimum``.

    Parameters
    ----------
    input : Tensor
    other : Tensor or number

    Returns
    -------
    Tensor

    Notes
    -----
    Ties share the gradient equally, as in PyTorch.
    """
    return input.minimum(other)


def absolute(input) -> "Tensor":
    """Return the elementwise absolute value; also ``microtorch.abs``.

    The function form of ``Tensor.abs``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor
    """
    return input.abs()


def sqrt(input) -> "Tensor":
    """Return the elementwise square root.

    The function form of ``Tensor.sqrt``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor
    """
    return input.sqrt()


def clamp(input, min=None, max=None) -> "Tensor":
    """Clamp each element into ``[min, max]``; also ``microtorch.clip``.

    The function form of ``Tensor.clamp``.

    Parameters
    ----------
    input : Tensor
    min : number, optional
    max : number, optional

    Returns
    -------
    Tensor
    """
    return input.clamp(min, max)


def tril(input, diagonal=0) -> "Tensor":
    """Return the lower triangle of the last two dims, zeros above ``diagonal``.

    The function form of ``Tensor.tril``.

    Parameters
    ----------
    input : Tensor
    diagonal : int, default 0

    Returns
    -------
    Tensor
    """
    return input.tril(diagonal)


def triu(input, diagonal=0) -> "Tensor":
    """Return the upper triangle of the last two dims, zeros below ``diagonal``.

    The function form of ``Tensor.triu``.

    Parameters
    ----------
    input : Tensor
    diagonal : int, default 0

    Returns
    -------
    Tensor
    """
    return input.triu(diagonal)


def argmax(t, dim=None, keepdim=False) -> "Tensor":
    """Return the index of the largest value (of the flattened tensor, or along ``dim``).

    The function form of ``Tensor.argmax``.

    Parameters
    ----------
    t : Tensor
    dim : int, optional
        The dimension to reduce; all of them when omitted.
    keepdim : bool, default False
        Keep the reduced dimension with size 1.

    Returns
    -------
    Tensor
        int64 indices.
    """
    return t.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False) -> "Tensor":
    """Return the index of the smallest value (of the flattened tensor, or along ``dim``).

    The function form of ``Tensor.argmin``.

    Parameters
    ----------
    input : Tensor
    dim : int, optional
        The dimension to reduce; all of them when omitted.
    keepdim : bool, default False
        Keep the reduced dimension with size 1.

    Returns
    -------
    Tensor
        int64 indices.
    """
    return input.argmin(dim, keepdim)


def squeeze(input, dim=None) -> "Tensor":
    """Remove dims of size 1 (all of them, or ``dim`` only).

    The function form of ``Tensor.squeeze``.

    Parameters
    ----------
    input : Tensor
    dim : int, optional

    Returns
    -------
    Tensor
    """
    return input.squeeze(dim)


def unsqueeze(input, dim) -> "Tensor":
    """Insert a dim of size 1 at position ``dim``.

    The function form of ``Tensor.unsqueeze``.

    Parameters
    ----------
    input : Tensor
    dim : int

    Returns
    -------
    Tensor
    """
    return input.unsqueeze(dim)


def flatten(input, start_dim=0, end_dim=-1) -> "Tensor":
    """Merge dims ``start_dim`` to ``end_dim`` into one.

    The function form of ``Tensor.flatten``.

    Parameters
    ----------
    input : Tensor
    start_dim : int, default 0
    end_dim : int, default -1

    Returns
    -------
    Tensor
    """
    return input.flatten(start_dim, end_dim)


def gather(input, dim, index) -> "Tensor":
    """Pick values along ``dim`` at the positions in ``index``.

    The function form of ``Tensor.gather``.

    Parameters
    ----------
    input : Tensor
    dim : int
    index : Tensor
        int64, the same number of dims as input.

    Returns
    -------
    Tensor
        The shape of ``index``.
    """
    return input.gather(dim, index)


def index_select(input, dim, index) -> "Tensor":
    """Select the entries at ``index`` along ``dim``.

    The function form of ``Tensor.index_select``.

    Parameters
    ----------
    input : Tensor
    dim : int
    index : Tensor
        1-D int64 indices.

    Returns
    -------
    Tensor
    """
    return input.index_select(dim, index)


def chunk(input, chunks, dim=0) -> list["Tensor"]:
    """Split into ``chunks`` nearly equal pieces along ``dim``.

    The function form of ``Tensor.chunk``.

    Parameters
    ----------
    input : Tensor
    chunks : int
    dim : int, default 0

    Returns
    -------
    list of Tensor
    """
    return input.chunk(chunks, dim)


def masked_fill(input, mask, value) -> "Tensor":
    """Return a copy with ``value`` where ``mask`` is True.

    The function form of ``Tensor.masked_fill``.

    Parameters
    ----------
    input : Tensor
    mask : Tensor
        bool, broadcastable to input.
    value : number

    Returns
    -------
    Tensor
    """
    return input.masked_fill(mask, value)


def exp(input) -> "Tensor":
    """Return ``e ** input`` elementwise.

    The function form of ``Tensor.exp``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor
    """
    return input.exp()


def log(input) -> "Tensor":
    """Return the natural logarithm elementwise.

    The function form of ``Tensor.log``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor
    """
    return input.log()


def tanh(input) -> "Tensor":
    """Return the hyperbolic tangent elementwise.

    The function form of ``Tensor.tanh``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor
    """
    return input.tanh()


def sigmoid(input) -> "Tensor":
    """Return the logistic sigmoid ``1 / (1 + exp(-x))`` elementwise.

    The function form of ``Tensor.sigmoid``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor
    """
    return input.sigmoid()


def relu(input) -> "Tensor":
    """Return ``max(x, 0)`` elementwise.

    The function form of ``Tensor.relu``.

    Parameters
    ----------
    input : Tensor

    Returns
    -------
    Tensor
    """
    return input.relu()


# ---------------------------------------------------------------- function forms of Tensor methods

def _function_of(name):
    """torch.<name>(input, *args, **kwargs): the same as input.<name>(*args, **kwargs)."""
    method = getattr(Tensor, name)

    def function(input, *args, **kwargs):
        return method(_input(name, input), *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"The function form of Tensor.{name}: {name}(input, ...) is input.{name}(...).\n\n" \
                       f"{method.__doc__ or ''}"
    return function


# elementwise math
(sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, arcsin, arccos, arctan, arcsinh, arccosh,
 arctanh, exp2, expm1, log2, log10, log1p, rsqrt, square, reciprocal, erf, erfc, frac, sign, sgn, floor, ceil, trunc,
 fix, round, neg, negative, atan2, arctan2, hypot, logaddexp, xlogy, fmod, remainder, lerp, nan_to_num, isnan, isinf,
 isfinite) = map(_function_of, (
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos",
    "arctan", "arcsinh", "arccosh", "arctanh", "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "square",
    "reciprocal", "erf", "erfc", "frac", "sign", "sgn", "floor", "ceil", "trunc", "fix", "round", "neg", "negative",
    "atan2", "arctan2", "hypot", "logaddexp", "xlogy", "fmod", "remainder", "lerp", "nan_to_num", "isnan", "isinf",
    "isfinite"))

# arithmetic by name
(add, sub, subtract, rsub, mul, multiply, div, divide, true_divide, floor_divide, addcmul, addcdiv, clamp_min,
 clamp_max) = map(_function_of, ("add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
                                 "floor_divide", "addcmul", "addcdiv", "clamp_min", "clamp_max"))

# comparisons and logical ops: bool tensors, no gradient
(eq, ne, lt, le, gt, ge, greater, greater_equal, less, less_equal, not_equal, logical_and, logical_or, logical_xor,
 logical_not, bitwise_and, bitwise_or, bitwise_xor, bitwise_not) = map(_function_of, (
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "logical_and",
    "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"))


def pow(input, exponent) -> "Tensor":
    """input ** exponent; either may be a number (torch.pow(2, t) is 2 ** t), the other a Tensor."""
    if isinstance(input, Tensor):
        return input ** exponent
    _operand(input, "pow")
    return _input("pow", exponent).__rpow__(input)


# reductions
(sum, mean, prod, std, var, logsumexp, cumsum, cumprod, norm, amax, amin, all, any, median, sort, argsort, topk,
 kthvalue, mode, unique, count_nonzero) = map(_function_of, (
    "sum", "mean", "prod", "std", "var", "logsumexp", "cumsum", "cumprod", "norm", "amax", "amin", "all", "any",
    "median", "sort", "argsort", "topk", "kthvalue", "mode", "unique", "count_nonzero"))
nansum, nanmean, var_mean, std_mean, diff, log_softmax, cummax, cummin, aminmax = map(_function_of, (
    "nansum", "nanmean", "var_mean", "std_mean", "diff", "log_softmax", "cummax", "cummin", "aminmax"))


def max(input, dim=None, keepdim=False):
    """torch.max: max(x) is the largest entry, max(x, dim) the named tuple (values, indices) along dim,
    max(x, other_tensor) the elementwise maximum.

    Notes
    -----
    Tensor.max(dim) returns the values only (the original microtorch's behaviour); this function
    returns (values, indices) as torch does.
    """
    if isinstance(_input("max", input), Tensor) and isinstance(dim, Tensor):
        return input.maximum(dim)
    return input.max() if dim is None else input._max_min(dim, keepdim, largest=True)


def min(input, dim=None, keepdim=False):
    """torch.min: min(x), min(x, dim) as the named tuple (values, indices), or min(x, other_tensor)."""
    if isinstance(_input("min", input), Tensor) and isinstance(dim, Tensor):
        return input.minimum(dim)
    return input.min() if dim is None else input._max_min(dim, keepdim, largest=False)

# matrix products
mm, bmm, dot, vdot, inner, mv, outer, ger, addmm, baddbmm, matmul, inverse, det = map(_function_of, (
    "mm", "bmm", "dot", "vdot", "inner", "mv", "outer", "ger", "addmm", "baddbmm", "matmul", "inverse", "det"))


def einsum(equation, *operands) -> "Tensor":
    """Einstein summation: einsum("ij,jk->ik", a, b) is a @ b, einsum("ii", a) the trace, and so on.

    Parameters
    ----------
    equation : str
        Subscripts per operand, separated by commas, and optionally "->" and the output's subscripts;
        "..." stands for the broadcast batch dims. Without "->" the output has the letters used once,
        in alphabetical order.
    *operands : Tensor
        One per term (or a single list of them), all of the same dtype.

    Returns
    -------
    Tensor
        With a gradient for every operand.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = _tensors_of(operands, "einsum")
    if builtins.any(t.dtype != operands[0].dtype for t in operands):
        raise RuntimeError(f"einsum(): expected operands of one dtype, got {[str(t.dtype) for t in operands]}")
    return _apply(ops.Einsum, _einsum_equation(equation, [t.shape for t in operands]), *operands)

def tensordot(a, b, dims=2) -> "Tensor":
    """Products summed over dims of a and b: the last `dims` of a with the first `dims` of b, or the
    dims named by a pair of lists ([dims of a], [dims of b])."""
    a, b = _input("tensordot", a), _input("tensordot", b)
    if isinstance(dims, int):
        if dims < 0 or dims > builtins.min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims >= 0 and <= the inputs' dims, got {dims} for shapes "
                               f"{a.shape} and {b.shape}")
        dims = (list(range(a.ndim - dims, a.ndim)), list(range(dims)))
    dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"tensordot: both dimension lists should have same length, got {dims_a} and {dims_b}")
    dims_a = [_normalize_dim(d, a.ndim, "tensordot") for d in dims_a]
    dims_b = [_normalize_dim(d, b.ndim, "tensordot") for d in dims_b]
    letters_a, letters_b = list("abcdefghijkl"[:a.ndim]), list("mnopqrstuvwx"[:b.ndim])
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has size {a.shape[da]} "
                               f"in dim {da} and second has size {b.shape[db]} in dim {db}")
        letters_b[db] = letters_a[da]
    kept = [c for i, c in enumerate(letters_a) if i not in dims_a] + \
        [c for i, c in enumerate(letters_b) if i not in dims_b]
    return einsum(f"{''.join(letters_a)},{''.join(letters_b)}->{''.join(kept)}", a, b)


# shapes
(reshape, permute, transpose, t, unflatten, repeat_interleave, tile, unbind, scatter, scatter_add, masked_select, roll,
 flip, fliplr, flipud, narrow, movedim, moveaxis, swapaxes, swapdims, diag, diagonal, trace) = map(_function_of, (
    "reshape", "permute", "transpose", "t", "unflatten", "repeat_interleave", "tile", "unbind", "scatter",
    "scatter_add", "masked_select", "roll", "flip", "fliplr", "flipud", "narrow", "movedim", "moveaxis", "swapaxes",
    "swapdims", "diag", "diagonal", "trace"))


def hstack(tensors) -> "Tensor":
    """Join tensors side by side: along dim 0 for 1-D tensors, dim 1 otherwise."""
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in _tensors_of(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> "Tensor":
    """Join tensors on top of each other (along dim 0), 1-D tensors as rows."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors_of(tensors, "vstack")], 0)


row_stack = vstack

take_along_dim, bincount, logit = map(_function_of, ("take_along_dim", "bincount", "logit"))


def cdist(x1, x2, p=2.0) -> "Tensor":
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R)."""
    x1, x2 = _input("cdist", x1), _input("cdist", x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    return linalg.vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)


# inspection
numel, nonzero, argwhere, allclose, isclose, equal, is_floating_point, is_nonzero = map(_function_of, (
    "numel", "nonzero", "argwhere", "allclose", "isclose", "equal", "is_floating_point", "is_nonzero"))


def is_tensor(obj) -> bool:
    """True when obj is a microtorch Tensor."""
    return isinstance(obj, Tensor)

# Every torch.* function above; microtorch/__init__.py exports these names.
__all__ = sorted(name for name, value in list(globals().items())
                 if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == __name__)
