"""More tensor ops: elementwise math, selection, and shape ops, each a numpy forward and its backward.

Same conventions as microtorch.ops: forward gets arrays, backward returns one gradient
per forward input (None where not needed) and may keep the broadcast shape.
"""
import numpy as np

from microtorch.autograd import Function

# ---------------------------------------------------------------- elementwise


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)  # sign(0) = 0, as in PyTorch


class Clamp(Function):
    """Values outside [low, high] are clipped; the gradient passes where low <= x <= high."""

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)
        if ctx.low is not None:
            inside &= x >= ctx.low
        if ctx.high is not None:
            inside &= x <= ctx.high
        return grad * inside, None, None


class Maximum(Function):
    """Elementwise max of a and b; where they tie, each gets half the gradient (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a = (a > b) + 0.5 * (a == b)
        need_a, need_b = ctx.needs_input_grad
        return (grad * share_a if need_a else None), (grad * (1 - share_a) if need_b else None)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a = (a < b) + 0.5 * (a == b)
        need_a, need_b = ctx.needs_input_grad
        return (grad * share_a if need_a else None), (grad * (1 - share_a) if need_b else None)


class Where(Function):
    """condition ? a : b elementwise; condition is a boolean array (no gradient)."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition = ctx.condition
        _, need_a, need_b = ctx.needs_input_grad
        grad_a = np.where(condition, grad, 0) if need_a else None
        grad_b = np.where(condition, 0, grad) if need_b else None
        return None, grad_a, grad_b


class Triangle(Function):
    """tril (upper=False) or triu (upper=True) of the last two dims; the gradient is masked the same way."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        return np.triu(x, diagonal) if upper else np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        keep = np.triu if ctx.upper else np.tril
        return keep(grad, ctx.diagonal), None, None


# ---------------------------------------------------------------- reductions

class Var(Function):
    """Variance over dim with Bessel's correction (correction=1 divides by n - 1)."""

    @staticmethod
    def forward(ctx, x, dim, correction, keepdim):
        mean = x.mean(axis=dim, keepdims=True)
        centered = x - mean
        count = x.size // max(mean.size, 1)
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
            return grad * (2 / ctx.divisor) * centered, None, None, None


# ---------------------------------------------------------------- shapes and selection

class Expand(Function):
    """A broadcast view; the engine sums the gradient back to the input's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Gather(Function):
    """out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (torch.gather); repeated indices add up in backward."""

    @staticmethod
    def forward(ctx, x, dim, index):
        # index may be smaller than x in the other dims: only that corner of x is read
        grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
        grid[dim] = index
        ctx.shape, ctx.grid = x.shape, tuple(grid)
        return x[ctx.grid]

    @staticmethod
    def backward(ctx, grad):
        grad_x = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(grad_x, ctx.grid, grad)
        return grad_x, None, None


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        grad_x = np.zeros(ctx.shape, dtype=grad.dtype)
        # moveaxis gives views, so adding into them fills grad_x
        np.add.at(np.moveaxis(grad_x, ctx.dim, 0), ctx.index, np.moveaxis(grad, ctx.dim, 0))
        return grad_x, None, None


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
        grad_x = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(grad_x, ctx.index, grad)
        return grad_x, None, None
