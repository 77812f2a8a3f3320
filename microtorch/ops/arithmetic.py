"""Elementwise arithmetic and math: + - * / ** and neg, exp, log, sqrt, abs, clamp, maximum, minimum, where;
trigonometric, hyperbolic, exp/log variants, rounding, erf; atan2, hypot, fmod, remainder, logaddexp,
xlogy, lerp and nan_to_num."""
import functools
import importlib
import math

import numpy as np

from microtorch.autograd.function import Function


def _floating(x):
    """x, with integers and bools as float32: math on them gives torch's default float dtype."""
    return x if x.dtype.kind in "fc" else x.astype(np.float32)


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -grad * a / (b * b) if need_b else None
        return grad_a, grad_b


class Pow(Function):
    @staticmethod
    def forward(ctx, base, exponent):
        ctx.save_for_backward(base, exponent)   # not the output: x.pow_(2).add_(1) must still backpropagate
        return base ** exponent

    @staticmethod
    def backward(ctx, grad):
        base, exponent = ctx.saved_tensors
        need_base, need_exponent = ctx.needs_input_grad
        grad_base = grad_exponent = None
        if need_base:
            # 0 where the exponent is 0, even at base 0 (not 0 * inf = nan), as in PyTorch
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_base = grad * np.where(exponent == 0, 0.0, exponent * base ** (exponent - 1))
        # d/de b**e = b**e * log(b); where b == 0 PyTorch defines the result as 0.
        if need_exponent:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_exponent = grad * base ** exponent * np.where(base == 0, 0.0, np.log(np.where(base == 0, 1, base)))
        return grad_base, grad_exponent


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


# ---------------------------------------------------------------- exponentials, roots, magnitudes

class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(_floating(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)  # sign(0) = 0, as in PyTorch


class Clamp(Function):
    """Values outside [low, high] are clipped; the gradient passes where low <= x <= high, and to a
    tensor bound where it clipped (low wins where low > high: then the result is high, as in torch)."""

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        out = x if low is None else np.maximum(x, low)
        return out if high is None else np.minimum(out, high)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        low, high = ctx.low, ctx.high
        above_low = True if low is None else x >= low
        below_high = True if high is None else x <= high
        _, need_low, need_high = ctx.needs_input_grad
        grad_low = grad * ((x < low) & (True if high is None else low <= high)) if need_low else None
        grad_high = grad * ((x if low is None else np.maximum(x, low)) > high) if need_high else None
        return grad * (above_low & below_high), grad_low, grad_high


# ---------------------------------------------------------------- selection

class Maximum(Function):
    """Elementwise max of a and b; where they tie, each gets half the gradient (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a = (a > b) + 0.5 * (a == b)
        need_a, need_b = ctx.needs_input_grad
        return (grad * share_a if need_a else None), (grad * (1 - share_a) if need_b else None)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a = (a < b) + 0.5 * (a == b)
        need_a, need_b = ctx.needs_input_grad
        return (grad * share_a if need_a else None), (grad * (1 - share_a) if need_b else None)


class Where(Function):
    """condition ? a : b elementwise; condition is a boolean array (no gradient)."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition = ctx.condition
        _, need_a, need_b = ctx.needs_input_grad
        grad_a = np.where(condition, grad, 0) if need_a else None
        grad_b = np.where(condition, 0, grad) if need_b else None
        return None, grad_a, grad_b


# ---------------------------------------------------------------- one-input math: y = f(x), dy/dx = derivative(x, y)

class _Pointwise(Function):
    """An elementwise op out = function(x) whose gradient is grad * derivative(x, out).
    A subclass names its numpy function and writes its derivative, nothing else. Integer inputs
    give float32 results, as in torch, unless the op keeps integers (square, sign, floor, ...)."""

    function = None
    keeps_integers = False

    @staticmethod
    def derivative(x, out):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):  # outside the domain: inf or nan, silently as torch
            out = cls.function(x if cls.keeps_integers else _floating(x))
        ctx.save_for_backward(x, out)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        x, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # inf/nan at the domain's edge, as in torch
            return grad * cls.derivative(x, out)


class Sin(_Pointwise):
    function = np.sin
    derivative = staticmethod(lambda x, out: np.cos(x))


class Cos(_Pointwise):
    function = np.cos
    derivative = staticmethod(lambda x, out: -np.sin(x))


class Tan(_Pointwise):
    function = np.tan
    derivative = staticmethod(lambda x, out: 1 + out * out)


class Asin(_Pointwise):
    function = np.arcsin
    derivative = staticmethod(lambda x, out: 1 / np.sqrt(1 - x * x))


class Acos(_Pointwise):
    function = np.arccos
    derivative = staticmethod(lambda x, out: -1 / np.sqrt(1 - x * x))


class Atan(_Pointwise):
    function = np.arctan
    derivative = staticmethod(lambda x, out: 1 / (1 + x * x))


class Sinh(_Pointwise):
    function = np.sinh
    derivative = staticmethod(lambda x, out: np.cosh(x))


class Cosh(_Pointwise):
    function = np.cosh
    derivative = staticmethod(lambda x, out: np.sinh(x))


class Asinh(_Pointwise):
    function = np.arcsinh
    derivative = staticmethod(lambda x, out: 1 / np.sqrt(x * x + 1))


class Acosh(_Pointwise):
    function = np.arccosh
    derivative = staticmethod(lambda x, out: 1 / np.sqrt(x * x - 1))


class Atanh(_Pointwise):
    function = np.arctanh
    derivative = staticmethod(lambda x, out: 1 / (1 - x * x))


class Exp2(_Pointwise):
    function = np.exp2
    derivative = staticmethod(lambda x, out: out * math.log(2))


class Expm1(_Pointwise):
    function = np.expm1
    derivative = staticmethod(lambda x, out: out + 1)


class Log2(_Pointwise):
    function = np.log2
    derivative = staticmethod(lambda x, out: 1 / (x * math.log(2)))


class Log10(_Pointwise):
    function = np.log10
    derivative = staticmethod(lambda x, out: 1 / (x * math.log(10)))


class Log1p(_Pointwise):
    function = np.log1p
    derivative = staticmethod(lambda x, out: 1 / (1 + x))


class Rsqrt(_Pointwise):
    function = staticmethod(lambda x: 1 / np.sqrt(x))
    derivative = staticmethod(lambda x, out: -0.5 * out ** 3)


class Square(_Pointwise):
    function, keeps_integers = np.square, True
    derivative = staticmethod(lambda x, out: 2 * x)


class Reciprocal(_Pointwise):
    function = np.reciprocal
    derivative = staticmethod(lambda x, out: -out * out)


@functools.cache
def _special(name):
    """numpy has no erf/erfc: scipy's vectorised one when scipy is installed (imported on first
    use, as it takes a while), else math's, element by element (the same values, more slowly)."""
    try:
        return getattr(importlib.import_module("scipy.special"), name)
    except ImportError:   # pragma: no cover - scipy is optional
        return np.vectorize(getattr(math, name), otypes=[np.float64])


def erf(x):
    """The error function of an array, in x's dtype (floats; integers give float64)."""
    return np.asarray(_special("erf")(x)).astype(np.result_type(x, np.float16), copy=False)


def erfc(x):
    """1 - erf(x) of an array, computed directly (accurate where erf(x) is near 1)."""
    return np.asarray(_special("erfc")(x)).astype(np.result_type(x, np.float16), copy=False)


class Erf(_Pointwise):
    function = staticmethod(erf)
    derivative = staticmethod(lambda x, out: 2 / math.sqrt(math.pi) * np.exp(-x * x))


class Erfc(_Pointwise):
    function = staticmethod(erfc)
    derivative = staticmethod(lambda x, out: -2 / math.sqrt(math.pi) * np.exp(-x * x))


class Frac(_Pointwise):
    function = staticmethod(lambda x: x - np.trunc(x))
    derivative = staticmethod(lambda x, out: 1)


class _Step(_Pointwise):
    """Piecewise-constant ops (sign, floor, ceil, trunc): their gradient is 0 everywhere, as in torch."""

    keeps_integers = True
    derivative = staticmethod(lambda x, out: np.zeros_like(out))


class Sign(_Step):
    function = np.sign


class Floor(_Step):
    function = np.floor


class Ceil(_Step):
    function = np.ceil


class Trunc(_Step):
    function = np.trunc


class Round(Function):
    """Round half to even (as torch and numpy do), to `decimals` places; the gradient is 0."""

    @staticmethod
    def forward(ctx, x, decimals):
        return np.round(x, decimals)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad), None


class NanToNum(Function):
    """nan, inf and -inf replaced by numbers; the gradient passes only where x was finite."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.finite = np.isfinite(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.finite, None, None, None


# ---------------------------------------------------------------- two- and three-input math

class Atan2(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scale = grad / (a * a + b * b)
        return scale * b, -scale * a


class Hypot(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        return grad * a / out, grad * b / out


class Fmod(Function):
    """The C remainder: its sign follows a; d/db = -trunc(a / b)."""

    function, rounding = np.fmod, np.trunc

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return cls.function(a, b)

    @classmethod
    def backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * cls.rounding(a / b) if ctx.needs_input_grad[1] else None)


class Remainder(Fmod):
    """Python's %: its sign follows b; d/db = -floor(a / b) (torch has no gradient for b)."""

    function, rounding = np.remainder, np.floor


class LogAddExp(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = np.logaddexp(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        return grad * np.exp(a - out), grad * np.exp(b - out)


class Xlogy(Function):
    """a * log(b), and 0 where a == 0 (unless b is nan), as in torch.xlogy."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((a == 0) & ~np.isnan(b), 0.0, a * np.log(b)).astype(np.result_type(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = grad * np.where((a == 0) & (b <= 0), 0.0, np.log(b))  # torch's choice at a == 0
            return grad_a, grad * a / b


class Lerp(Function):
    """start + weight * (end - start); weight may be a tensor or a number."""

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        return start + weight * (end - start)

    @staticmethod
    def backward(ctx, grad):
        start, end, weight = ctx.saved_tensors
        need_weight = ctx.needs_input_grad[2]
        return grad * (1 - weight), grad * weight, (grad * (end - start) if need_weight else None)
