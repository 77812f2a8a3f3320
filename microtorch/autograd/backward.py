"""autograd.backward and autograd.grad: backpropagation from several outputs, into .grad or returned,
optionally recorded (create_graph) so that the gradients can be differentiated again."""
import warnings

import numpy as np

from microtorch import _engine

__all__ = ["backward", "grad"]


def _as_tuple(value):
    return (value,) if value is None or isinstance(value, _engine.TensorBase) else tuple(value)


def _seeds(outputs, grad_outputs, create_graph, op):
    from microtorch.tensor import _seed_gradient   # Tensor sits above autograd: import at call time
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: grad_outputs has {len(grad_outputs)} entries, but there are {len(outputs)} "
                           "outputs")
    for i, out in enumerate(outputs):
        if not isinstance(out, _engine.TensorBase):
            raise TypeError(f"{op}: outputs must be Tensors, got {type(out).__name__} at position {i}")
        if not out.requires_grad:
            raise RuntimeError(f"{op}: element {i} of tensors does not require grad and does not have a grad_fn")
    return [_seed_gradient(out, g, create_graph, op, position=i) for i, (out, g) in enumerate(zip(outputs, grad_outputs))]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the leaves' .grad, as ``torch.autograd.backward``.

    Parameters
    ----------
    tensors : Tensor or sequence of Tensor
        The outputs to differentiate; their gradients are summed.
    grad_tensors : Tensor or sequence of Tensor or None, optional
        d(loss)/d(output), one per output (None for a one-element output).
    retain_graph : bool, optional
        Keep the graph for another backward; defaults to create_graph.
    create_graph : bool
        Record the backward pass, so that the gradients can be differentiated again.
    inputs : sequence of Tensor, optional
        Accumulate only into these tensors' .grad.
    """
    from microtorch.tensor import _check_differentiable_input
    outputs = _as_tuple(tensors)
    grad_outputs = (None,) * len(outputs) if grad_tensors is None else _as_tuple(grad_tensors)
    seeds = _seeds(outputs, grad_outputs, create_graph, "backward")
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
        for i, t in enumerate(inputs):
            _check_differentiable_input(t, i, "backward")
    retain_graph = create_graph if retain_graph is None else retain_graph
    _engine.run_backward(outputs, seeds, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, as ``torch.autograd.grad``; .grad is left alone.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
        What to differentiate.
    inputs : Tensor or sequence of Tensor
        With respect to what; each must require grad.
    grad_outputs : Tensor or sequence of Tensor or None, optional
        d(loss)/d(output), one per output (None for a one-element output).
    retain_graph : bool, optional
        Keep the graph for another backward; defaults to create_graph.
    create_graph : bool
        Record the backward pass, so that the gradients can be differentiated again (grads of grads).
    only_inputs : bool
        Deprecated in torch and ignored (only `inputs` ever receive gradients); False warns, as in torch.
    allow_unused : bool, optional
        Return None for an input that the outputs do not depend on, instead of raising. Defaults to
        materialize_grads.
    is_grads_batched : bool
        The first dim of every grad_output is a batch of vectors: one vector-Jacobian product per
        entry, stacked along a new first dim of each result. torch vectorises this with vmap;
        microtorch runs one backward per entry (the same numbers, slower).
    materialize_grads : bool
        Return zeros instead of None for unused inputs.

    Returns
    -------
    tuple of Tensor
        One gradient per input.

    Examples
    --------
    >>> x = microtorch.tensor(2.0, requires_grad=True)
    >>> (dy,) = microtorch.autograd.grad(x ** 3, x, create_graph=True)   # 3 x^2 = 12
    >>> microtorch.autograd.grad(dy, x)                                  # 6 x = 12
    (tensor(12.),)
    """
    from microtorch.tensor import _check_differentiable_input, _make
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    for i, t in enumerate(inputs):
        _check_differentiable_input(t, i, "grad")
    seeds = _seeds(outputs, grad_outputs, create_graph, "grad")
    retain_graph = create_graph if retain_graph is None else retain_graph
    grads = _engine.run_backward(outputs, seeds, retain_graph, create_graph, inputs, False)
    results = []
    for i, (t, g) in enumerate(zip(inputs, grads)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: One of the differentiated Tensors appears to not have been used in the "
                                   f"graph (input {i}, shape {t.shape}). Set allow_unused=True if this is the "
                                   "desired behavior.")
            if materialize_grads:
                g = _make(np.zeros_like(t._array))
        elif not isinstance(g, _engine.TensorBase):
            g = _make(np.array(g, copy=True))   # a plain backward's gradient may share memory with others
        results.append(g)
    return tuple(results)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """grad(..., is_grads_batched=True): one vector-Jacobian product per entry of the grad_outputs'
    first dim, each result stacked along a new first dim (None where an unused input got none)."""
    from microtorch.functional import stack
    if grad_outputs is None:
        raise RuntimeError("grad: is_grads_batched=True needs grad_outputs, whose first dim is the batch")
    grad_outputs = _as_tuple(grad_outputs)
    sizes = {len(g) for g in grad_outputs if g is not None}
    if len(sizes) != 1:
        raise RuntimeError(f"grad: with is_grads_batched=True every grad_output needs the same first dim (the "
                           f"batch), got sizes {sorted(sizes)}")
    (size,) = sizes
    rows = [grad(outputs, inputs, tuple(None if g is None else g[k] for g in grad_outputs),
                 retain_graph=True if k < size - 1 else retain_graph, create_graph=create_graph,
                 allow_unused=allow_unused, materialize_grads=materialize_grads) for k in range(size)]
    return tuple(None if column[0] is None else stack(column) for column in zip(*rows))
