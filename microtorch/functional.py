"""The torch.* functions that take tensors: joining and splitting, selection, and the function
forms of Tensor methods (torch.sqrt(x) is x.sqrt())."""

from microtorch import ops
from microtorch._checks import _normalize_dim, _tensors_of, _where_args
from microtorch._engine import apply as _apply
from microtorch.tensor import Tensor


def cat(tensors, dim=0, *, axis=None) -> "Tensor":
    """Join tensors along an existing dim."""
    tensors = _tensors_of(tensors, "cat")
    dim = _normalize_dim(dim if axis is None else axis, tensors[0].ndim, "cat")
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
    dim = _normalize_dim(dim if axis is None else axis, tensors[0].ndim + 1, "stack")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise RuntimeError(f"stack: expects each tensor to be equal size, got shapes {[t.shape for t in tensors]}")
    return _apply(ops.Stack, dim, *tensors)


def split(t, split_size, dim=-1) -> list["Tensor"]:
    """Chunks of split_size along dim (the last one may be smaller); a list of sizes also works."""
    return t.split(split_size, dim)


def where(condition, input, other) -> "Tensor":
    """input where condition (a bool tensor) is True, other elsewhere; input and other may be numbers."""
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
