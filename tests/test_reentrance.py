"""backward() called while a backward runs (from a hook or a Function's backward) gets its own
bookkeeping, so both passes give PyTorch's gradients; hooks may remove themselves."""
import numpy as np
import pytest
import torch

import microtorch as mt


def both(build):
    """Run build(lib, leaf) in microtorch and torch from the same data; compare every leaf's grad."""
    data = np.random.default_rng(0).standard_normal(4)
    results = []
    for lib in (mt, torch):
        leaves = [lib.tensor(data, requires_grad=True), lib.tensor(data * 0.5 + 1, requires_grad=True)]
        build(lib, *leaves)
        results.append([leaf.grad.numpy() if leaf.grad is not None else None for leaf in leaves])
    for ours, theirs in zip(*results):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    return results[0]


def test_backward_of_an_independent_graph_inside_a_hook():
    def build(lib, x, w):
        def hook(grad):
            with lib.enable_grad():   # hooks run without recording, as in torch
                (w * w).sum().backward()   # a whole other pass while the outer one runs
            return grad * 2
        h = (x * 3).tanh()
        h.register_hook(hook)
        (h * x).sum().backward()
    both(build)


def test_backward_through_nodes_the_outer_pass_is_still_counting():
    # The nested pass runs through a's node, which the outer pass has counted and not yet run:
    # it must not reset the outer pass's dependency count or gradient buffer there.
    def build(lib, x, w):
        a = x * w
        b = a.exp()
        c = a * 4

        def hook(grad):
            with lib.enable_grad():
                (a * 5).sum().backward(retain_graph=True)
            return grad
        b.register_hook(hook)
        (b.sum() + c.sum()).backward(retain_graph=True)
    both(build)


def test_backward_inside_a_custom_function_backward():
    class Square(mt.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            with mt.enable_grad():
                side = mt.tensor(x, requires_grad=True)
                (side * side * side).sum().backward()   # a nested pass from inside a backward
            ctx.side_grad = side.grad.numpy()
            return 2 * x * grad

    x = mt.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (Square.apply(x * 2) * x).sum()
    y.backward()
    tx = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    ((tx * 2) ** 2 * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_hooks_run_without_recording_as_in_torch():
    x = mt.randn(3, requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda grad: seen.append((mt.is_grad_enabled(), (grad * x).requires_grad)))
    y.sum().backward()
    assert seen == [(False, False)]
    assert mt.is_grad_enabled()


def test_nested_backward_into_a_leaf_the_outer_pass_also_feeds():
    def build(lib, x, w):
        y = (x * w).tanh()

        def hook(grad):
            with lib.enable_grad():
                (x * x).sum().backward()
            return grad
        y.register_hook(hook)
        (y * w).sum().backward()
    both(build)


def test_a_nested_pass_that_frees_the_outer_graph_is_an_error():
    x = mt.randn(3, requires_grad=True)
    a = x * 2
    b = a * 3

    def hook(grad):
        with mt.enable_grad():
            (a * 1).sum().backward()   # frees a's node, which the outer pass has not run yet
        return grad
    b.register_hook(hook)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        b.sum().backward()


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "non-leaf"])
def test_a_hook_that_removes_itself_does_not_skip_the_next(leaf):
    calls = []
    x = mt.randn(3, requires_grad=True)
    target = x if leaf else x * 2

    def first(grad):
        calls.append("first")
        handle.remove()

    handle = target.register_hook(first)
    target.register_hook(lambda grad: calls.append("second"))
    (target * 3).sum().backward(retain_graph=True)
    assert calls == ["first", "second"]
    (target * 3).sum().backward()
    assert calls == ["first", "second", "second"]


def test_a_hook_that_removes_the_next_one_still_runs_it_once():
    # As in PyTorch, the hooks of one call are the ones registered when the call began.
    calls = []
    x = mt.randn(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda grad: (calls.append("first"), second.remove()) and None)
    second = y.register_hook(lambda grad: calls.append("second"))
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert calls == ["first", "second", "first"]
