"""Copies: clone (the same values) and cast (another dtype). The gradient passes through unchanged."""
from microtorch.autograd.function import Function, run


class _Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class _Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return run(_Cast, grad, ctx.dtype), None
