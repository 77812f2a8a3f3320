"""Embedding: rows of a weight matrix picked by integer indices."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.index import _scatter_add


class Embedding(Function):
    """Rows of weight picked by integer indices; rows picked twice get both gradients.

    padding_idx's row gets no gradient; scale_grad_by_freq divides each row's gradient by how
    many times the indices pick it.
    """

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq=False):
        ctx.shape, ctx.indices, ctx.padding_idx = weight.shape, indices, padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        flat, rows = ctx.indices.reshape(-1), grad.reshape(-1, ctx.shape[1])
        if ctx.scale_grad_by_freq:
            rows = rows / np.bincount(flat, minlength=ctx.shape[0])[flat, None].astype(rows.dtype)
        grad_weight = _scatter_add(ctx.shape, flat, rows)
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0  # the padding row never learns
        return grad_weight, None, None, None
