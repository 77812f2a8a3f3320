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

backward(create_graph=True) runs the same backward on Tensors, so that it is recorded and can be
differentiated again: numpy operators and functions in a formula (`grad * x`, `np.exp(x)`,
`np.where(...)`, `g.sum(axis=...)`) then act on Tensors. A gradient that is itself an op (the
scatter behind indexing, a cast) is written `run(OtherOp, ...)`. Values that forward keeps as ctx
attributes (ctx.mask = ...) are constants to that second pass; values that depend on the inputs must
be saved with save_for_backward (the inputs or the output themselves). A Function whose backward
cannot be differentiated sets `once_differentiable = True`, and create_graph=True then refuses it.
"""
from microtorch import _engine

__all__ = ["Function", "run"]

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


def run(fn, *args):
    """fn applied to args, in a backward formula that is itself an op (indexing's scatter, a cast).

    When an argument is a Tensor (a create_graph backward) the op is recorded; on plain arrays
    (a plain backward) fn's forward runs directly, with a scratch ctx.
    """
    if any(isinstance(a, _engine.TensorBase) for a in args):
        return _apply(fn, *args)
    return fn.forward(_engine.Context(), *args)
