"""gradcheck: compare backward's gradients with central finite differences, in float64.

    x = microtorch.randn(3, 4, dtype=microtorch.float64, requires_grad=True)
    gradcheck(lambda t: (t.exp() * t).sum(1), (x,))            # True, or GradcheckError

    a, b = Var(0.3, requires_grad=True), Var(-1.2, requires_grad=True)
    gradcheck(lambda a, b: (a * b).tanh() + a ** 2, [a, b])  # the same for scalar Vars

As torch.autograd.gradcheck: every input that requires grad is checked, every
element of it against every element of every floating-point output. The
analytic Jacobian comes from one backward per output element, the numeric one
from (f(x + eps) - f(x - eps)) / 2eps per input element, and they must agree to
|analytic - numeric| <= atol + rtol * |numeric|.

The inputs are copied to float64 leaves first, so yours are left untouched.
Everything else fn computes with must be float64 too (a float32 weight inside
fn would make the differences noise): a float32 output is an error.
"""
import numpy as np

from microtorch import _engine
from microtorch._grad_mode import enable_grad, no_grad
from microtorch.autograd.backward import grad
from microtorch._scalar import Var

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """backward disagrees with finite differences; the attributes locate the worst element."""

    def __init__(self, message, input_index, input_element, output_index, output_element,
                 analytic, numeric):
        super().__init__(message)
        self.input_index, self.input_element = input_index, input_element
        self.output_index, self.output_element = output_index, output_element
        self.analytic, self.numeric = analytic, numeric


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check fn's gradients w.r.t. inputs that require grad: True, or GradcheckError.

    inputs is a Tensor, a Var, or a tuple/list of them (and of other arguments,
    which are passed through); fn returns a Tensor, a Var, or a tuple/list of them.
    With raise_exception=False a mismatch returns False instead of raising.
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    copies = [_float64_copy(value) for value in inputs]
    checked = [i for i, value in enumerate(copies) if _is_differentiable(value) and value.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create the inputs to check with "
                         "requires_grad=True")
    outputs = _outputs(fn(*copies))
    analytic = _analytic_jacobians(outputs, copies, checked)
    numeric = _numeric_jacobians(fn, copies, checked, eps)

    worst, mismatches, total = None, 0, 0
    for i, a, n in zip(checked, analytic, numeric):
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        mismatches += int(np.count_nonzero(excess > 0))
        total += excess.size
        if excess.size and (worst is None or excess.max() > worst[0]):
            row, column = np.unravel_index(np.argmax(excess), excess.shape)
            worst = (excess.max(), i, row, column, a[row, column], n[row, column])
    if mismatches == 0:
        return True
    if not raise_exception:
        return False
    _, i, row, column, a, n = worst
    input_element = np.unravel_index(row, _shape_of(copies[i]))
    output_index, output_element = _locate_output(outputs, column)
    raise GradcheckError(
        f"gradcheck: backward disagrees with finite differences in {mismatches} of {total} "
        f"Jacobian entries. Worst: the gradient of output {output_index} at {_index_text(output_element)} "
        f"with respect to input {i} ({_describe(copies[i])}) at {_index_text(input_element)}: "
        f"analytic {a:.10g}, numeric {n:.10g} (difference {abs(a - n):.3g} > "
        f"atol + rtol * |numeric| = {atol + rtol * abs(n):.3g})",
        i, tuple(int(k) for k in input_element), output_index,
        tuple(int(k) for k in output_element), float(a), float(n))


# ---------------------------------------------------------------- inputs and outputs

def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check fn's second derivatives: gradcheck of the first derivatives, as torch.autograd.gradgradcheck.

    The first derivatives are the vector-Jacobian products of fn's outputs with grad_outputs,
    computed by backward(create_graph=True); gradcheck then compares their gradients (with
    respect to the inputs and to grad_outputs) with finite differences.

    Parameters
    ----------
    fn : callable
        Takes the inputs, returns a Tensor or a tuple of Tensors.
    inputs : Tensor or sequence
        The inputs that require grad are checked; float64 copies are used.
    grad_outputs : Tensor or sequence of Tensor, optional
        One per output; random (seeded) float64 tensors that require grad when None.
    eps, atol, rtol, raise_exception
        As gradcheck.

    Returns
    -------
    bool
        True, or False / GradcheckError on a mismatch.
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    if any(isinstance(value, Var) for value in inputs):
        raise TypeError("gradgradcheck: scalar Vars have no second derivatives; use Tensors")
    copies = [_float64_copy(value) for value in inputs]
    outputs = _outputs(fn(*copies))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_engine.make_tensor(rng.standard_normal(out.shape), requires_grad=True) for out in outputs]
    else:
        grad_outputs = [_float64_copy(g) for g in (grad_outputs if isinstance(grad_outputs, (tuple, list))
                                                   else [grad_outputs])]
    count = len(copies)

    def first_derivatives(*args):
        xs, vs = args[:count], args[count:]
        wrt = [x for x in xs if _is_differentiable(x) and x.requires_grad]
        with enable_grad():   # gradcheck evaluates its function under no_grad for the finite differences
            grads = grad(_outputs(fn(*xs)), wrt, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, copies + grad_outputs, eps, atol, rtol, raise_exception)


def _is_differentiable(value):
    return isinstance(value, (_engine.TensorBase, Var))


def _float64_copy(value):
    """A float64 leaf with value's numbers and requires_grad; other arguments unchanged."""
    if isinstance(value, Var):
        return Var(value.val, requires_grad=value.requires_grad)
    if isinstance(value, _engine.TensorBase):
        data = value._array
        data = data.astype(np.float64) if data.dtype.kind == "f" else data.copy()
        return _engine.make_tensor(data, value.requires_grad)
    return value


def _outputs(result):
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    differentiable = []
    for k, out in enumerate(outputs):
        if isinstance(out, Var):
            differentiable.append(out)
        elif isinstance(out, _engine.TensorBase):
            if out._array.dtype.kind != "f":
                continue  # integer and bool outputs (argmax, comparisons) have no gradient
            if out._array.dtype != np.float64:
                raise TypeError(
                    f"gradcheck: output {k} is {out._array.dtype}, but finite differences need float64 "
                    "throughout; make every tensor fn uses (weights too) float64")
            differentiable.append(out)
        else:
            raise TypeError(f"gradcheck: fn must return Tensors or Vars, got {type(out).__name__} "
                            f"as output {k}")
    if not differentiable:
        raise ValueError("gradcheck: fn returned no floating-point output to check")
    return differentiable


def _values(outputs):
    """Every output number, flattened into one float64 vector."""
    return np.concatenate([np.ravel(out.val if isinstance(out, Var) else out._array) for out in outputs])


def _shape_of(value):
    return () if isinstance(value, Var) else value._array.shape


def _describe(value):
    if isinstance(value, Var):
        return "Var"
    return f"Tensor of shape {value._array.shape}"


def _index_text(element):
    return "[" + ", ".join(str(int(k)) for k in element) + "]"


def _locate_output(outputs, column):
    for k, out in enumerate(outputs):
        size = 1 if isinstance(out, Var) else out._array.size
        if column < size:
            return k, np.unravel_index(column, _shape_of(out))
        column -= size
    raise AssertionError("column out of range")


# ---------------------------------------------------------------- the two Jacobians

def _analytic_jacobians(outputs, inputs, checked):
    """Per checked input, a (its size, total output size) array: one backward per output element."""
    columns = _values(outputs).size
    jacobians = [np.zeros((_size_of(inputs[i]), columns)) for i in checked]
    column = 0
    for out in outputs:
        for element in np.ndindex(_shape_of(out)):
            for i in checked:
                inputs[i].grad = 0.0 if isinstance(inputs[i], Var) else None
            if out.requires_grad:
                if isinstance(out, Var):
                    out.backward(1.0, retain_graph=True)
                else:
                    seed = np.zeros(out._array.shape)
                    seed[element] = 1.0
                    out.backward(seed, retain_graph=True)
            for jacobian, i in zip(jacobians, checked):
                grad = inputs[i].grad
                if isinstance(inputs[i], Var):
                    jacobian[0, column] = grad
                elif grad is not None:
                    jacobian[:, column] = np.ravel(grad._array)
            column += 1
    return jacobians


def _numeric_jacobians(fn, inputs, checked, eps):
    """Per checked input, the central differences of every output for each of its elements."""
    jacobians = []
    with no_grad():
        for i in checked:
            value = inputs[i]
            rows = []
            for element in range(_size_of(value)):
                original = _get(value, element)
                _set(value, element, original + eps)
                plus = _values(_outputs(fn(*inputs)))
                _set(value, element, original - eps)
                minus = _values(_outputs(fn(*inputs)))
                _set(value, element, original)
                rows.append((plus - minus) / (2 * eps))
            jacobians.append(np.array(rows).reshape(_size_of(value), -1))
    return jacobians


def _size_of(value):
    return 1 if isinstance(value, Var) else value._array.size


def _get(value, element):
    return value.val if isinstance(value, Var) else value._array.flat[element]


def _set(value, element, number):
    if isinstance(value, Var):
        value.val = number
    else:
        value._array.flat[element] = number
