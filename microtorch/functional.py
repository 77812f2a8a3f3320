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
    return input.minimum(other)


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


def argmax(t, dim=None, keepdim=False) -> "Tensor":
    return t.argmax(dim, keepdim)


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


def exp(input) -> "Tensor":
    return input.exp()


def log(input) -> "Tensor":
    return input.log()


def tanh(input) -> "Tensor":
    return input.tanh()


def sigmoid(input) -> "Tensor":
    return input.sigmoid()


def relu(input) -> "Tensor":
    return input.relu()
