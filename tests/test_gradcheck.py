"""gradcheck against finite differences, on Tensors and on scalar Vars; gradient and forward hooks."""
import numpy as np
import pytest

import microtorch
from microtorch import Function, GradcheckError, gradcheck, nn
from microtorch._scalar import Var


def randn(*shape, requires_grad=True):
    return microtorch.tensor(np.random.randn(*shape), requires_grad=requires_grad, dtype=np.float64)


class Cube(Function):
    """x ** 3, with a backward that can be made wrong at one element."""
    wrong_at = None

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        grad_x = 3 * x ** 2 * grad
        if Cube.wrong_at is not None:
            grad_x = grad_x.copy()
            grad_x[Cube.wrong_at] += 0.5
        return grad_x


class ScaledProduct(Function):
    """a * b * scale; backward forgets the scale in b's gradient when asked."""
    forget_scale = False

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = grad * a * (1 if ScaledProduct.forget_scale else ctx.scale)
        return grad * b * ctx.scale, grad_b, None


@pytest.fixture(autouse=True)
def _correct_backwards():
    yield
    Cube.wrong_at, ScaledProduct.forget_scale = None, False


# ---------------------------------------------------------------- Tensors

@pytest.mark.parametrize("fn, shapes", [
    (lambda a, b: (a @ b).tanh().softmax(-1), [(3, 4), (4, 2)]),
    (lambda a, b: microtorch.cross_entropy(a @ b, microtorch.tensor([0, 1, 1])), [(3, 4), (4, 2)]),
    (lambda a, b: (a / b).exp().sum(0), [(2, 3), (3,)]),
    (lambda a: a.max(dim=1) + a.mean(), [(3, 5)]),
    (lambda a: Cube.apply(a).sigmoid(), [(2, 2)]),
])
def test_correct_gradients_pass(fn, shapes):
    inputs = [randn(*shape) for shape in shapes]
    if len(shapes) == 2 and shapes[1] == (3,):
        inputs[1] = microtorch.tensor(np.random.uniform(1, 2, 3), requires_grad=True, dtype=np.float64)
    assert gradcheck(fn, inputs) is True


def test_wrong_backward_is_caught_at_the_right_element():
    x = randn(3, 4)
    Cube.wrong_at = (1, 2)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda t: Cube.apply(t).sum(), (x,))
    error = caught.value
    assert isinstance(error, RuntimeError)
    assert error.input_index == 0 and error.input_element == (1, 2)
    assert error.output_index == 0 and error.output_element == ()
    true_derivative = 3 * x.numpy()[1, 2] ** 2
    assert error.analytic == pytest.approx(true_derivative + 0.5, abs=1e-12)
    assert error.numeric == pytest.approx(true_derivative, abs=1e-6)
    message = str(error)
    assert "1 of 12 Jacobian entries" in message and "input 0 (Tensor of shape (3, 4)) at [1, 2]" in message
    assert f"analytic {true_derivative + 0.5:.10g}"[:18] in message


def test_wrong_gradient_of_the_second_input_names_it():
    a, b = randn(2, 3), randn(2, 3)
    assert gradcheck(lambda a, b: ScaledProduct.apply(a, b, 3.0), (a, b))
    ScaledProduct.forget_scale = True
    with pytest.raises(GradcheckError, match=r"6 of 72 Jacobian entries.*input 1") as caught:
        gradcheck(lambda a, b: ScaledProduct.apply(a, b, 3.0), (a, b))
    error = caught.value
    assert error.input_index == 1
    # the worst entry is on the diagonal: output element == input element
    assert error.output_element == error.input_element
    assert error.analytic == pytest.approx(a.numpy()[error.input_element], abs=1e-12)
    assert error.numeric == pytest.approx(3 * a.numpy()[error.input_element], abs=1e-5)


def test_raise_exception_false_returns_false():
    Cube.wrong_at = (0,)
    assert gradcheck(Cube.apply, randn(3), raise_exception=False) is False


def test_multiple_outputs_and_non_tensor_arguments():
    def two_outputs(a, power, b):
        return (a ** power * b, (a - b).relu().sum(), (a > 0).argmax())  # the int output is skipped

    a, b = randn(4), randn(4)
    assert gradcheck(two_outputs, (a, 3, b))
    Cube.wrong_at = (2,)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: (a * b, Cube.apply(a).sum()), (a, b))
    assert caught.value.output_index == 1 and caught.value.input_element == (2,)


def test_only_inputs_that_require_grad_are_checked():
    Cube.wrong_at = (0,)
    constant, x = randn(3, requires_grad=False), randn(3)
    assert gradcheck(lambda c, x: Cube.apply(c).sum() + (x * 2).sum(), (constant, x))
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda c: c * 2, (constant,))


def test_float32_inputs_are_checked_in_float64_and_left_untouched():
    x = microtorch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)  # float32
    before = x.numpy().copy()
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return (t * t).exp()

    assert gradcheck(fn, (x,))
    assert set(seen) == {np.dtype(np.float64)}
    assert x.dtype == np.float32 and np.array_equal(x.numpy(), before) and x.grad is None


def test_float32_inside_fn_is_an_error():
    weight = microtorch.randn(3, 3)  # float32, captured by fn
    with pytest.raises(TypeError, match="output 0 is float32.*float64"):
        gradcheck(lambda x: x.float() @ weight, randn(2, 3))


def test_fn_must_return_tensors_or_vars():
    with pytest.raises(TypeError, match="got float"):
        gradcheck(lambda x: float(x.sum().item()), randn(2))


def test_gradcheck_is_exported_from_autograd():
    assert microtorch.autograd.gradcheck is gradcheck
    assert issubclass(microtorch.autograd.GradcheckError, RuntimeError)


# ---------------------------------------------------------------- scalar Vars

def test_var_function_passes():
    a, b = Var(0.3, requires_grad=True), Var(-1.2, requires_grad=True)
    assert gradcheck(lambda a, b: (a * b).tanh() + a ** 2 / b - b.exp() * a.sigmoid(), [a, b])
    assert a.val == 0.3 and a.grad == 0.0  # the caller's Vars are not touched


def test_var_list_output_and_constant_vars():
    a, c = Var(0.7, requires_grad=True), Var(2.0)
    assert gradcheck(lambda a, c: [a * c, (a + 1.0).log(), c * 3.0], [a, c])


def test_var_wrong_gradient_is_caught():
    a, b = Var(0.5, requires_grad=True), Var(1.5, requires_grad=True)

    def detached_square(a, b):
        return a * Var(a.val) + b  # Var(a.val) cuts the graph: d/da is a, not 2a

    with pytest.raises(GradcheckError) as caught:
        gradcheck(detached_square, [a, b])
    error = caught.value
    assert error.input_index == 0 and error.input_element == () and "input 0 (Var)" in str(error)
    assert error.analytic == pytest.approx(0.5) and error.numeric == pytest.approx(1.0, abs=1e-6)


# ---------------------------------------------------------------- gradient hooks

def test_hook_on_a_leaf_sees_and_replaces_its_gradient():
    x = randn(3)
    seen = []
    handle = x.register_hook(lambda grad: seen.append(grad.numpy().copy()) or grad * 10)
    (x.exp() * 2).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * np.exp(x.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), 20 * np.exp(x.numpy()))
    handle.remove()
    x.grad = None
    (x.exp() * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.numpy()))
    assert len(seen) == 1


def test_leaf_hook_runs_once_on_the_summed_gradient_like_torch():
    torch = pytest.importorskip("torch")
    values = np.array([1.0, 2.0, 3.0])
    seen, seen_torch = [], []
    x = microtorch.tensor(values, requires_grad=True, dtype=np.float64)
    x.register_hook(lambda grad: seen.append(grad.numpy().copy()) or microtorch.ones_like(grad))
    (x * x).sum().backward()  # x reaches Mul twice
    x_torch = torch.tensor(values, requires_grad=True)
    x_torch.register_hook(lambda grad: seen_torch.append(grad.clone()) or torch.ones_like(grad))
    (x_torch * x_torch).sum().backward()
    assert len(seen) == len(seen_torch) == 1
    np.testing.assert_allclose(seen[0], seen_torch[0].numpy())
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy())


def test_hook_on_a_non_leaf_changes_what_flows_upstream():
    x = randn(2, 3)
    h = x.exp()
    seen = []
    h.register_hook(lambda grad: seen.append(grad.numpy().copy()))  # observes only
    h.register_hook(lambda grad: grad * 0 + 1.0)                     # then replaces with ones
    (h * 3).sum().backward()
    np.testing.assert_allclose(seen[0], np.full((2, 3), 3.0))
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.numpy()))          # d exp / dx * ones
    assert h.grad is None                                             # not retained


def test_hook_returning_a_wrong_shape_is_an_error():
    x = randn(3)
    x.register_hook(lambda grad: np.ones(4))
    with pytest.raises(RuntimeError, match=r"shape \(4,\), expected \(3,\)"):
        (x * 2).sum().backward()


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        randn(2, requires_grad=False).register_hook(lambda grad: grad)


# ---------------------------------------------------------------- forward hooks

def test_module_forward_hook_sees_inputs_and_may_replace_output():
    layer = nn.Linear(3, 2)
    calls = []

    def record(module, inputs, output):
        calls.append((module, inputs, output.numpy().copy()))

    handle = layer.register_forward_hook(record)
    x = microtorch.randn(4, 3)
    out = layer(x)
    assert calls[0][0] is layer and calls[0][1][0] is x
    np.testing.assert_array_equal(calls[0][2], out.numpy())
    doubling = layer.register_forward_hook(lambda module, inputs, output: output * 2)
    np.testing.assert_allclose(layer(x).numpy(), 2 * out.numpy(), rtol=1e-6)
    handle.remove()
    doubling.remove()
    layer(x)
    assert len(calls) == 2


def test_forward_hooks_on_submodules_of_a_sequential():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    shapes = []
    for module in model:
        module.register_forward_hook(lambda module, inputs, output: shapes.append(
            (type(module).__name__, output.shape)))
    model(microtorch.randn(5, 3)).sum().backward()
    assert shapes == [("Linear", (5, 4)), ("ReLU", (5, 4)), ("Linear", (5, 2))]
    assert all(p.grad is not None for p in model.parameters())
