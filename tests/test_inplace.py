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
    alias, data = t, t.numpy()
    with microtorch.no_grad():
        exec(f"t {op} 2.0")
    expected = {"+=": [3, 4, 6], "-=": [-1, 0, 2], "*=": [2, 4, 8], "/=": [0.5, 1, 2]}[op]
    assert t is alias and t.numpy() is data
    np.testing.assert_allclose(t.numpy(), expected)
    # the version counter saw the change: the graph that saved the old values refuses to use them
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been modified by an inplace operation"):
        product.sum().backward()


def test_scaling_a_parameter_in_place_keeps_it_in_its_module():
    layer = microtorch.nn.Linear(3, 2)
    weight, before = layer.weight, layer.weight.numpy().copy()
    with microtorch.no_grad():
        layer.weight *= 0.5
    assert layer.weight is weight
    assert any(p is weight for p in layer.parameters())
    np.testing.assert_allclose(layer.weight.numpy(), before * 0.5)


def test_a_leaf_that_requires_grad_refuses_in_place_change_with_torchs_message():
    w = microtorch.tensor([1.0, 2.0], requires_grad=True)
    before = w.numpy().copy()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w += 1
    np.testing.assert_array_equal(w.numpy(), before)
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
    for lib in (microtorch, torch):
        t = lib.tensor([1, 2, 3])
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            t += 1.5
        np.testing.assert_array_equal(t.numpy(), [1, 2, 3])
        f = lib.tensor([1.0, 2.0])
        f += lib.tensor([1.0, 1.0], dtype=lib.float64)  # stays float32, as in torch
        assert f.dtype == lib.float32
        with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the broadcast shape \[2, 2\]"):
            f += lib.ones(2, 2)
        np.testing.assert_array_equal(f.numpy(), [2.0, 3.0])


# ---------------------------------------------------------------- every in-place method, against torch

_GEN = np.random.default_rng(7)
_MIXED = _GEN.uniform(0.5, 2.0, (3, 4)) * np.where(_GEN.random((3, 4)) < 0.5, -1, 1)
_POSITIVE = _GEN.uniform(0.5, 2.0, (3, 4))
_OTHER = _GEN.normal(size=(3, 4))
_ROW = _GEN.uniform(0.5, 2.0, (4,))
_MASK = _GEN.random((3, 4)) < 0.5


def _leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


# name, base values, and a function lib -> (args, kwargs); leaves among the args get gradients too
IN_PLACE_CASES = [
    ("add_", _MIXED, lambda lib: ((_leaf(lib, _OTHER),), {})),
    ("add_", _MIXED, lambda lib: ((_leaf(lib, _ROW),), {"alpha": 2.5})),
    ("add_", _MIXED, lambda lib: ((0.5,), {})),
    ("sub_", _MIXED, lambda lib: ((_leaf(lib, _ROW),), {"alpha": -1.5})),
    ("mul_", _MIXED, lambda lib: ((_leaf(lib, _OTHER),), {})),
    ("div_", _MIXED, lambda lib: ((_leaf(lib, _ROW),), {})),
    ("pow_", _POSITIVE, lambda lib: ((2.5,), {})),
    ("pow_", _POSITIVE, lambda lib: ((_leaf(lib, _OTHER),), {})),
    ("remainder_", _MIXED, lambda lib: ((0.7,), {})),
    ("neg_", _MIXED, lambda lib: ((), {})),
    ("abs_", _MIXED, lambda lib: ((), {})),
    ("exp_", _MIXED, lambda lib: ((), {})),
    ("log_", _POSITIVE, lambda lib: ((), {})),
    ("sqrt_", _POSITIVE, lambda lib: ((), {})),
    ("relu_", _MIXED, lambda lib: ((), {})),
    ("sigmoid_", _MIXED, lambda lib: ((), {})),
    ("tanh_", _MIXED, lambda lib: ((), {})),
    ("clamp_", _MIXED, lambda lib: ((-1.0, 1.2), {})),
    ("clamp_min_", _MIXED, lambda lib: ((0.8,), {})),
    ("clamp_max_", _MIXED, lambda lib: ((0.8,), {})),
    ("addcmul_", _MIXED, lambda lib: ((_leaf(lib, _OTHER), _leaf(lib, _ROW)), {"value": 0.5})),
    ("addcdiv_", _MIXED, lambda lib: ((_leaf(lib, _OTHER), _leaf(lib, _POSITIVE)), {"value": -2.0})),
    ("lerp_", _MIXED, lambda lib: ((_leaf(lib, _OTHER), 0.3), {})),
    ("lerp_", _MIXED, lambda lib: ((_leaf(lib, _OTHER), _leaf(lib, _POSITIVE / 2)), {})),
    ("masked_fill_", _MIXED, lambda lib: ((lib.tensor(_MASK), 2.0), {})),
    ("index_fill_", _MIXED, lambda lib: ((1, lib.tensor([0, 2]), -1.0), {})),
    ("copy_", _MIXED, lambda lib: ((_leaf(lib, _ROW),), {})),
    ("fill_", _MIXED, lambda lib: ((3.0,), {})),
    ("zero_", _MIXED, lambda lib: ((), {})),
    ("t_", _MIXED, lambda lib: ((), {})),
    ("transpose_", _MIXED, lambda lib: ((0, 1), {})),
    ("unsqueeze_", _MIXED, lambda lib: ((1,), {})),
    ("squeeze_", _MIXED[:1], lambda lib: ((0,), {})),
]
_IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(IN_PLACE_CASES)]


def _operand_leaves(args):
    return [arg for arg in args if getattr(arg, "requires_grad", False)]


@pytest.mark.parametrize("name, base, make_args", IN_PLACE_CASES, ids=_IDS)
def test_in_place_method_on_a_non_leaf_records_torchs_gradients(name, base, make_args):
    results = []
    for lib in (microtorch, torch):
        a = _leaf(lib, base)
        args, kwargs = make_args(lib)
        y = a * 1.5
        assert getattr(y, name)(*args, **kwargs) is y
        assert y.grad_fn is not None and y._version == 1
        (y * y).sum().backward()
        grads = [a.grad] + [leaf.grad for leaf in _operand_leaves(args)]
        results.append([y.detach().numpy().copy()] + [None if g is None else g.numpy().copy() for g in grads])
    for ours, theirs in zip(*results):
        if theirs is None:
            assert ours is None or not ours.any()
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, base, make_args", IN_PLACE_CASES, ids=_IDS)
def test_in_place_method_writes_the_storage_and_bumps_the_version(name, base, make_args):
    results = []
    for lib in (microtorch, torch):
        x = lib.tensor(base, dtype=lib.float64)
        view = x.detach()  # shares the storage (and the version counter)
        args, kwargs = make_args(lib)
        with lib.no_grad():
            assert getattr(x, name)(*args, **kwargs) is x
        assert x._version == 1 and x.grad_fn is None and not x.requires_grad
        results.append((x.numpy().copy(), view.numpy().copy(), view._version))
    (ours, ours_view, ours_version), (theirs, theirs_view, theirs_version) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(ours_view, theirs_view, rtol=1e-12)
    assert ours_version == theirs_version


@pytest.mark.parametrize("name, base, make_args", IN_PLACE_CASES, ids=_IDS)
def test_in_place_method_on_a_leaf_that_requires_grad_refuses(name, base, make_args):
    for lib in (microtorch, torch):
        w = _leaf(lib, base)
        args, kwargs = make_args(lib)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                               "operation"):
            getattr(w, name)(*args, **kwargs)
        np.testing.assert_array_equal(w.detach().numpy(), base)
        assert w._version == 0


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "**=", "//=", "%="])
def test_every_augmented_assignment_matches_torch(op):
    values = []
    for lib in (microtorch, torch):
        x = lib.tensor(_POSITIVE, dtype=lib.float64)
        i = lib.tensor([[7, -3], [4, 9]])
        alias = x
        exec(f"x {op} 1.5")
        if op not in ("/=", "**="):
            exec(f"i {op} 2")
        assert x is alias and x._version == 1
        values.append((x.numpy().copy(), i.numpy().copy()))
    for ours, theirs in zip(*values):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_matmul_assignment_rebinds_the_name_as_in_torch():
    for lib in (microtorch, torch):
        a = lib.ones(2, 2)
        before = a
        a @= lib.ones(2, 2)
        assert a is not before


def test_the_saved_tensor_check_catches_what_would_corrupt_a_gradient_as_torch_does():
    for lib in (microtorch, torch):
        a = _leaf(lib, _MIXED)
        y = a * 1.0
        z = y * y  # saves y
        y.add_(1.0)
        with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been "
                                               "modified by an inplace operation"):
            z.sum().backward()
        # an op that saved its output: exp_ is recorded, then a change under no_grad is caught
        b = _leaf(lib, _MIXED) * 1.0
        b.exp_()
        with lib.no_grad():
            b.mul_(2.0)
        with pytest.raises(RuntimeError, match="has been modified by an inplace operation"):
            b.sum().backward()


def test_random_fills_use_the_generator_and_give_no_gradient():
    x = microtorch.zeros(2000, dtype=microtorch.float64)
    generator = microtorch.Generator().manual_seed(3)
    first = x.uniform_(-2.0, 3.0, generator=generator).numpy().copy()
    assert first.min() >= -2.0 and first.max() < 3.0 and abs(first.mean() - 0.5) < 0.15
    again = microtorch.zeros(2000, dtype=microtorch.float64).uniform_(-2.0, 3.0,
                                                                      generator=microtorch.Generator().manual_seed(3))
    np.testing.assert_array_equal(again.numpy(), first)
    assert abs(x.normal_(1.0, 2.0).numpy().std() - 2.0) < 0.2 and x._version == 2
    assert abs(x.exponential_(4.0).numpy().mean() - 0.25) < 0.05
    assert set(np.unique(x.bernoulli_(0.3).numpy())) <= {0.0, 1.0} and abs(x.numpy().mean() - 0.3) < 0.05
    ints = microtorch.zeros(2000, dtype=microtorch.int64).random_(3, 7).numpy()
    assert set(np.unique(ints)) == {3, 4, 5, 6}
    assert set(np.unique(microtorch.zeros(500, dtype=microtorch.int64).random_(2).numpy())) == {0, 1}
    for lib in (microtorch, torch):
        a = _leaf(lib, _MIXED)
        y = a * 2.0
        y.normal_()
        (y * y).sum().backward()
        assert y.grad_fn is not None and not a.grad.numpy().any()


def test_data_is_a_detached_tensor_sharing_storage_but_not_the_version_counter_as_in_torch():
    for lib in (microtorch, torch):
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0, 3.0]))
        data = p.data
        assert isinstance(data, lib.Tensor) and not data.requires_grad and data.grad_fn is None
        p.data.add_(lib.tensor([1.0, 1.0, 1.0]))
        np.testing.assert_array_equal(p.detach().numpy(), [2.0, 3.0, 4.0])
        assert p._version == 0 and p.is_leaf and p.requires_grad
        with lib.no_grad():
            p.mul_(2.0)
        assert p._version == 1
        p.data = lib.zeros(2, 2)  # takes the other tensor's storage, shape included
        assert p.shape == (2, 2) and p.requires_grad and isinstance(p, lib.nn.Parameter)
        with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients must be floating point"):
            p.data = lib.tensor([1, 2])
    p = microtorch.tensor([1.0, 2.0])
    p.data = np.array([5.0, 6.0])  # the original microtorch's ndarray still works
    np.testing.assert_array_equal(p.numpy(), [5.0, 6.0])
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        p.data = [1.0]


def test_the_version_counts_from_creation_as_in_torch():
    for lib in (microtorch, torch):
        x = lib.zeros(3)
        assert x._version == 0
        x.add_(1)
        x[0] = 5.0
        x.zero_()
        assert x._version == 3
        view = x[1:]
        view.add_(1)
        assert x._version == 4


CHAINS = {   # in-place ops one after another on a recorded non-leaf, as in `h.mul_(mask).add_(bias)`
    "mul_ then add_": lambda x, b: x.mul_(b).add_(1),
    "mul_ twice then sub_": lambda x, b: x.mul_(b).mul_(b).sub_(b),
    "add_ then mul_": lambda x, b: x.add_(1).mul_(b),
    "div_ then pow_ then clamp_": lambda x, b: x.div_(b).pow_(2).clamp_(0.1, 5.0),
    "exp_ then add_ (exp saved its output: refused)": lambda x, b: x.exp_().add_(1),
    "tanh_ then mul_ (refused)": lambda x, b: x.tanh_().mul_(b),
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_chains_of_in_place_ops_on_a_non_leaf_give_torchs_gradients_or_its_error(name):
    # each in-place op keeps the values it overwrote for its own backward (torch keeps a copy); a later
    # in-place op must not invalidate them, while an op that saved its own output is invalidated, as in torch
    results = []
    for lib in (microtorch, torch):
        a = lib.tensor([0.5, 2.0, -1.5], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([3.0, 0.7, 1.2], dtype=lib.float64, requires_grad=True)
        x = a * 1.0
        CHAINS[name](x, b)
        try:
            (x * x).sum().backward()
        except RuntimeError as error:
            assert "modified by an inplace operation" in str(error)
            results.append("refused")
            continue
        results.append((x._version, a.grad.numpy().copy(), b.grad.numpy().copy()))
    ours, theirs = results
    if theirs == "refused":
        assert ours == "refused"
        return
    assert ours != "refused", f"{name}: torch gives gradients, microtorch refused"
    assert ours[0] == theirs[0]   # _version counts every in-place op
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)
