"""Reductions: sum, mean, max, var, std, prod, logsumexp and vector norms over all dims, one dim or a tuple
of dims; the scans cumsum and cumprod."""
import math

import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.index import _along_dim, _scatter_add


def sum_last(x):
    """x.sum(axis=-1, keepdims=True), for an array as a matrix-vector product: numpy reduces a short
    last axis one row at a time, BLAS sums every row in one call (3-4x faster on rows of 32 to 256)."""
    if not isinstance(x, np.ndarray):   # a Tensor, in a create_graph backward: the recorded sum
        return x.sum(axis=-1, keepdims=True)
    return x @ np.ones((x.shape[-1], 1), dtype=x.dtype)


def sum_leading(x, shape):
    """x summed over its leading dims down to its trailing `shape` (a bias's gradient), as one
    vector-matrix product: faster than numpy's sum over several leading axes."""
    size = math.prod(shape)
    if size == 0:   # nothing to sum into (and reshape(-1, 0) is ambiguous)
        return np.zeros(shape, dtype=x.dtype)
    rows = x.reshape(-1, size)
    return (np.ones(rows.shape[0], dtype=x.dtype) @ rows).reshape(shape)


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
    over all dims or a tuple of dims it is shared evenly between ties (torch.amax). A nan maximum
    is its nans', as in torch."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        # (an empty x reduced over a dim of size 0 was refused by _check_reducible)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        if isinstance(dim, int):
            index = np.expand_dims(np.argmax(x, axis=dim), dim)
            ctx.where = _along_dim(index, dim)   # where each maximum was read from
            out = x[ctx.where]
            return out if keepdim else np.squeeze(out, dim)
        out = x.max(axis=dim, keepdims=True)
        ctx.ties = (x == out) | (np.isnan(x) & np.isnan(out))   # the gradient is shared between ties
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        g = grad if ctx.keepdim or ctx.dim is None else np.expand_dims(grad, ctx.dim)
        if isinstance(ctx.dim, int):
            return _scatter_add(ctx.shape, ctx.where, g), None, None
        ties = ctx.ties
        return ties * (g / ties.sum(axis=ctx.dim, keepdims=True)), None, None


def _centered(x, dim, count, flat):
    """x minus its mean over dim; exactly 0 where the values are all equal (flat), as torch's Welford gives."""
    centered = x - np.sum(x, axis=dim, keepdims=True) / max(count, 1)   # with count 0 there is nothing to center
    return centered if flat is None else np.where(flat, 0.0, centered)


class Var(Function):
    """Variance over dim with Bessel's correction (correction=1 divides by n - 1)."""

    @staticmethod
    def forward(ctx, x, dim, correction, keepdim):
        count = x.size // max(x.sum(axis=dim, keepdims=True).size, 1)
        # where the values are equal their spread is exactly 0 (a constant mask, also to a create_graph backward)
        ctx.flat = x.max(axis=dim, keepdims=True) == x.min(axis=dim, keepdims=True) if x.size else None
        centered = _centered(x, dim, count, ctx.flat)
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim, ctx.count, ctx.divisor = dim, keepdim, count, max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (centered * centered).sum(axis=dim, keepdims=keepdim) / ctx.divisor

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        centered = _centered(x, ctx.dim, ctx.count, ctx.flat)
        if ctx.dim is not None and not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.dim)
        scale = 2 / ctx.divisor if ctx.divisor else float("inf")  # no degrees of freedom: nan, as in torch
        with np.errstate(invalid="ignore"):
            return grad * scale * centered, None, None, None


class Std(Var):
    """sqrt(var). Where it is 0 the gradient is 0, as in torch (sqrt's infinite slope would make
    0 * inf = nan)."""

    @staticmethod
    def forward(ctx, x, dim, correction, keepdim):
        ctx.std = np.sqrt(Var.forward(ctx, x, dim, correction, keepdim))
        return ctx.std

    @staticmethod
    def decomposition(x, dim, correction, keepdim):
        """The same function from recorded ops, differentiated by a create_graph backward."""
        count = np.size(x) // max(np.size(np.sum(x.detach(), axis=dim, keepdims=True)), 1)
        centered = _centered(x, dim, count, None)
        return np.sqrt(np.sum(centered * centered, axis=dim, keepdims=keepdim) / max(count - correction, 0))

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_var = np.where(ctx.std == 0, 0.0, grad / (2 * ctx.std))
        return Var.backward(ctx, grad_var)


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
    def decomposition(x, dim, keepdim):
        """The same function from recorded ops (the shift is a constant: the result does not depend on it)."""
        shift = np.max(x.detach(), axis=dim, keepdims=True) if x.numel() else 0
        shift = np.where(np.isfinite(shift), shift, 0)
        out = np.log(np.sum(np.exp(x - shift), axis=dim, keepdims=True)) + shift
        return out if keepdim else np.squeeze(out, dim)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _expand_reduced(grad, x.shape, ctx.dim, ctx.keepdim) * np.exp(x - out), None, None


def _drop_reduced(out, dim, keepdim):
    """A keepdim reduction's result without the reduced dims, unless keepdim."""
    if keepdim:
        return out
    return out.reshape(()) if dim is None else np.squeeze(out, dim)


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
        return _drop_reduced(out, dim, keepdim)

    @staticmethod
    def decomposition(x, p, dim, keepdim):
        """The same norm from recorded ops, differentiated by a create_graph backward."""
        magnitude = np.abs(x)
        if p == np.inf:
            out = magnitude.amax(dim, keepdim=True)
        elif p == -np.inf:
            out = magnitude.amin(dim, keepdim=True)
        elif p == 0:
            out = (np.asarray(x.detach()) != 0).sum(axis=dim, keepdims=True).astype(x.dtype)
        else:
            out = np.sum(magnitude ** p, axis=dim, keepdims=True) ** (1 / p)
        return _drop_reduced(out, dim, keepdim)

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
        later = np.flip(np.cumsum(np.flip(grad * out, dim), axis=dim), dim)
        zero = x == 0
        if not zero.any():
            return later / x, None
        # divide by 1 where x is 0, so that no inf reaches a second derivative (0 * inf = nan there)
        quotient = later / np.where(zero, 1.0, x)
        return np.where(np.any(zero, axis=dim, keepdims=True), _cumprod_grad_with_zeros(x, grad, dim), quotient), None


def _cumprod_grad_with_zeros(x, grad, dim):
    """d(sum grad * cumprod(x)) / dx by its definition: x[i] gets sum_{j >= i} grad[j] * prod_{k <= j, k != i} x[k]."""
    x, grad = np.moveaxis(x, dim, -1), np.moveaxis(grad, dim, -1)
    columns = []
    before = np.ones(x.shape[:-1], dtype=x.dtype)  # product of x[k < i]
    for i in range(x.shape[-1]):
        after = np.cumprod(x[..., i + 1:], axis=-1)  # products of x[i < k <= j] for j > i
        columns.append(before * (grad[..., i] + np.sum(grad[..., i + 1:] * after, axis=-1)))
        before = before * x[..., i]
    return np.moveaxis(np.stack(columns, axis=-1), -1, dim)
