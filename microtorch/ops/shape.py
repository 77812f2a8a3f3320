"""Shape ops: reshape, permute, transpose, expand, cat, stack and padding. Their backward moves
the gradient back to the input's layout."""
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
