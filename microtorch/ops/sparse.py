"""Embedding: rows of a weight matrix picked by integer indices."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.index import _scatter_add


class Embedding(Function):
    """Rows of weight picked by integer indices; rows picked twice get both gradients."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.shape, ctx.indices, ctx.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        grad_weight = _scatter_add(ctx.shape, ctx.indices, grad)
        if ctx.padding_idx is not None:
            grad_weight = grad_weight * (np.arange(ctx.shape[0]) != ctx.padding_idx)[:, None]  # never learns
        return grad_weight, None, None
