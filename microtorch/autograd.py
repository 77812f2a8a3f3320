"""The public autograd API: Function, grad mode, and backward.

Every op in microtorch, built-in or your own, is a Function subclass with a
numpy forward and backward side by side:

    class Square(Function):
        @staticmethod
        def forward(ctx, x):          # x is a numpy array
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):      # grad is a numpy array shaped like the output
            (x,) = ctx.saved_tensors
            return 2 * x * grad       # one gradient per forward input, None where not needed

    y = Square.apply(t)

Tensor arguments reach forward as numpy arrays; other arguments (numbers,
dims, shapes) arrive unchanged, and backward returns None for them.
`ctx.needs_input_grad[i]` says whether input i needs a gradient at all.
Gradients are summed back over broadcast dimensions by the engine.
"""
from microtorch import _engine
from microtorch._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "backward",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

set_detect_anomaly = _engine.set_detect_anomaly
is_anomaly_enabled = _engine.is_anomaly_enabled

_apply = _engine.apply


class Function:
    """Base class of every differentiable op: subclass it and define forward and backward."""

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("Function subclasses must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("Function subclasses must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args):
        """Run the op on tensors (and plain values) and record it for backward."""
        return _apply(cls, *args)


def backward(tensor, gradient=None, retain_graph=False):
    """Same as tensor.backward(gradient, retain_graph)."""
    return tensor.backward(gradient, retain_graph=retain_graph)


class detect_anomaly:
    """Context manager (and decorator) that checks every op's forward result and backward
    gradients for nan/inf, and raises FloatingPointError naming the first op that made one.
    It slows every op down, so use it to debug, like torch.autograd.detect_anomaly."""

    def __init__(self, mode=True):
        self.mode = mode
        self._previous = []

    def __enter__(self):
        self._previous.append(is_anomaly_enabled())
        set_detect_anomaly(self.mode)
        return self

    def __exit__(self, *exc_info):
        set_detect_anomaly(self._previous.pop())
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with detect_anomaly(self.mode):
                return func(*args, **kwargs)
        return decorated


from microtorch.gradcheck import GradcheckError, gradcheck  # noqa: E402  (after Function: no import cycle)
__all__ += ["gradcheck", "GradcheckError"]
