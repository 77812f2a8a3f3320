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

The contract, checked as PyTorch checks it:
- forward returns one array (a number becomes a 0-d array). None, or a tuple of several
  outputs, raises TypeError: unlike PyTorch, a microtorch Function has exactly one output.
- forward must not write into its input arrays (they are read-only while it runs).
- backward returns one gradient per forward input (one array for a one-input op); extra
  trailing Nones are allowed. Each gradient's shape must be one the input's shape broadcasts
  to (it is summed back), and its dtype real (it is cast to the input's dtype).
- `ctx.saved_tensors` is `()` when forward saved nothing.

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
        """Run the op on tensors (and plain values) and record it for backward.

        The input arrays are read-only while forward runs: a forward that writes into an input
        raises (PyTorch lets it, with ctx.mark_dirty, which microtorch does not have).
        """
        frozen = _freeze_input_arrays(args)
        try:
            return _apply(cls, *args)
        except (RuntimeError, ValueError) as error:
            if frozen and "read-only" in str(error):
                raise RuntimeError(
                    f"{cls.__name__}.forward modified one of its input arrays in place; microtorch "
                    "Functions must not write into their inputs (the gradient would silently be "
                    "wrong). Compute into a new array instead: y = x + 1 rather than x += 1") from error
            raise
        finally:
            for array in frozen:
                array.flags.writeable = True


def _freeze_input_arrays(args):
    """Make the writeable arrays of the Tensor arguments read-only; return them, to thaw later."""
    frozen = []
    for arg in args:
        if isinstance(arg, _engine.TensorBase):
            array = arg._array
            if array.flags.writeable and not any(array is other for other in frozen):
                array.flags.writeable = False
                frozen.append(array)
    return frozen


def run(fn, *args):
    """fn applied to args, in a backward formula that is itself an op (indexing's scatter, a cast).

    When an argument is a Tensor (a create_graph backward) the op is recorded; on plain arrays
    (a plain backward) fn's forward runs directly, with a scratch ctx.
    """
    if any(isinstance(a, _engine.TensorBase) for a in args):
        return _apply(fn, *args)
    return fn.forward(_engine.Context(), *args)
