"""Dropout: zero random elements in training, scaling the rest so that evaluation needs no change."""
from microtorch.autograd.function import Function


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p, rng):
        # inverted dropout: scale the kept units so evaluation needs no rescaling
        # kept as a ctx attribute, not saved: the mask is a constant, also to a create_graph backward
        ctx.mask = (rng.random(x.shape) >= p).astype(x.dtype) / (1 - p)
        return x * ctx.mask

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.mask, None, None
