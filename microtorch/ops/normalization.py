"""Normalisation: (x - mean) / sqrt(var + eps) over some dims, the core of batch and layer norm."""
import numpy as np

from microtorch.autograd.function import Function


class Normalize(Function):
    """(x - mean) / sqrt(var + eps) over dims, with the biased variance: the core of batch and layer norm."""

    @staticmethod
    def forward(ctx, x, dims, eps):
        centered = x - x.mean(axis=dims, keepdims=True)
        inv_std = 1 / np.sqrt((centered * centered).mean(axis=dims, keepdims=True) + eps)
        out = centered * inv_std
        ctx.save_for_backward(out, inv_std)
        ctx.dims = dims
        return out

    @staticmethod
    def backward(ctx, grad):
        out, inv_std = ctx.saved_tensors
        dims = ctx.dims
        mean_grad = grad.mean(axis=dims, keepdims=True)
        mean_grad_out = (grad * out).mean(axis=dims, keepdims=True)
        return inv_std * (grad - mean_grad - out * mean_grad_out), None, None
