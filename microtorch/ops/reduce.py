"""Reductions: sum, mean, max, var, prod, logsumexp and vector norms over all dims, one dim or a tuple of
dims; the scans cumsum and cumprod."""
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
        ctx.save_for_backward(x)
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
        ties = x == out
        return ties * (g / ties.sum(axis=ctx.dim, keepdims=True)), None, None


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
        scale = 2 / ctx.divisor if ctx.divisor else float("inf")  # no degrees of freedom: nan, as in torch
        with np.errstate(invalid="ignore"):
            return grad * scale * centered, None, None, None


class Prod(Function):
    """The product over one dim (or all). Its gradient is the product of the other entries, computed
    without dividing, so it is exact where entries are zero (as in torch)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return x.prod(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.dim is None:
            others = _product_of_others(x.reshape(-1), 0).reshape(x.shape)
        else:
            others = _product_of_others(x, ctx.dim)
        return _expand_reduced(grad, x.shape, ctx.dim, ctx.keepdim) * others, None, None


def _product_of_others(x, axis):
    """For each entry, the product of every other entry along axis: (product before) * (product after)."""
    x = np.moveaxis(x, axis, -1)
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    before = np.concatenate([ones, np.cumprod(x[..., :-1], axis=-1)], axis=-1)
    after = np.concatenate([np.cumprod(x[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
    return np.moveaxis(before * after, -1, axis)


class LogSumExp(Function):
    """log(sum(exp(x))) over dim, shifted by the max so that large inputs do not overflow."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        shift = x.max(axis=dim, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        shift = np.where(np.isfinite(shift), shift, 0)
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(x - shift).sum(axis=dim, keepdims=True)) + shift
        ctx.save_for_backward(x, out)
        ctx.dim, ctx.keepdim = dim, keepdim
        return out if keepdim else np.squeeze(out, dim)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _expand_reduced(grad, x.shape, ctx.dim, ctx.keepdim) * np.exp(x - out), None, None


class VectorNorm(Function):
    """(sum |x|**p)**(1/p) over dim; p may be inf, -inf or 0 (the count of nonzeros). Where the norm is 0
    the gradient is 0; the max (inf) norm shares it evenly between ties, as in torch."""

    @staticmethod
    def forward(ctx, x, p, dim, keepdim):
        magnitude = np.abs(x)
        if p == np.inf:
            out = magnitude.max(axis=dim, keepdims=True)
        elif p == -np.inf:
            out = magnitude.min(axis=dim, keepdims=True)
        elif p == 0:
            out = (magnitude != 0).sum(axis=dim, keepdims=True).astype(x.dtype)
        else:
            out = (magnitude ** p).sum(axis=dim, keepdims=True) ** (1 / p)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.dim, ctx.keepdim = p, dim, keepdim
        if keepdim:
            return out
        return out.reshape(()) if dim is None else np.squeeze(out, dim)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p = ctx.p
        grad = grad.reshape(out.shape)
        if p == 0:
            return np.zeros_like(x), None, None, None
        if p in (np.inf, -np.inf):
            ties = np.abs(x) == out
            return np.sign(x) * ties * grad / ties.sum(axis=ctx.dim, keepdims=True), None, None, None
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(out == 0, 0.0, grad / out ** (p - 1))
            return x * np.abs(x) ** (p - 2) * scale if p != 1 else np.sign(x) * grad, None, None, None


# ---------------------------------------------------------------- scans

class CumSum(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        # out[j] = sum of x[i <= j], so x[i] gets the sum of grad[j >= i]: a cumsum from the end
        return np.flip(np.cumsum(np.flip(grad, ctx.dim), axis=ctx.dim), ctx.dim), None


class CumProd(Function):
    """out[j] = x[0] * ... * x[j]. Without zeros, x[i] gets sum_{j >= i} grad[j] * out[j] / x[i]; where
    a slice holds a zero that quotient is undefined, so those slices are summed term by term (exact)."""

    @staticmethod
    def forward(ctx, x, dim):
        out = np.cumprod(x, axis=dim)
        ctx.save_for_backward(x, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dim = ctx.dim
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_x = np.flip(np.cumsum(np.flip(grad * out, dim), axis=dim), dim) / x
        if (x == 0).any():
            grad_x = np.where((x == 0).any(axis=dim, keepdims=True), _cumprod_grad_with_zeros(x, grad, dim), grad_x)
        return grad_x, None


def _cumprod_grad_with_zeros(x, grad, dim):
    """d(sum grad * cumprod(x)) / dx by its definition: x[i] gets sum_{j >= i} grad[j] * prod_{k <= j, k != i} x[k]."""
    x, grad = np.moveaxis(x, dim, -1), np.moveaxis(grad, dim, -1)
    grad_x = np.empty_like(x)
    before = np.ones(x.shape[:-1], dtype=x.dtype)  # product of x[k < i]
    for i in range(x.shape[-1]):
        after = np.cumprod(x[..., i + 1:], axis=-1)  # products of x[i < k <= j] for j > i
        grad_x[..., i] = before * (grad[..., i] + (grad[..., i + 1:] * after).sum(axis=-1))
        before = before * x[..., i]
    return np.moveaxis(grad_x, -1, dim)
