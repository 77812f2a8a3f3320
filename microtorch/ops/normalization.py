"""Normalisation: (x - mean) / sqrt(var + eps) over some dims, the core of batch, layer, group and
instance norm; without the centring it is x / sqrt(mean(x^2) + eps), RMS norm."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.reduce import sum_last, sum_leading


def _mean(x, dims):
    """x.mean(axis=dims, keepdims=True); over the last axis alone as one BLAS call (see sum_last)."""
    if dims == (x.ndim - 1,):
        return sum_last(x) / x.shape[-1]
    return x.mean(axis=dims, keepdims=True)


def _normalize(x, dims, eps, center):
    """(x - mean) / sqrt(var + eps) over dims (x / sqrt(mean(x^2) + eps) without center), and 1 / sqrt(var + eps)."""
    centered = x - _mean(x, dims) if center else x
    inv_std = 1 / np.sqrt(_mean(centered * centered, dims) + eps)
    return centered * inv_std, inv_std


def _normalize_backward(grad, out, inv_std, dims, center):
    """The gradient of x from that of out = _normalize(x): inv_std * (grad - mean(grad) - out * mean(grad * out))."""
    grad_x = out * _mean(grad * out, dims)   # built in place on fresh buffers
    np.subtract(grad, grad_x, out=grad_x)
    if center:
        grad_x -= _mean(grad, dims)
    grad_x *= inv_std
    return grad_x


class Normalize(Function):
    """(x - mean) / sqrt(var + eps) over dims, with the biased variance: the core of batch, layer, group
    and instance norm. center=False leaves the mean in: x / sqrt(mean(x^2) + eps), the core of RMS norm."""

    @staticmethod
    def forward(ctx, x, dims, eps, center=True):
        out, inv_std = _normalize(x, dims, eps, center)
        ctx.save_for_backward(out, inv_std, x)
        ctx.dims, ctx.center = dims, center
        return out

    @staticmethod
    def decomposition(x, dims, eps, center=True):
        """The same normalisation from recorded ops, differentiated by a create_graph backward."""
        centered = x - np.mean(x, axis=dims, keepdims=True) if center else x
        return centered / np.sqrt(np.mean(centered * centered, axis=dims, keepdims=True) + eps)

    @staticmethod
    def backward(ctx, grad):
        out, inv_std, _ = ctx.saved_tensors
        return _normalize_backward(grad, out, inv_std, ctx.dims, ctx.center), None, None, None


class LayerNorm(Function):
    """Normalize over the trailing dims of weight's shape, then * weight + bias: layer norm in one op,
    so that backward sums the weight's and bias's gradients itself (one product each)."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        dims = tuple(range(x.ndim - weight.ndim, x.ndim))
        normalized, inv_std = _normalize(x, dims, eps, True)
        ctx.save_for_backward(normalized, inv_std, x, weight)
        ctx.dims, ctx.eps = dims, eps
        out = normalized * weight
        out += bias
        return out

    @staticmethod
    def decomposition(x, weight, bias, eps):
        """The same layer norm from recorded ops, differentiated by a create_graph backward."""
        return Normalize.decomposition(x, tuple(range(x.ndim - weight.ndim, x.ndim)), eps) * weight + bias

    @staticmethod
    def backward(ctx, grad):
        normalized, inv_std, _, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        grad_x = _normalize_backward(grad * weight, normalized, inv_std, ctx.dims, True) if need_x else None
        grad_weight = sum_leading(grad * normalized, weight.shape) if need_weight else None
        grad_bias = sum_leading(grad, weight.shape) if need_bias else None
        return grad_x, grad_weight, grad_bias, None
