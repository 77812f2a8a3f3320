"""The autograd engine: traversal, dependency counting, accumulation, graph release, grad mode, hooks."""
import threading

import numpy as np
import pytest

import microtorch
from microtorch import Function, Tensor

torch = pytest.importorskip("torch")


def leaf(values, dtype=np.float64):
    return microtorch.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


class CountingIdentity(Function):
    """Identity that counts how often its backward runs and what gradient it received."""
    calls = 0
    received = []

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        CountingIdentity.calls += 1
        CountingIdentity.received.append(np.array(grad))
        return grad


@pytest.fixture(autouse=True)
def _reset_counter():
    CountingIdentity.calls = 0
    CountingIdentity.received = []


# ---------------------------------------------------------------- traversal

def test_million_op_chain_backpropagates_iteratively():
    # 500,000 multiplications and 500,000 additions: far beyond any recursion limit
    x = leaf(1.0)
    y = x
    for _ in range(500_000):
        y = y * 1.000001 + 0.0
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.000001 ** 500_000, rtol=1e-9)
    np.testing.assert_allclose(y.numpy(), 1.000001 ** 500_000, rtol=1e-9)
    assert y.grad_fn.is_released


def test_diamond_graph_sums_both_paths():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a * 3
    c = a * 4
    (b + c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [14.0, 14.0])


def test_node_used_several_times_runs_backward_once_with_the_summed_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = CountingIdentity.apply(x)
    z = (y * y + y * 2 + y).sum()  # dz/dy = 2y + 3
    z.backward()
    assert CountingIdentity.calls == 1
    np.testing.assert_allclose(CountingIdentity.received[0], [5.0, 7.0, 9.0])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])


def test_deep_diamond_ladder_each_node_once():
    # each rung uses the previous value twice: gradient 2**depth, one backward per counting node
    x = leaf([1.0])
    y = x
    for _ in range(30):
        y = CountingIdentity.apply(y)
        y = y + y
    y.backward(np.ones(1))
    assert CountingIdentity.calls == 30
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 ** 30])


def test_same_tensor_as_both_inputs():
    x = leaf([3.0])
    (x * x).backward(np.ones(1))
    np.testing.assert_array_equal(x.grad.numpy(), [6.0])


def test_only_the_part_of_the_graph_below_the_root_runs():
    x = leaf([1.0])
    y = CountingIdentity.apply(x)
    unused = y * 5  # a consumer that is not part of the backward pass
    (y * 2).backward(np.ones(1))
    assert CountingIdentity.calls == 1
    np.testing.assert_array_equal(x.grad.numpy(), [2.0])
    assert unused.grad_fn is not None


# ---------------------------------------------------------------- accumulation and retention

def test_leaf_grads_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2.0, 3 + 4.0])
    (x * 0.5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.5, 7.5])


def test_accumulation_does_not_write_into_arrays_the_user_gave():
    x = leaf([1.0, 2.0])
    start = np.array([10.0, 10.0])
    x.grad = start
    (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_array_equal(start, [10.0, 10.0])
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 12.0])


def test_intermediate_grads_only_with_retain_grad():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = x * 3
    b.retain_grad()
    ((a * b).sum()).backward()
    assert a.grad is None
    np.testing.assert_array_equal(b.grad.numpy(), a.numpy())  # d(a*b)/db = a
    assert x.grad is not None


def test_retained_grad_accumulates_like_a_leaf():
    x = leaf([1.0, 1.0])
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_array_equal(y.grad.numpy(), [8.0, 8.0])


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert not y.grad_fn.is_released
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # unchanged by the failed call


def test_saved_arrays_are_released_after_backward():
    x = leaf([1.0, 2.0])
    y = x * x
    assert y.grad_fn.saved is not None and len(y.grad_fn.saved) == 2
    y.sum().backward()
    assert y.grad_fn.saved is None and y.grad_fn.is_released
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.grad_fn.saved_tensors


def test_failed_backward_leaves_no_gradient_behind():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("broken backward")

    x = leaf([1.0])
    y = Broken.apply(x) + x * 2
    with pytest.raises(ValueError, match="broken"):
        y.backward(np.ones(1), retain_graph=True)
    x.grad = None
    (x * 2).backward(np.ones(1))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0])


# ---------------------------------------------------------------- grad mode

def test_no_grad_context_and_nesting():
    x = leaf([1.0])
    assert microtorch.is_grad_enabled()
    with microtorch.no_grad():
        assert not microtorch.is_grad_enabled()
        y = x * 2
        with microtorch.enable_grad():
            assert microtorch.is_grad_enabled()
            z = x * 2
            with microtorch.no_grad():
                w = x * 2
        assert not microtorch.is_grad_enabled()
    assert microtorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert not w.requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with microtorch.no_grad():
            raise KeyError("boom")
    assert microtorch.is_grad_enabled()


def test_grad_mode_decorators():
    x = leaf([1.0])

    @microtorch.no_grad()
    def without(t):
        return t * 2

    @microtorch.enable_grad()
    def with_grad(t):
        return t * 2

    @microtorch.set_grad_enabled(False)
    def set_false(t):
        return t * 2

    assert microtorch.is_grad_enabled(), "defining a set_grad_enabled decorator must not switch the mode"
    assert not without(x).requires_grad
    assert set_false(x).requires_grad is False
    with microtorch.no_grad():
        assert with_grad(x).requires_grad
    assert microtorch.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context():
    microtorch.set_grad_enabled(False)
    assert not microtorch.is_grad_enabled()
    microtorch.set_grad_enabled(True)
    assert microtorch.is_grad_enabled()
    with microtorch.set_grad_enabled(False):
        assert not microtorch.is_grad_enabled()
    assert microtorch.is_grad_enabled()
    with microtorch.no_grad():
        with microtorch.set_grad_enabled(True):
            assert microtorch.is_grad_enabled()
        assert not microtorch.is_grad_enabled()


def test_grad_mode_is_thread_local():
    x = leaf([1.0])
    inside = threading.Event()
    checked = threading.Event()
    seen = {}

    def worker():
        with microtorch.no_grad():
            seen["worker_y"] = x * 2
            inside.set()
            checked.wait(timeout=10)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(timeout=10)
    main_y = x * 2  # the other thread is inside no_grad right now
    seen["main_enabled"] = microtorch.is_grad_enabled()
    checked.set()
    thread.join()
    assert seen["main_enabled"] and main_y.requires_grad
    assert not seen["worker_y"].requires_grad

    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("enabled", microtorch.is_grad_enabled()))
    with microtorch.no_grad():
        thread.start()
        thread.join()
    assert result["enabled"], "a new thread starts with grad mode on"


# ---------------------------------------------------------------- requires_grad rules

def test_requires_grad_propagation():
    a = leaf([1.0])
    b = microtorch.tensor([2.0])
    assert (a * b).requires_grad and (b * a).requires_grad
    assert not (b * b).requires_grad and (b * b).grad_fn is None
    assert not (a.detach() * 2).requires_grad
    c = a * 2
    assert not c.is_leaf and a.is_leaf and b.is_leaf
    with pytest.raises(RuntimeError, match="leaf"):
        c.requires_grad = False
    d = c.detach().requires_grad_()
    assert d.requires_grad and d.is_leaf


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        microtorch.tensor([1, 2], requires_grad=True)
    t = microtorch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad_()
    assert not t.requires_grad
    # integer results of differentiable inputs carry no gradient
    assert not leaf([1.0, 3.0]).argmax().requires_grad


# ---------------------------------------------------------------- user-defined Functions

class ScaledMul(Function):
    """out = a * b * scale; records what needs_input_grad said."""
    seen_needs = None

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, grad):
        ScaledMul.seen_needs = tuple(ctx.needs_input_grad)
        a, b = ctx.saved_tensors
        need_a, need_b, _ = ctx.needs_input_grad
        return (grad * b * ctx.scale if need_a else None), (grad * a * ctx.scale if need_b else None), None


def test_user_function_through_public_api():
    torch = pytest.importorskip("torch")
    a, b = leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([0.5, -1.0])
    out = ScaledMul.apply(a, b, 3.0)
    assert isinstance(out, Tensor) and out.grad_fn is not None and "ScaledMul" in repr(out.grad_fn)
    upstream = np.array([[1.0, 2.0], [-1.0, 0.5]])
    out.backward(upstream)
    assert ScaledMul.seen_needs == (True, True, False)
    ta = torch.tensor(a.numpy(), requires_grad=True)
    tb = torch.tensor(b.numpy(), requires_grad=True)
    (ta * tb * 3.0).backward(torch.tensor(upstream))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12)  # summed over broadcast rows


def test_user_function_needs_input_grad_false_for_constants():
    a = leaf([1.0, 2.0])
    constant = microtorch.tensor([3.0, 4.0], dtype=np.float64)
    ScaledMul.apply(constant, a, 1.0).sum().backward()
    assert ScaledMul.seen_needs == (False, True, False)
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    assert constant.grad is None


def test_user_function_forward_errors_name_the_op():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.reshape(7)

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match=r"Bad.*\(2, 3\)"):
        Bad.apply(microtorch.ones(2, 3))


def test_user_function_returning_too_few_gradients_raises():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="TooFew.*gradients"):
        TooFew.apply(a, b).backward(np.ones(1))


# ---------------------------------------------------------------- hooks

def test_hook_on_leaf_sees_and_may_replace_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    assert isinstance(x.grad, Tensor)
    handle.remove()
    x.grad = None
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])


def test_hook_on_leaf_used_twice_runs_once_on_the_summed_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * g)  # a non-linear replacement
    (x * 2 + x * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [25.0, 25.0])


def test_hook_on_non_leaf_replaces_downstream_gradient_and_sees_the_sum():
    x = leaf([1.0, 2.0])
    y = x * 2
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 0.5

    y.register_hook(hook)
    (y * y + y).sum().backward()  # dL/dy = 2y + 1
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], 2 * y.numpy() + 1)
    np.testing.assert_array_equal(x.grad.numpy(), (2 * y.numpy() + 1) * 0.5 * 2)


def test_hook_returning_wrong_shape_raises_and_hook_needs_grad():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: np.zeros(3))
    with pytest.raises(RuntimeError, match="hook.*shape"):
        (x * 1).sum().backward()
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        microtorch.ones(2).register_hook(lambda g: g)


# ---------------------------------------------------------------- backward argument checks

def test_backward_argument_errors():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient.*\(3,\).*\(2,\)"):
        y.backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        microtorch.ones(2).sum().backward()
    assert x.grad is None, "failed calls must not touch .grad"
    y.backward(microtorch.tensor([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -2.0])


def test_backward_on_a_size_one_non_scalar_and_on_a_leaf():
    x = leaf([[3.0]])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0]])
    z = leaf(2.0)
    z.backward()
    assert z.grad.item() == 1.0
    microtorch.autograd.backward(z * 4)
    assert z.grad.item() == 5.0


def test_backward_reentered_from_inside_backward_raises_instead_of_crashing():
    # While the outer backward runs Reenter.backward, an inner backward through the same node
    # frees it (and the 3-input cat below it, whose extra edges live outside the node); the
    # outer backward must then stop with a clear error instead of reading freed edges.
    a, b, c = (microtorch.randn(2, requires_grad=True) for _ in range(3))
    calls = []

    class Reenter(microtorch.Function):
        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, grad):
            calls.append(1)
            if len(calls) == 1:
                other.backward()
            return grad

    out = Reenter.apply(microtorch.cat([a, b, c]))
    loss, other = out.sum(), (out * 2).sum()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
    assert len(calls) == 2


@pytest.mark.parametrize("compare", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparing_0d_tensors_gives_a_0d_bool_tensor_that_arithmetic_accepts(compare):
    # numpy returns a scalar, not an array, for a ufunc of 0-d arrays; the tensor must still hold
    # an array (the engine reads it through numpy's C API: a scalar there crashed the process)
    a = microtorch.tensor(0.3, dtype=microtorch.float64, requires_grad=True)
    b = microtorch.tensor(0.1, dtype=microtorch.float64, requires_grad=True)
    mask = getattr(a, compare)(b)
    assert isinstance(mask._array, np.ndarray) and mask.shape == () and mask.dtype == microtorch.bool
    expected = getattr(torch.tensor(0.3, dtype=torch.float64), compare)(torch.tensor(0.1, dtype=torch.float64))
    for ours, theirs in ((0.5 * mask, 0.5 * expected), (mask + mask, expected + expected), (mask * a, expected * 0.3)):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy())
