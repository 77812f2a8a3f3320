"""Shape ops: reshape, permute, transpose, expand, cat, stack, padding, tile (repeat), roll, flip and
diagonals. Their backward moves the gradient back to the input's layout."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.index import _scatter_add


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = sorted(range(len(ctx.dims)), key=ctx.dims.__getitem__)  # argsort, without an array
        return np.transpose(grad, inverse), None


class Transpose(Function):
    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dim0, ctx.dim1 = dim0, dim1
        return np.swapaxes(x, dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return np.swapaxes(grad, ctx.dim0, ctx.dim1), None, None


class Expand(Function):
    """A broadcast view; the engine sums the gradient back to the input's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


# ---------------------------------------------------------------- joining

class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.boundaries = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *np.split(grad, ctx.boundaries, axis=ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *np.moveaxis(grad, ctx.dim, 0))


# ---------------------------------------------------------------- padding

class ConstantPad(Function):
    """Pad with a constant; widths is numpy's ((before, after), ...) per dim."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.inside = tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.inside], None, None


class IndexPad(Function):
    """reflect / replicate / circular padding: each output element reads one input element,
    so the pad is a gather by per-dim index arrays and its gradient a scatter-add."""

    @staticmethod
    def forward(ctx, x, widths, numpy_mode):
        positions = [np.pad(np.arange(n), w, mode=numpy_mode) for n, w in zip(x.shape, widths)]
        ctx.shape, ctx.index = x.shape, np.ix_(*positions)
        return x[ctx.index]

    @staticmethod
    def backward(ctx, grad):
        return _scatter_add(ctx.shape, ctx.index, grad), None, None


# ---------------------------------------------------------------- repeating, rolling, flipping

class Tile(Function):
    """x repeated reps[i] times along each dim (len(reps) == x.ndim; torch's Tensor.repeat). Each
    input entry is read once per copy, so its gradient is the sum over the copies."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, grad):
        copies_then_sizes = [n for pair in zip(ctx.reps, ctx.shape) for n in pair]
        return grad.reshape(copies_then_sizes).sum(axis=tuple(range(0, grad.ndim * 2, 2))), None


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.roll(grad, tuple(-s for s in ctx.shifts), ctx.dims), None, None


class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.flip(grad, ctx.dims), None


# ---------------------------------------------------------------- diagonals

class Diagonal(Function):
    """The diagonal (offset) of dims dim1 and dim2, moved to the last dim, as torch.diagonal."""

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.args = x.shape, (offset, dim1, dim2)
        return np.diagonal(x, offset, dim1, dim2).copy()  # numpy's diagonal view is read-only

    @staticmethod
    def backward(ctx, grad):
        # zeros of x's shape with grad written at the diagonal's positions (a recorded scatter)
        offset, dim1, dim2 = ctx.args
        rows = np.arange(grad.shape[-1]) + max(-offset, 0)
        index = [slice(None)] * len(ctx.shape)
        index[dim1], index[dim2] = rows, rows + offset
        # numpy puts the indexed dim where the two dims were if they are neighbours, else first
        moved = np.moveaxis(grad, -1, min(dim1, dim2) if abs(dim1 - dim2) == 1 else 0)
        return _scatter_add(ctx.shape, tuple(index), moved), None, None, None


class DiagEmbed(Function):
    """A square matrix with the 1-D x on its diagonal (offset): torch.diag of a vector."""

    @staticmethod
    def forward(ctx, x, offset):
        ctx.offset, ctx.length = offset, len(x)
        return np.diag(x, offset)

    @staticmethod
    def backward(ctx, grad):
        rows = np.arange(ctx.length)   # read the diagonal back by index (recorded in a create_graph backward)
        return grad[rows + max(-ctx.offset, 0), rows + max(ctx.offset, 0)], None
