"""Reductions: sum, mean, max, var and std over all dims, one dim or a tuple of dims."""
import numpy as np

from microtorch.autograd.function import Function


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
        total = x.sum(axis=dim, keepdims=keepdim)
        ctx.count = x.size // max(total.size, 1) if x.size else 0
        return total / ctx.count if ctx.count else total * np.nan   # the mean of nothing is nan, as in torch

    @staticmethod
    def backward(ctx, grad):
        # With count 0 the input is empty, and so is its gradient: any divisor will do.
        return _expand_reduced(grad / max(ctx.count, 1), ctx.shape, ctx.dim, ctx.keepdim), None, None


class Max(Function):
    """max over one dim sends the gradient to the first maximum (torch.max(x, dim));
    over all dims or a tuple of dims it is shared evenly between ties (torch.amax)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)   # an empty x reduced over a dim of size 0 was refused by _check_reducible
        ctx.dim, ctx.keepdim = dim, keepdim
        if isinstance(dim, int):
            ctx.index = np.expand_dims(np.argmax(x, axis=dim), dim)
            out = np.take_along_axis(x, ctx.index, axis=dim)
            return out if keepdim else np.squeeze(out, dim)
        out = x.max(axis=dim, keepdims=keepdim)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if isinstance(ctx.dim, int):
            grad_x = np.zeros_like(x, dtype=grad.dtype)
            g = grad if ctx.keepdim else np.expand_dims(grad, ctx.dim)
            np.put_along_axis(grad_x, ctx.index, g, axis=ctx.dim)
            return grad_x, None, None
        out = ctx.out if ctx.keepdim or ctx.dim is None else np.expand_dims(ctx.out, ctx.dim)
        g = grad if ctx.keepdim or ctx.dim is None else np.expand_dims(grad, ctx.dim)
        ties = (x == out) | (np.isnan(x) & np.isnan(out))   # a nan maximum is its nans', as in torch
        return ties * (g / ties.sum(axis=ctx.dim, keepdims=True)), None, None


class Var(Function):
    """Variance over dim with Bessel's correction (correction=1 divides by n - 1)."""

    @staticmethod
    def forward(ctx, x, dim, correction, keepdim):
        total = x.sum(axis=dim, keepdims=True)
        count = x.size // max(total.size, 1)
        centered = x - total / max(count, 1)   # with count 0 there is nothing to center
        if x.size:   # equal values spread by exactly 0, as torch's Welford gives (a rounded mean would not)
            centered = np.where(x.max(axis=dim, keepdims=True) == x.min(axis=dim, keepdims=True), 0.0, centered)
        ctx.save_for_backward(centered)
        ctx.dim, ctx.keepdim, ctx.divisor = dim, keepdim, max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (centered * centered).sum(axis=dim, keepdims=keepdim) / ctx.divisor

    @staticmethod
    def backward(ctx, grad):
        (centered,) = ctx.saved_tensors
        if ctx.dim is not None and not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.dim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * 2 / np.float64(ctx.divisor) * centered, None, None, None


class Std(Var):
    """sqrt(var). Where it is 0 the gradient is 0, as in torch (sqrt's infinite slope would make
    0 * inf = nan)."""

    @staticmethod
    def forward(ctx, x, dim, correction, keepdim):
        ctx.std = np.sqrt(Var.forward(ctx, x, dim, correction, keepdim))
        return ctx.std

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_var = np.where(ctx.std == 0, 0.0, grad / (2 * ctx.std))
        return Var.backward(ctx, grad_var)
