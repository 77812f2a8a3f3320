"""x += y, x -= y, x *= y, x /= y change x itself, as in torch: in place where autograd records
nothing, recorded out of place (x takes the result's place in the graph) where it does."""
import numpy as np
import pytest
import torch

import microtorch


def _sgd_losses(lib, steps=20):
    """A hand-written SGD loop in the idiom of PyTorch's 'learning PyTorch with examples' tutorial."""
    gen = np.random.default_rng(0)
    x = lib.tensor(gen.normal(size=(64, 3)), dtype=lib.float64)
    y = lib.tensor(gen.normal(size=(64, 1)), dtype=lib.float64)
    w = lib.tensor(gen.normal(size=(3, 1)), dtype=lib.float64, requires_grad=True)
    b = lib.tensor(np.zeros(1), dtype=lib.float64, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
            w.grad = None
            b.grad = None
    return losses, w


def test_a_hand_written_sgd_loop_with_minus_equals_trains_as_in_torch():
    ours, w = _sgd_losses(microtorch)
    theirs, _ = _sgd_losses(torch)
    assert ours[-1] < 0.9 * ours[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert w.is_leaf and w.requires_grad  # still the same leaf, updated in place


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_under_no_grad_writes_into_the_tensor(op):
    t = microtorch.tensor([1.0, 2.0, 4.0], requires_grad=True)
    product = t * t  # saves t for backward
    alias, data = t, t.data
    with microtorch.no_grad():
        exec(f"t {op} 2.0")
    expected = {"+=": [3, 4, 6], "-=": [-1, 0, 2], "*=": [2, 4, 8], "/=": [0.5, 1, 2]}[op]
    assert t is alias and t.data is data
    np.testing.assert_allclose(t.data, expected)
    # the version counter saw the change: the graph that saved the old values refuses to use them
    with pytest.raises(RuntimeError, match="saved for backward was modified by an in-place operation"):
        product.sum().backward()


def test_scaling_a_parameter_in_place_keeps_it_in_its_module():
    layer = microtorch.nn.Linear(3, 2)
    weight, before = layer.weight, layer.weight.data.copy()
    with microtorch.no_grad():
        layer.weight *= 0.5
    assert layer.weight is weight
    assert any(p is weight for p in layer.parameters())
    np.testing.assert_allclose(layer.weight.data, before * 0.5)


def test_a_leaf_that_requires_grad_refuses_in_place_change_with_torchs_message():
    w = microtorch.tensor([1.0, 2.0], requires_grad=True)
    before = w.data.copy()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w += 1
    np.testing.assert_array_equal(w.data, before)
    v = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        v += 1


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_on_a_non_leaf_is_recorded_as_in_torch(op):
    values = np.array([0.5, -1.5, 2.0])
    results = []
    for lib in (microtorch, torch):
        a = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(values[::-1].copy(), dtype=lib.float64, requires_grad=True)
        y = a * 3
        exec(f"y {op} b")
        (y * y).sum().backward()
        results.append((y.detach().numpy().copy(), a.grad.numpy().copy(), b.grad.numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_in_place_keeps_the_dtype_and_refuses_a_result_it_cannot_hold():
    t = microtorch.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="cannot be stored in the tensor's dtype int64"):
        t += 1.5
    np.testing.assert_array_equal(t.data, [1, 2, 3])
    f = microtorch.tensor([1.0, 2.0])
    f += np.array([1.0, 1.0])  # a float64 operand, a float32 tensor: stays float32, as in torch
    assert f.dtype == np.float32
    with pytest.raises(RuntimeError, match=r"a value of shape \(3,\) cannot be broadcast"):
        f += microtorch.tensor([1.0, 2.0, 3.0])
