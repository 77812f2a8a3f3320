"""The first-order autograd surface, against torch: Variable, grad_fn.name()/next_functions, autograd.grad's options,
requires_grad_/retain_grad/detach/detach_, and the grad modes (no_grad, enable_grad,
set_grad_enabled, inference_mode)."""
import numpy as np
import pytest
import torch

import microtorch


def test_variable_is_the_legacy_alias_for_a_tensor():
    for lib in (microtorch, torch):
        base = lib.tensor([1.0, 2.0])
        v = lib.autograd.Variable(base, requires_grad=True)
        assert isinstance(v, lib.Tensor) and v.requires_grad and v.is_leaf
        (v * v).sum().backward()
        np.testing.assert_array_equal(v.grad.numpy(), [2.0, 4.0])
        assert not lib.autograd.Variable(base).requires_grad
    assert microtorch.autograd.Variable([1.0, 2.0], requires_grad=True).requires_grad


def _graph(lib):
    w = lib.tensor([[1.0, -2.0]], dtype=lib.float64, requires_grad=True)
    x = lib.tensor([[3.0], [0.5]], dtype=lib.float64)
    return w, ((w @ x).relu() + lib.ones(1, dtype=lib.float64)).sum()


def _walk(node):
    """The graph below node as nested (name, children), leaves as ('AccumulateGrad', shape)."""
    if node is None:
        return None
    if hasattr(node, "variable"):
        return ("AccumulateGrad", tuple(node.variable.shape))
    return (node.name(), [(_walk(child), index) for child, index in node.next_functions])


def test_next_functions_walk_the_graph_as_torch_does():
    ours_w, ours = _graph(microtorch)
    theirs_w, theirs = _graph(torch)
    assert _walk(ours.grad_fn) == _walk(theirs.grad_fn)
    leaf_node = ours.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert leaf_node.variable is ours_w and leaf_node.name() == "torch::autograd::AccumulateGrad"
    assert leaf_node.next_functions == ()


def test_requires_grad_retain_grad_and_detach_as_torch():
    results = []
    for lib in (microtorch, torch):
        x = lib.tensor([1.0, 2.0, 3.0]).requires_grad_()
        assert x.requires_grad and x.is_leaf
        h = x * 2
        h.retain_grad()
        d = h.detach()
        assert not d.requires_grad and d.grad_fn is None
        (h * h).sum().backward()
        results.append((x.grad.numpy().copy(), h.grad.numpy().copy()))
        y = x * 3
        assert y.detach_() is y and y.grad_fn is None and not y.requires_grad and y.is_leaf
        with pytest.raises(RuntimeError, match="only floating point tensors can require gradients|only Tensors of "
                                               "floating point"):
            lib.tensor([1, 2]).requires_grad_()
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_grad_modes_as_torch():
    for lib in (microtorch, torch):
        x = lib.ones(2, requires_grad=True)
        assert lib.is_grad_enabled()
        with lib.no_grad():
            assert not (x * 2).requires_grad and not lib.is_grad_enabled()
            with lib.enable_grad():
                assert (x * 2).requires_grad
        with lib.set_grad_enabled(False):
            assert not (x * 2).requires_grad
        assert lib.is_grad_enabled()
        lib.set_grad_enabled(False)
        assert not lib.is_grad_enabled()
        lib.set_grad_enabled(True)
        with lib.inference_mode():
            assert not (x * 2).requires_grad and lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled()
        assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()

        @lib.inference_mode()
        def predict(t):
            return t * 2, lib.is_inference_mode_enabled()

        out, inside = predict(x)
        assert inside and not out.requires_grad and not lib.is_inference_mode_enabled()

        @lib.no_grad()
        def evaluate(t):
            return t * 2

        assert not evaluate(x).requires_grad and lib.is_grad_enabled()


def _pair(values):
    return (microtorch.tensor(values, dtype=microtorch.float64, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def test_grad_takes_torchs_arguments_in_torchs_positional_order():
    (x, tx), (y, ty) = _pair([0.5, -1.0]), _pair([2.0, 3.0])
    # outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs, allow_unused
    ours = microtorch.autograd.grad((x * x).sum(), [x, y], None, None, False, True, True)
    theirs = torch.autograd.grad((tx * tx).sum(), [tx, ty], None, None, False, True, True)
    assert ours[1] is None and theirs[1] is None
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy())


def test_grad_only_inputs_false_warns_and_is_ignored_as_in_torch():
    (x, tx), (y, ty) = _pair([0.5, -1.0]), _pair([2.0, 3.0])
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        ours = microtorch.autograd.grad((x * y).sum(), x, only_inputs=False)
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        theirs = torch.autograd.grad((tx * ty).sum(), tx, only_inputs=False)
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy())
    assert y.grad is None and ty.grad is None


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_is_grads_batched_gives_one_vector_jacobian_product_per_row_as_torch(create_graph):
    (x, tx), (y, ty) = _pair([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]), _pair([0.2, -0.4, 0.9])
    vectors = np.random.default_rng(0).standard_normal((4, 2, 3))
    ours = microtorch.autograd.grad(x.tanh() * y, [x, y], microtorch.tensor(vectors), create_graph=create_graph,
                                    is_grads_batched=True)
    theirs = torch.autograd.grad(tx.tanh() * ty, [tx, ty], torch.tensor(vectors), create_graph=create_graph,
                                 is_grads_batched=True)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-12)
    if create_graph:   # the batched gradients are differentiable again
        (second,) = microtorch.autograd.grad(ours[0].sum(), x)
        (expected,) = torch.autograd.grad(theirs[0].sum(), tx)
        np.testing.assert_allclose(second.numpy(), expected.numpy(), rtol=1e-12)


def test_grad_is_grads_batched_needs_grad_outputs_with_one_batch_size():
    x, _ = _pair([0.5, -1.0])
    with pytest.raises(RuntimeError, match="needs grad_outputs"):
        microtorch.autograd.grad(x * 2, x, is_grads_batched=True)
    with pytest.raises(RuntimeError, match="same first dim"):
        microtorch.autograd.grad([x * 2, x * 3], x, [microtorch.ones(3, 2), microtorch.ones(2, 2)],
                                 is_grads_batched=True)
