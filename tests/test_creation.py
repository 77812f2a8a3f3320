"""Creation functions against torch: values, dtypes and shapes where deterministic; ranges,
shapes, dtypes, generator reproducibility and error messages for the random ones."""
import numpy as np
import pytest
import torch

import microtorch


def _same(ours, theirs, rtol=1e-6):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol)


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(2, 3), lambda lib: lib.zeros((2, 3)), lambda lib: lib.zeros([2, 3]),
    lambda lib: lib.zeros(size=(2, 3)), lambda lib: lib.ones(4, dtype=lib.int64), lambda lib: lib.ones(()),
    lambda lib: lib.full((2, 2), 7), lambda lib: lib.full((2,), 1.5), lambda lib: lib.full((2,), True),
    lambda lib: lib.full((3,), 2, dtype=lib.float64), lambda lib: lib.eye(3), lambda lib: lib.eye(2, 4),
    lambda lib: lib.eye(3, dtype=lib.int64), lambda lib: lib.empty(2, 3).zero_(), lambda lib: lib.empty(0).zero_(),
    lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.int32)), lambda lib: lib.ones_like(lib.ones(2), dtype=lib.float64),
    lambda lib: lib.full_like(lib.ones(2, 2), 3.5), lambda lib: lib.full_like(lib.ones(2, dtype=lib.int64), 3),
    lambda lib: lib.empty_like(lib.ones(3)).zero_(),
    lambda lib: lib.arange(5), lambda lib: lib.arange(1, 4), lambda lib: lib.arange(0, 1, 0.25),
    lambda lib: lib.arange(5.0), lambda lib: lib.arange(10, 0, -3), lambda lib: lib.arange(3, dtype=lib.float64),
    lambda lib: lib.linspace(0, 1, 5), lambda lib: lib.linspace(-2, 2, 1), lambda lib: lib.linspace(0, 1, 0),
    lambda lib: lib.linspace(0, 10, 7, dtype=lib.float64), lambda lib: lib.logspace(0, 2, 3),
    lambda lib: lib.logspace(0, 3, 4, base=2.0), lambda lib: lib.tensor(3.5), lambda lib: lib.tensor([[1, 2]]),
    lambda lib: lib.tensor([True, False]), lambda lib: lib.tensor([1.5], dtype=lib.float64),
    lambda lib: lib.as_tensor([1, 2], dtype=lib.float32), lambda lib: lib.asarray([1.0, 2.0]),
])
def test_deterministic_creation_matches_torch(make):
    _same(make(microtorch), make(torch))


def test_requires_grad_and_device_on_creation_functions():
    for make in [lambda lib, **k: lib.zeros(2, **k), lambda lib, **k: lib.ones(2, **k),
                 lambda lib, **k: lib.full((2,), 1.0, **k), lambda lib, **k: lib.eye(2, **k),
                 lambda lib, **k: lib.arange(3.0, **k), lambda lib, **k: lib.linspace(0, 1, 3, **k),
                 lambda lib, **k: lib.rand(2, **k), lambda lib, **k: lib.randn(2, **k),
                 lambda lib, **k: lib.tensor([1.0], **k), lambda lib, **k: lib.empty(2, **k),
                 lambda lib, **k: lib.zeros_like(lib.ones(2), **k), lambda lib, **k: lib.rand_like(lib.ones(2), **k)]:
        for lib in (microtorch, torch):
            made = make(lib, requires_grad=True, device="cpu")
            assert made.requires_grad and made.is_leaf and made.device == lib.device("cpu")
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        microtorch.zeros(2, dtype=microtorch.int64, requires_grad=True)


def test_from_numpy_and_as_tensor_share_memory_as_torch():
    array = np.arange(4.0)
    for lib in (microtorch, torch):
        shared = lib.from_numpy(array)
        assert shared.dtype == lib.float64
        shared[0] = 10.0
        assert array[0] == 10.0
        lib.as_tensor(array)[1] = 20.0
        assert array[1] == 20.0
        copied = lib.tensor(array)
        copied[2] = 30.0
        assert array[2] != 30.0
        t = lib.ones(2)
        assert lib.as_tensor(t) is t and lib.asarray(t) is t
        assert not np.shares_memory(lib.asarray(array, copy=True).numpy(), array)
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        microtorch.from_numpy([1, 2])


def test_random_creation_shapes_dtypes_and_ranges_match_torch():
    cases = [lambda lib: lib.rand(3, 4), lambda lib: lib.randn(2, 3, dtype=lib.float64), lambda lib: lib.rand((5,)),
             lambda lib: lib.randint(10, (3, 3)), lambda lib: lib.randint(3, 10, (100,)),
             lambda lib: lib.randint(0, 2, (4,), dtype=lib.float32), lambda lib: lib.randperm(6),
             lambda lib: lib.rand_like(lib.ones(2, dtype=lib.float64)), lambda lib: lib.randn_like(lib.ones(3)),
             lambda lib: lib.randint_like(lib.ones(3), 5), lambda lib: lib.randint_like(lib.ones(3), 2, 5),
             lambda lib: lib.normal(0.0, 1.0, (3,)), lambda lib: lib.normal(lib.zeros(4), 2.0),
             lambda lib: lib.normal(lib.zeros(2, 1), lib.ones(3)), lambda lib: lib.normal(1.0, lib.ones(3)),
             lambda lib: lib.bernoulli(lib.full((3, 3), 0.5)), lambda lib: lib.poisson(lib.full((4,), 3.0))]
    for make in cases:
        ours, theirs = make(microtorch), make(torch)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert sorted(microtorch.randperm(50).tolist()) == list(range(50))
    ints = microtorch.randint(3, 10, (2000,)).numpy()
    assert ints.min() == 3 and ints.max() == 9
    uniform = microtorch.rand(5000).numpy()
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.03
    normal = microtorch.normal(3.0, 2.0, (5000,)).numpy()
    assert abs(normal.mean() - 3.0) < 0.15 and abs(normal.std() - 2.0) < 0.15


def test_generator_and_manual_seed_make_random_creation_reproducible():
    def draw(**kwargs):
        return [microtorch.rand(3, **kwargs).numpy(), microtorch.randn(3, **kwargs).numpy(),
                microtorch.randint(0, 100, (3,), **kwargs).numpy(), microtorch.randperm(5, **kwargs).numpy(),
                microtorch.multinomial(microtorch.ones(5), 3, **kwargs).numpy(),
                microtorch.normal(0.0, 1.0, (3,), **kwargs).numpy(),
                microtorch.bernoulli(microtorch.full((5,), 0.5), **kwargs).numpy()]

    first = draw(generator=microtorch.Generator().manual_seed(5))
    second = draw(generator=microtorch.Generator().manual_seed(5))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    microtorch.manual_seed(11)
    third = draw()
    microtorch.manual_seed(11)
    for a, b in zip(third, draw()):
        np.testing.assert_array_equal(a, b)


def test_multinomial_with_and_without_replacement_as_torch():
    weights = [[0.0, 1.0, 3.0, 0.0], [2.0, 2.0, 0.0, 1.0]]
    for lib in (microtorch, torch):
        rows = lib.tensor(weights)
        drawn = lib.multinomial(rows, 2)
        assert tuple(drawn.shape) == (2, 2) and drawn.dtype == lib.int64
        assert all(len(set(row)) == 2 for row in drawn.tolist())  # without replacement: distinct
        assert set(drawn[0].tolist()) == {1, 2}
        many = lib.multinomial(rows[1], 4000, replacement=True)
        counts = np.bincount(many.numpy(), minlength=4) / 4000
        np.testing.assert_allclose(counts, [0.4, 0.4, 0.0, 0.2], atol=0.04)
        assert lib.multinomial(lib.tensor([0.2, 0.8]), 1).shape == (1,)
        with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size\\(-1\\) samples without "
                                               "replacement"):
            lib.multinomial(lib.tensor([1.0, 1.0]), 3)
        with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
            lib.multinomial(lib.tensor([1.0, -1.0]), 1)
        with pytest.raises(RuntimeError, match="invalid multinomial distribution \\(sum of probabilities <= 0\\)"):
            lib.multinomial(lib.tensor([0.0, 0.0]), 1, replacement=True)
        with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
            lib.multinomial(lib.ones(2, 2, 2), 1)


def test_creation_errors_follow_torch():
    for lib in (microtorch, torch):
        with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
            lib.arange(0, 5, -1)
        with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
            lib.linspace(0, 1, -1)
        with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
            lib.normal(lib.zeros(2), -lib.ones(2))
        with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
            lib.randint(5, 5, (2,))
