"""Function: the base class of every differentiable op, built-in or your own.

Every op in microtorch is a Function subclass with a numpy forward and backward side by side:

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

__all__ = ["Function"]

_apply = _engine.apply


class Function:
    """Base class of every differentiable op: subclass it and define forward and backward."""

    @staticmethod
    def forward(ctx, *args):
        """Compute the op's output from numpy arrays; subclasses define it as a staticmethod.

        Parameters
        ----------
        ctx : Context
            Save what backward needs with ``ctx.save_for_backward(...)`` or as attributes.
        *args
            The inputs: numpy arrays where tensors were passed, other values as they are.

        Returns
        -------
        numpy.ndarray
        """
        raise NotImplementedError("Function subclasses must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, grad):
        """Compute the gradient of each input from the output's gradient; subclasses define it as a staticmethod.

        Parameters
        ----------
        ctx : Context
            What forward saved.
        grad : numpy.ndarray
            The gradient of the output, shaped like it.

        Returns
        -------
        numpy.ndarray or tuple
            One gradient per forward input (None where none is needed).

        Notes
        -----
        Unlike PyTorch, forward and backward see numpy arrays, not Tensors; so a backward is not
        itself differentiable (no double backward).
        """
        raise NotImplementedError("Function subclasses must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args):
        """Run the op on tensors (and plain values) and record it for backward."""
        return _apply(cls, *args)
