"""Reductions: sum, mean, max and var over all dims, one dim or a tuple of dims."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.index import _along_dim, _scatter_add


def _expand_reduced(grad, shape, dim, keepdim):
    """Broadcast a reduction's gradient back to the input's shape (a view, no copy)."""
    if dim is not None and not keepdim:
        grad = np.expand_dims(grad, dim)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        return x.sum(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _expand_reduced(grad, ctx.shape, ctx.dim, ctx.keepdim), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        out = x.mean(axis=dim, keepdims=keepdim)
        ctx.count = x.size // max(out.size, 1) if x.size else 0
        return out

    @staticmethod
    def backward(ctx, grad):
        return _expand_reduced(grad / ctx.count, ctx.shape, ctx.dim, ctx.keepdim), None, None


class Max(Function):
    """max over one dim sends the gradient to the first maximum (torch.max(x, dim));
    over all dims or a tuple of dims it is shared evenly between ties (torch.amax)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        if x.size == 0:
            raise RuntimeError(f"max: cannot reduce an empty tensor of shape {x.shape}")
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        if isinstance(dim, int):
            index = np.expand_dims(np.argmax(x, axis=dim), dim)
            ctx.where = _along_dim(index, dim)   # where each maximum was read from
            out = x[ctx.where]
            return out if keepdim else np.squeeze(out, dim)
        out = x.max(axis=dim, keepdims=True)
        ctx.ties = x == out   # the gradient is shared between ties
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        g = grad if ctx.keepdim or ctx.dim is None else np.expand_dims(grad, ctx.dim)
        if isinstance(ctx.dim, int):
            return _scatter_add(ctx.shape, ctx.where, g), None, None
        ties = ctx.ties
        return ties * (g / ties.sum(axis=ctx.dim, keepdims=True)), None, None


class Var(Function):
    """Variance over dim with Bessel's correction (correction=1 divides by n - 1)."""

    @staticmethod
    def forward(ctx, x, dim, correction, keepdim):
        mean = x.mean(axis=dim, keepdims=True)
        centered = x - mean
        count = x.size // max(mean.size, 1)
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim, ctx.divisor = dim, keepdim, max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (centered * centered).sum(axis=dim, keepdims=keepdim) / ctx.divisor

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        centered = x - np.mean(x, axis=ctx.dim, keepdims=True)
        if ctx.dim is not None and not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.dim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * (2 / ctx.divisor) * centered, None, None, None
