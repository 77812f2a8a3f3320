"""Activations: sigmoid, tanh, relu and their relatives, softmax and log_softmax."""
import math

import numpy as np

from microtorch._engine import TensorBase
from microtorch.autograd.function import Function
from microtorch.ops.arithmetic import erf
from microtorch.ops.reduce import sum_last


def _erf(x):
    """The error function of an array, or of a Tensor in a create_graph backward (the recorded op)."""
    if isinstance(x, TensorBase):   # a Tensor, in a create_graph backward: the recorded op
        return x.erf()
    return erf(x)


def _sigmoid(x):
    """1 / (1 + exp(-x)) in three passes over x. For very negative x, exp(-x) overflows to inf and
    1 / inf is the right answer, 0 (as torch gives), so the overflow is not worth a warning."""
    if isinstance(x, TensorBase):   # a Tensor, in a create_graph backward: the recorded op
        return x.sigmoid()
    with np.errstate(over="ignore"):
        e = np.asarray(np.exp(-x))   # asarray: a 0-d x gives a numpy scalar, which cannot be written in place
    e += 1
    return np.reciprocal(e, out=e)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        out = _sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


class GELU(Function):
    """x * Phi(x) with the exact normal CDF, or its tanh approximation."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return grad * slope, None
        cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (cdf + x * pdf), None


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.positive, ctx.negative_slope = x > 0, negative_slope
        return np.where(ctx.positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.positive, grad, grad * ctx.negative_slope), None


class ELU(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        ctx.save_for_backward(x, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return np.where(x > 0, grad, grad * (out + ctx.alpha)), None


class Softplus(Function):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        scaled = x * beta
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        # log1p(exp(-|s|)) + max(s, 0) cannot overflow
        soft = (np.log1p(np.exp(-np.abs(scaled))) + np.maximum(scaled, 0)) / beta
        return np.where(scaled > threshold, x, soft)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        scaled = x * ctx.beta
        return np.where(scaled > ctx.threshold, grad, grad * _sigmoid(scaled)), None, None


class SiLU(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        sigmoid = _sigmoid(x)
        return grad * sigmoid * (1 + x * (1 - sigmoid))


# ---------------------------------------------------------------- softmax

def _sum_along(x, dim):
    """x.sum(axis=dim, keepdims=True); over the last axis as one BLAS call (see sum_last)."""
    return sum_last(x) if dim == x.ndim - 1 else x.sum(axis=dim, keepdims=True)


def _log_softmax(x, dim):
    """log(softmax(x)) along dim, shifted by the maximum so that exp cannot overflow."""
    shifted = x - x.max(axis=dim, keepdims=True, initial=-np.inf)   # initial: dim may have size 0
    return shifted - np.log(_sum_along(np.exp(shifted), dim))


def _exp_shifted(x, dim):
    """exp(x - shift) and its sums along dim, for a shift that keeps exp from overflowing.

    softmax is exp(x - c) / sum(exp(x - c)) for any c per row. The rows' maxima are the safe choice,
    but numpy takes them one short row at a time; the overall maximum is one fast reduction and does
    as well unless some row lies so far below it that its exps underflow: then the rows' maxima
    (0 for a row of -inf, whose exps are then 0)."""
    top = x.max() if x.size else np.inf
    if np.isfinite(top):
        exp = np.exp(x - top)
        total = _sum_along(exp, dim)
        if total.min() > 1e-6:   # every row's maximum within about 14 of the overall one
            return exp, total
    top = x.max(axis=dim, keepdims=True, initial=-np.inf)   # initial: dim may have size 0
    top[top == -np.inf] = 0
    exp = np.exp(x - top)
    return exp, _sum_along(exp, dim)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        out, total = _exp_shifted(x, dim)
        out /= total
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        grad_x = grad * out   # out * (grad - sum(grad * out)), with one temporary fewer
        grad_x -= out * _sum_along(grad_x, ctx.dim)
        return grad_x, None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        out = _log_softmax(x, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - np.exp(out) * _sum_along(grad, ctx.dim), None


# ---------------------------------------------------------------- piecewise activations (issue 14)

class Hardtanh(Function):
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside the range (as torch)."""

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.inside = (x > min_val) & (x < max_val)
        return np.clip(x, min_val, max_val)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.inside, None, None


class Hardsigmoid(Function):
    """relu6(x + 3) / 6; the gradient is 1/6 strictly between -3 and 3."""

    @staticmethod
    def forward(ctx, x):
        ctx.inside = (x > -3) & (x < 3)
        return (np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.inside / 6


class Hardswish(Function):
    """x * relu6(x + 3) / 6; torch's gradient: 0 up to -3, x/3 + 1/2 on (-3, 3), 1 from 3."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0))


def _tanh_softplus(x):
    """tanh(log(1 + exp(x))), with the softplus written so that exp cannot overflow."""
    return np.tanh(np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0))


class Mish(Function):
    """x * tanh(softplus(x))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _tanh_softplus(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        t = _tanh_softplus(x)   # recomputed from x, so that a create_graph backward differentiates it
        return grad * (t + x * _sigmoid(x) * (1 - t * t))
