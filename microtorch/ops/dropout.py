"""Dropout: zero random elements in training, scaling the rest so that evaluation needs no change."""
from microtorch.autograd.function import Function


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p, rng):
        # inverted dropout: scale the kept units so evaluation needs no rescaling
        mask = (rng.random(x.shape) >= p).astype(x.dtype) / (1 - p)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask, None, None
