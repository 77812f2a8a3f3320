"""autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) against torch.autograd.functional, in float64."""
import numpy as np
import pytest
import torch

import microtorch as mt

RNG = np.random.default_rng(3)
A = RNG.uniform(-1, 1, (3, 4))
B = RNG.uniform(-1, 1, (4,))
V_OUT = RNG.uniform(-1, 1, (3,))
V_IN = (RNG.uniform(-1, 1, (3, 4)), RNG.uniform(-1, 1, (4,)))


def two_inputs(L):
    def f(x, w):
        return (x @ w).tanh() * (x * x).sum(1)
    return f


def t(L, array, requires_grad=False):
    return L.tensor(array, dtype=L.float64, requires_grad=requires_grad)


def assert_same(ours, theirs, path="result"):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), f"{path}: structure differs"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
        return
    assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
    np.testing.assert_allclose(np.asarray(ours.detach()), theirs.detach().numpy(), rtol=1e-10, atol=1e-12,
                               err_msg=path)


def both(call):
    return call(mt), call(torch)


def test_vjp_tuple_inputs():
    ours, theirs = both(lambda L: L.autograd.functional.vjp(two_inputs(L), (t(L, A), t(L, B)), t(L, V_OUT)))
    assert_same(ours, theirs)


def test_vjp_scalar_output_needs_no_v():
    ours, theirs = both(lambda L: L.autograd.functional.vjp(lambda x: (x * x).sum(), t(L, A)))
    assert_same(ours, theirs)


def test_jvp():
    ours, theirs = both(lambda L: L.autograd.functional.jvp(two_inputs(L), (t(L, A), t(L, B)),
                                                            (t(L, V_IN[0]), t(L, V_IN[1]))))
    assert_same(ours, theirs)


@pytest.mark.parametrize("tuple_inputs", [False, True])
def test_jacobian(tuple_inputs):
    if tuple_inputs:
        ours, theirs = both(lambda L: L.autograd.functional.jacobian(two_inputs(L), (t(L, A), t(L, B))))
    else:
        ours, theirs = both(lambda L: L.autograd.functional.jacobian(lambda x: (x.exp() * x).sum(0), t(L, A)))
    assert_same(ours, theirs)


def test_jacobian_of_tuple_outputs():
    ours, theirs = both(lambda L: L.autograd.functional.jacobian(lambda x, w: (x * 2, (x @ w).tanh()),
                                                                 (t(L, A), t(L, B))))
    assert_same(ours, theirs)


@pytest.mark.parametrize("tuple_inputs", [False, True])
def test_hessian(tuple_inputs):
    if tuple_inputs:
        ours, theirs = both(lambda L: L.autograd.functional.hessian(
            lambda x, w: ((x @ w).tanh() ** 2).sum() + (w ** 3).sum(), (t(L, A), t(L, B))))
    else:
        ours, theirs = both(lambda L: L.autograd.functional.hessian(lambda x: (x.exp() * x).sum() + (x ** 3).sum(),
                                                                    t(L, B)))
    assert_same(ours, theirs)


@pytest.mark.parametrize("name", ["vhp", "hvp"])
def test_hessian_vector_products(name):
    def f(x, w):
        return ((x @ w).tanh() ** 2).sum() + (w ** 3).sum()
    ours, theirs = both(lambda L: getattr(L.autograd.functional, name)(
        f, (t(L, A), t(L, B)), (t(L, V_IN[0]), t(L, V_IN[1]))))
    assert_same(ours, theirs)


def test_create_graph_keeps_results_differentiable():
    for L in (mt, torch):
        x = t(L, B, requires_grad=True)
        _, (hv,) = L.autograd.functional.hvp(lambda y: (y ** 4).sum(), (x,), (t(L, np.ones(4)),), create_graph=True)
        assert hv.requires_grad
    ours, theirs = [L.autograd.grad(L.autograd.functional.hvp(lambda y: (y ** 4).sum(), (xx,), (t(L, np.ones(4)),),
                                                              create_graph=True)[1][0].sum(), xx)[0]
                    for L, xx in ((mt, t(mt, B, True)), (torch, t(torch, B, True)))]
    assert_same(ours, theirs)


def test_results_are_detached_without_create_graph():
    x = t(mt, A, requires_grad=True)
    out, grad = mt.autograd.functional.vjp(lambda y: (y * y).sum(), x)
    assert not out.requires_grad and not grad.requires_grad


def test_strict_mode_errors_match_torch():
    for L in (mt, torch):
        with pytest.raises(RuntimeError, match="independent of input 1. This is not allowed in strict mode"):
            L.autograd.functional.vjp(lambda x, w: x * 2, (t(L, A), t(L, B)), t(L, np.ones((3, 4))), strict=True)
        with pytest.raises(RuntimeError, match="v has invalid size: should be"):
            L.autograd.functional.vjp(lambda x: x * 2, t(L, A), t(L, np.ones(3)))
        with pytest.raises(RuntimeError, match="The vector v can only be None"):
            L.autograd.functional.vjp(lambda x: x * 2, t(L, A))


def test_non_strict_fills_zeros_for_unused_inputs():
    ours, theirs = both(lambda L: L.autograd.functional.vjp(lambda x, w: x * 2, (t(L, A), t(L, B)),
                                                            t(L, np.ones((3, 4)))))
    assert_same(ours, theirs)


def test_bad_inputs_are_refused():
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        mt.autograd.functional.jacobian(lambda x: x, [1.0, 2.0])
