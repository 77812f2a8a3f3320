"""Normalisation: (x - mean) / sqrt(var + eps) over some dims, the core of batch, layer, group and
instance norm; without the centring it is x / sqrt(mean(x^2) + eps), RMS norm."""
import numpy as np

from microtorch.autograd.function import Function


class Normalize(Function):
    """(x - mean) / sqrt(var + eps) over dims, with the biased variance: the core of batch, layer, group
    and instance norm. center=False leaves the mean in: x / sqrt(mean(x^2) + eps), the core of RMS norm."""

    @staticmethod
    def forward(ctx, x, dims, eps, center=True):
        centered = x - x.mean(axis=dims, keepdims=True) if center else x
        inv_std = 1 / np.sqrt((centered * centered).mean(axis=dims, keepdims=True) + eps)
        out = centered * inv_std
        ctx.save_for_backward(out, inv_std)
        ctx.dims, ctx.center = dims, center
        return out

    @staticmethod
    def backward(ctx, grad):
        out, inv_std = ctx.saved_tensors
        dims = ctx.dims
        mean_grad_out = (grad * out).mean(axis=dims, keepdims=True)
        mean_grad = grad.mean(axis=dims, keepdims=True) if ctx.center else 0
        return inv_std * (grad - mean_grad - out * mean_grad_out), None, None, None
