"""Higher-level derivatives of a whole function, as ``torch.autograd.functional``: vjp, jvp, jacobian,
hessian, vhp and hvp.

Each takes a function of one Tensor or a tuple of Tensors and returns results with the same
tuple structure. They are built on autograd.grad; jvp and hvp use the double-backward trick
(the vjp of a vjp is linear in its cotangent, so differentiating it gives a forward-mode product),
which needs backward(create_graph=True).

Common arguments: `create_graph` keeps the results differentiable (they stay connected to the
inputs' graph); `strict` raises where an output does not depend on an input instead of returning
zeros. Where an input of the function already requires grad and create_graph is False, the
results are detached, as in torch.
"""
import numpy as np

from microtorch import _engine
from microtorch._grad_mode import enable_grad
from microtorch.autograd.backward import grad as _grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]

_Tensor = _engine.TensorBase


# ---------------------------------------------------------------- tuples in, tuples out

def _as_tuple(value, name, fn_name):
    """(was it a tuple?, the Tensors as a tuple), with torch's message for anything else."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, _Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {name}"
            raise TypeError(f"The {name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where} has type {type(item).__name__}.")
    return is_tuple, items


def _unpack(results, is_tuple):
    return results if is_tuple else results[0]


def _prepare(inputs, create_graph):
    """Fresh Tensor objects for the inputs, needing grad; connected to the caller's graph only when
    create_graph asks for it (so that captured copies of the inputs are told apart)."""
    return tuple(t.reshape(t.shape) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                 for t in inputs)


def _finish(tensors, create_graph):
    """Detach results unless the caller wants them differentiable."""
    if create_graph:
        return tuple(tensors)
    return tuple(t.detach() for t in tensors)


def _zeros_like(t):
    return _engine.make_tensor(np.zeros_like(t._array))


def _check_v(v, others, others_is_tuple):
    if len(v) != len(others):
        if others_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(others)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, others)):
        if tuple(a.shape) != tuple(b.shape):
            prefix = f"Entry {i} in " if others_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {tuple(b.shape)} but got {tuple(a.shape)}.")


def _check_outputs(outputs, strict):
    if strict:
        for i, out in enumerate(outputs):
            if not out.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The "
                                   "outputs must be computed in a differentiable manner from the input when running "
                                   "in strict mode.")


def _grads(outputs, inputs, grad_outputs, create_graph):
    """autograd.grad over the outputs that require grad; None for inputs nothing reaches."""
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gs = zip(*pairs)
    return _grad(outs, inputs, gs, create_graph=create_graph, retain_graph=True, allow_unused=True)


def _fill(grads, refs, strict, create_graph, independent):
    """Zeros where no gradient arrived; with strict, an error saying what was independent of what."""
    filled = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(independent.format(i=i) + " This is not allowed in strict mode.")
            g = _zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(independent.format(i=i) + " This is not allowed in strict mode when create_graph=True.")
        filled.append(g)
    return tuple(filled)


_OUTPUT_INDEPENDENT = "The output of the user-provided function is independent of input {i}."
_JACOBIAN_INDEPENDENT = "The jacobian of the user-provided function is independent of input {i}."


def _run(func, inputs):
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "the function")
    return is_tuple, outputs


def _v_like_inputs(v, inputs, is_inputs_tuple, fn_name):
    """v as a tuple checked against the inputs; ones when None is allowed (one single-element input)."""
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        _check_v(v, inputs, is_inputs_tuple)
        return v
    if len(inputs) != 1 or inputs[0]._array.size != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                           "single Tensor with a single element.")
    return (_engine.make_tensor(np.ones_like(inputs[0]._array)),)


def _vjp_of_gradients(gradients, wrt, v, create_graph):
    """The double-backward step: grad(sum_i gradients[i] * v[i]) with respect to wrt, over the gradients
    that are still in the graph (the others contribute nothing); None where nothing arrives."""
    pairs = [(g, w) for g, w in zip(gradients, v) if g is not None and g.requires_grad]
    if not pairs:
        return (None,) * len(wrt)
    gs, ws = zip(*pairs)
    return _grad(gs, wrt, ws, create_graph=create_graph, retain_graph=True, allow_unused=True)


def _single_element_v(outputs, fn_name):
    if len(outputs) != 1 or outputs[0]._array.size != 1:
        raise RuntimeError(f"{fn_name}: The vector v can only be None if the user-provided function returns a single "
                           "Tensor with a single element.")
    return (_engine.make_tensor(np.ones_like(outputs[0]._array)),)


# ---------------------------------------------------------------- public API

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Jacobian product v^T J of func at inputs.

    Parameters
    ----------
    func : callable
        Takes Tensors (one per input) and returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple of Tensor
    v : Tensor or tuple of Tensor, optional
        One per output, shaped like it; may be None when func returns one single-element Tensor.
    create_graph, strict : bool
        See the module docstring.

    Returns
    -------
    (outputs, vjp)
        func's outputs, and v^T J shaped like the inputs.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        is_outputs_tuple, outputs = _run(func, inputs)
        _check_outputs(outputs, strict)
        if v is None:
            v = _single_element_v(outputs, "vjp")
        else:
            _, v = _as_tuple(v, "v", "vjp")
            _check_v(v, outputs, is_outputs_tuple)
        grads = _fill(_grads(outputs, inputs, v, create_graph), inputs, strict, create_graph, _OUTPUT_INDEPENDENT)
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(grads, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian-vector product J v of func at inputs (by the double-backward trick).

    Parameters
    ----------
    func : callable
        Takes Tensors (one per input) and returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple of Tensor
    v : Tensor or tuple of Tensor, optional
        One per input, shaped like it; may be None when there is one single-element input.
    create_graph, strict : bool
        See the module docstring.

    Returns
    -------
    (outputs, jvp)
        func's outputs, and J v shaped like the outputs.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    v = _v_like_inputs(v, inputs, is_inputs_tuple, "jvp")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        is_outputs_tuple, outputs = _run(func, inputs)
        _check_outputs(outputs, strict)
        # u -> u^T J is linear in u; its vjp with v is J v.
        dummies = tuple(_engine.make_tensor(np.zeros_like(out._array), requires_grad=out._array.dtype.kind == "f")
                        for out in outputs)
        grad_inputs = _grads(outputs, inputs, dummies, create_graph=True)
        if strict:
            for i, g in enumerate(grad_inputs):
                if g is None or not g.requires_grad:
                    raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                                       "user-provided function. This is not allowed in strict mode.")
        result = _vjp_of_gradients(grad_inputs, dummies, v, create_graph)
        result = _fill(result, outputs, strict, create_graph,
                       "The gradient with respect to the input is independent of entry {i} in the grad_outputs "
                       "when using the double backward trick to compute forward mode gradients.")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(result, create_graph), is_outputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs, one row of vjps per output element.

    Parameters
    ----------
    func : callable
        Takes Tensors (one per input) and returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple of Tensor
    create_graph, strict : bool
        See the module docstring.
    vectorize : bool
        Accepted for torch's signature; the rows are always computed one by one.
    strategy : str
        Only ``"reverse-mode"`` (forward mode is not implemented in microtorch).

    Returns
    -------
    Tensor, or tuple (of tuples) of Tensor
        For output i and input j, a Tensor of shape output_i.shape + input_j.shape; nested as
        torch nests it (a tuple per output, holding a tuple per input, unpacked where func or
        inputs were not tuples).
    """
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: microtorch computes Jacobians in reverse mode only, got "
                                  f"strategy={strategy!r}")
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        is_outputs_tuple, outputs = _run(func, inputs)
        _check_outputs(outputs, strict)
        table = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            for k in range(out._array.size):
                seed = np.zeros(out._array.size, dtype=out._array.dtype)
                seed[k] = 1
                seed = _engine.make_tensor(seed.reshape(out._array.shape))
                grads = _grads((out,), inputs, (seed,), create_graph)
                for j, g in enumerate(grads):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{j}. This is not allowed in strict mode.")
                        g = _zeros_like(inputs[j])
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input {j}. "
                                           "This is not allowed in strict mode when create_graph=True.")
                    rows[j].append(g)
            blocks = []
            for j, inp in enumerate(inputs):
                stacked = _stack(rows[j], out, inp)
                blocks.append(stacked)
            table.append(_finish(blocks, create_graph))
    table = [_unpack(tuple(row), is_inputs_tuple) for row in table]
    return _unpack(tuple(table), is_outputs_tuple)


def _stack(rows, out, inp):
    """The vjp rows for one (output, input) pair as one Tensor of shape out.shape + inp.shape."""
    shape = tuple(out.shape) + tuple(inp.shape)
    if not rows:   # an empty output
        return _engine.make_tensor(np.zeros(shape, dtype=inp._array.dtype))
    from microtorch.functional import stack   # the function layer sits above autograd: import at call time
    return stack(rows, 0).reshape(shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function func at inputs: the Jacobian of its gradient.

    Parameters
    ----------
    func : callable
        Takes Tensors (one per input) and returns a Tensor with a single element.
    inputs : Tensor or tuple of Tensor
    create_graph, strict, vectorize : bool
        See jacobian.

    Returns
    -------
    Tensor, or tuple of tuples of Tensor
        For inputs i and j, a Tensor of shape input_i.shape + input_j.shape.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*args):
        is_tuple, outputs = _run(func, args)
        if is_tuple or len(outputs) != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if outputs[0]._array.size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        _check_outputs(outputs, strict)
        return outputs[0].reshape(())

    def gradient(*args):
        out = scalar(*args)
        grads = _grads((out,), args, (None,), create_graph=True)
        if strict:
            for i, g in enumerate(grads):
                if g is None or not g.requires_grad:
                    raise RuntimeError("While computing the hessian, found that the jacobian of the user-provided "
                                       f"function with respect to input {i} is independent of the input. This is not "
                                       "allowed in strict mode. You should ensure that your function is twice "
                                       "differentiable and that the jacobian depends on the inputs (this would be "
                                       "violated by a linear function for example).")
        return tuple(_zeros_like(a) if g is None else g for a, g in zip(args, grads))

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    return result if is_inputs_tuple else result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Hessian product v^T H of a scalar function func at inputs.

    Returns
    -------
    (output, vhp)
        func's output, and v^T H shaped like the inputs.
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian-vector product H v of a scalar function func at inputs (by the double-backward trick).

    Returns
    -------
    (output, hvp)
        func's output, and H v shaped like the inputs.
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, fn_name):
    # H is symmetric for twice-differentiable functions, so v^T H and H v are the same numbers; both
    # are the vjp of the gradient with v, as torch computes vhp (and hvp, up to the order of products).
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    v = _v_like_inputs(v, inputs, is_inputs_tuple, fn_name)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        is_outputs_tuple, outputs = _run(func, inputs)
        if is_outputs_tuple or len(outputs) != 1:
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if outputs[0]._array.size != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
        _check_outputs(outputs, strict)
        jac = _grads(outputs, inputs, (None,), create_graph=True)
        if strict:
            for i, g in enumerate(jac):
                if g is None or not g.requires_grad:
                    raise RuntimeError("The jacobian of the user-provided function is independent of input "
                                       f"{i}. This is not allowed in strict mode.")
        result = _vjp_of_gradients(jac, inputs, v, create_graph)
        result = _fill(result, inputs, strict, create_graph, _JACOBIAN_INDEPENDENT)
    return _finish(outputs, create_graph)[0], _unpack(_finish(result, create_graph), is_inputs_tuple)
