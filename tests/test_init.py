"""nn.init against torch.nn.init: same names and signatures, same fans and gains (exactly), same
bounds and spreads (statistically: microtorch draws its own random stream)."""
import math

import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import init

SHAPES = [(3, 5), (8, 4, 3), (6, 2, 3, 3), (4, 2, 2, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(microtorch.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(microtorch.zeros(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.zeros(*shape), mode)


@pytest.mark.parametrize("nonlinearity, param", [("linear", None), ("conv3d", None), ("conv_transpose2d", None),
                                                 ("sigmoid", None), ("tanh", None), ("relu", None),
                                                 ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3),
                                                 ("selu", None)])
def test_gains_match_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def test_errors_match_torch():
    for call in (lambda lib, t: lib.init.xavier_uniform_(t), lambda lib, t: lib.init.kaiming_normal_(t)):
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
            call(nn, microtorch.zeros(3))
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
            call(torch.nn, torch.zeros(3))
    for lib, zeros in ((init, microtorch.zeros), (torch.nn.init, torch.zeros)):
        with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
            lib.kaiming_uniform_(zeros(2, 2), mode="fan_avg")
        with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
            lib.calculate_gain("softsign")
        with pytest.raises(ValueError, match="negative_slope True not a valid number"):
            lib.calculate_gain("leaky_relu", True)
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            lib.eye_(zeros(2, 2, 2))


def _draw(fn, shape=(200, 300), **kwargs):
    tensor = microtorch.zeros(*shape, dtype=np.float64)
    assert fn(tensor, **kwargs) is tensor
    return tensor._array


@pytest.mark.parametrize("fn, kwargs, bound", [
    (init.uniform_, dict(a=-0.3, b=0.7), (-0.3, 0.7)),
    (init.xavier_uniform_, dict(gain=2.0), (-2.0 * math.sqrt(6 / 500), 2.0 * math.sqrt(6 / 500))),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), (-1 / math.sqrt(300), 1 / math.sqrt(300))),
    (init.kaiming_uniform_, dict(mode="fan_out", nonlinearity="relu"),
     (-math.sqrt(6 / 200), math.sqrt(6 / 200))),
])
def test_uniform_inits_fill_torch_bounds(fn, kwargs, bound):
    values = _draw(fn, **kwargs)
    low, high = bound
    assert values.min() >= low and values.max() <= high
    # 60000 draws: the extremes come within 0.1% of the bounds, the mean within 4 standard errors
    width = high - low
    assert values.min() < low + 1e-3 * width and values.max() > high - 1e-3 * width
    assert abs(values.mean() - (low + high) / 2) < 4 * width / math.sqrt(12 * values.size)


@pytest.mark.parametrize("fn, kwargs, std", [
    (init.normal_, dict(mean=0.0, std=0.5), 0.5),
    (init.xavier_normal_, dict(gain=1.5), 1.5 * math.sqrt(2 / 500)),
    (init.kaiming_normal_, dict(), math.sqrt(2 / (1 + 0.0)) / math.sqrt(300)),
    (init.kaiming_normal_, dict(mode="fan_out", nonlinearity="tanh"), 5 / 3 / math.sqrt(200)),
])
def test_normal_inits_have_torch_std(fn, kwargs, std):
    values = _draw(fn, **kwargs)
    theirs = torch.zeros(200, 300, dtype=torch.float64)
    getattr(torch.nn.init, fn.__name__)(theirs, **kwargs)
    # the sample std of 60000 normal draws is within 1% of the true std (0.3% standard error)
    assert values.std() == pytest.approx(std, rel=0.01)
    assert theirs.std().item() == pytest.approx(std, rel=0.01)


def test_trunc_normal_stays_in_bounds_with_torch_spread():
    values = _draw(init.trunc_normal_, mean=0.5, std=1.0, a=-1.0, b=1.5)
    theirs = torch.nn.init.trunc_normal_(torch.zeros(200, 300, dtype=torch.float64), mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert values.min() >= -1.0 and values.max() <= 1.5
    assert values.mean() == pytest.approx(theirs.mean().item(), abs=0.02)
    assert values.std() == pytest.approx(theirs.std().item(), rel=0.02)


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (7, 3), (6, 2, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    values = _draw(init.orthogonal_, shape=shape, gain=2.0).reshape(shape[0], -1)
    small = min(values.shape)
    product = values @ values.T if values.shape[0] == small else values.T @ values
    np.testing.assert_allclose(product, 4.0 * np.eye(small), atol=1e-10)


def test_deterministic_inits_match_torch():
    for name, shape, args in [("constant_", (3, 4), (0.25,)), ("ones_", (2, 3), ()), ("zeros_", (2,), ()),
                              ("eye_", (3, 5), ()), ("eye_", (4, 2), ()), ("dirac_", (4, 2, 3), ()),
                              ("dirac_", (4, 2, 3, 3), (2,)), ("dirac_", (2, 2, 1, 3, 3), ())]:
        ours = getattr(init, name)(microtorch.tensor(np.full(shape, 7.0)), *args)
        theirs = getattr(torch.nn.init, name)(torch.full(shape, 7.0, dtype=torch.float64), *args)
        np.testing.assert_array_equal(ours._array, theirs.numpy(), err_msg=name)


def test_generator_makes_draws_reproducible_and_versions_are_bumped():
    first = init.kaiming_uniform_(microtorch.zeros(5, 5), generator=microtorch.Generator().manual_seed(3))
    second = init.kaiming_uniform_(microtorch.zeros(5, 5), generator=microtorch.Generator().manual_seed(3))
    np.testing.assert_array_equal(first._array, second._array)
    weight = nn.Linear(3, 3).weight
    saved_it = (weight * weight).sum()
    init.normal_(weight)  # an in-place change: the graph that saved the old values must refuse backward
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        saved_it.backward()
    assert init.xavier_uniform is init.xavier_uniform_ and init.kaiming_normal is init.kaiming_normal_
