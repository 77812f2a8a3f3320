"""Zero-size tensors and nans through reductions, softmax and Linear: torch's results and errors."""
import warnings

import numpy as np
import pytest
import torch

import microtorch as mt
from microtorch.nn import functional as F

REDUCTIONS = {
    "sum": lambda lib, x, dim: x.sum() if dim is None else x.sum(dim),
    "mean": lambda lib, x, dim: x.mean() if dim is None else x.mean(dim),
    "var": lambda lib, x, dim: x.var() if dim is None else x.var(dim),
    "std": lambda lib, x, dim: x.std() if dim is None else x.std(dim),
    "var_biased": lambda lib, x, dim: x.var(unbiased=False) if dim is None else x.var(dim, unbiased=False),
    "softmax": lambda lib, x, dim: x.softmax(0 if dim is None else dim),
    "log_softmax": lambda lib, x, dim: (F if lib is mt else torch.nn.functional).log_softmax(x, 0 if dim is None else dim),
    "max": lambda lib, x, dim: x.max() if dim is None else _values(x.max(dim)),
    "min": lambda lib, x, dim: x.min() if dim is None else _values(x.min(dim)),
}


def _values(result):
    return result.values if isinstance(result, tuple) and hasattr(result, "values") else result


def compare(name, shape, dim, data=None):
    """Run reduction `name` in microtorch and torch (float64): same values, gradients or error."""
    data = np.random.default_rng(0).standard_normal(shape) if data is None else data
    outcomes = []
    for lib in (mt, torch):
        x = lib.tensor(data, requires_grad=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # torch warns about degrees of freedom <= 0
                y = REDUCTIONS[name](lib, x, dim)
                (y * lib.tensor(np.linspace(1, 2, y.numel() if lib is torch else y.numel()).reshape(tuple(y.shape)))).sum().backward()
        except (RuntimeError, IndexError) as error:
            outcomes.append((type(error), str(error)))
            continue
        outcomes.append((y.detach().numpy(), x.grad.numpy()))
    ours, theirs = outcomes
    if isinstance(theirs[0], type):
        assert ours[0] is theirs[0], f"microtorch gave {ours}, torch raised {theirs}"
        assert ours[1] == theirs[1]
        return
    assert not isinstance(ours[0], type), f"microtorch raised {ours}, torch gave {theirs}"
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("shape, dim", [((0,), None), ((0,), 0), ((2, 0), 1), ((2, 0), 0), ((0, 3), 0),
                                        ((0, 3), 1), ((2, 0), None), ((3, 0, 2), 1)])
def test_zero_size_reductions_match_torch(name, shape, dim):
    compare(name, shape, dim)


@pytest.mark.parametrize("name", ["var", "std", "mean", "sum"])
def test_single_element_statistics_match_torch(name):
    compare(name, (1, 3), 0)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize("data", [
    [[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]],
    [[1.0, np.nan, 3.0], [np.nan, 5.0, np.nan]],
    [[np.nan, np.nan, np.nan], [2.0, 2.0, -1.0]],
], ids=["one-nan", "nan-per-row", "nan-row-and-ties"])
def test_max_and_min_send_the_gradient_to_the_nan_as_torch(name, dim, data):
    compare(name, None, dim, np.array(data))


def test_max_over_a_tuple_of_dims_routes_nan_too():
    # torch.amax gives nan gradients here; microtorch routes to the nans, as torch.max() does.
    x = mt.tensor([[1.0, np.nan], [3.0, 2.0]], requires_grad=True)
    x.max(dim=(0, 1)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize("features", [(0, 3), (3, 0), (0, 0)])
def test_linear_with_zero_features_works_as_in_torch(features):
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = mt.nn.Linear(*features)
    x = mt.ones(2, features[0], requires_grad=True)
    y = layer(x)
    assert y.shape == (2, features[1])
    np.testing.assert_array_equal(y.numpy(), np.zeros((2, features[1])))   # the bias bound is 0 when in is 0
    y.sum().backward()
    assert layer.weight.grad.shape == (features[1], features[0])
    assert x.grad.shape == (2, features[0])


@pytest.mark.parametrize("init", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
def test_init_of_a_zero_element_tensor_is_a_no_op_as_in_torch(init):
    weight = mt.nn.Parameter(np.empty((0, 3), dtype=np.float32))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert getattr(mt.nn.init, init)(weight) is weight


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("dim", [None, 0])
def test_zero_spread_gives_torch_gradient_not_nan(name, dim):
    # found by tests/test_fuzz.py: std = sqrt(var) made 0 * inf = nan where a column is constant
    compare(name, None, dim, np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]))
    compare(name, None, dim, np.zeros((2, 3)))


@pytest.mark.parametrize("name", ["std", "var"])
def test_equal_values_have_exactly_zero_spread_as_in_torch(name):
    # found by tests/test_fuzz.py: a mean rounded away from the equal values made std tiny, not 0,
    # so its gradient was finite where torch's is 0
    assert np.full(3, 0.7).sum() / 3 != 0.7   # the rounding that the old mean suffered
    compare(name, None, 0, np.array([[0.7, 1.0], [0.7, 2.0], [0.7, 4.0]]))
