"""Adaptive average and max pooling (1-d and 2-d, with return_indices), max_pool1d and avg_pool1d, functions and
layers, against PyTorch in float64: values, gradients, indices, reprs and torch's errors."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional

CASES_2D = [  # input shape, output_size: divisible, not divisible (overlapping bins), None, larger than the input
    ((2, 3, 8, 8), 4), ((2, 3, 7, 5), (3, 2)), ((3, 5, 6), (None, 4)), ((1, 1, 5, 7), (5, 7)), ((2, 2, 3, 3), (5, 4)),
    ((2, 3, 6, 6), 1), ((2, 3, 4, 9), (2, None)),
]
CASES_1D = [((2, 3, 7), 3), ((3, 10), 4), ((2, 3, 3), 5), ((2, 4, 12), (1,)), ((2, 4, 9), 9)]


@pytest.mark.parametrize("shape, output_size", CASES_2D)
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool2d(shape, output_size, kind):
    name = f"adaptive_{kind}_pool2d"
    check_op(lambda x: getattr(TF, name)(x, output_size), lambda x: getattr(F, name)(x, output_size), [shape])


@pytest.mark.parametrize("shape, output_size", CASES_1D)
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool1d(shape, output_size, kind):
    name = f"adaptive_{kind}_pool1d"
    check_op(lambda x: getattr(TF, name)(x, output_size), lambda x: getattr(F, name)(x, output_size), [shape])


@pytest.mark.parametrize("shape, output_size", CASES_2D[:5] + [((2, 2, 4, 4), 2)])
def test_adaptive_max_pool2d_indices_match_torch_and_unpool(shape, output_size):
    x = np.random.default_rng(0).standard_normal(shape)
    x[..., 0, :2] = x.max()  # ties: the first maximum wins, in both
    check_op(lambda t: TF.adaptive_max_pool2d(t, output_size, return_indices=True)[0],
             lambda t: F.adaptive_max_pool2d(t, output_size, return_indices=True)[0], arrays=[x])
    ours = F.adaptive_max_pool2d(microtorch.tensor(x), output_size, return_indices=True)[1]
    theirs = TF.adaptive_max_pool2d(torch.tensor(x), output_size, return_indices=True)[1]
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("shape, output_size", CASES_1D)
def test_adaptive_max_pool1d_indices_match_torch(shape, output_size):
    x = np.random.default_rng(1).standard_normal(shape)
    _, ours = F.adaptive_max_pool1d(microtorch.tensor(x), output_size, return_indices=True)
    _, theirs = TF.adaptive_max_pool1d(torch.tensor(x), output_size, return_indices=True)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("args, kwargs", [((3,), {}), ((3, 2, 1), {}), ((2,), dict(ceil_mode=True)),
                                          ((3, 1, 1), dict(dilation=2)), ((4, 3), dict(ceil_mode=True))])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 10)])
def test_max_pool1d(args, kwargs, shape):
    check_op(lambda x: TF.max_pool1d(x, *args, **kwargs), lambda x: F.max_pool1d(x, *args, **kwargs), [shape])
    x = np.random.default_rng(2).standard_normal(shape)
    ours = F.max_pool1d(microtorch.tensor(x), *args, return_indices=True, **kwargs)[1]
    theirs = TF.max_pool1d(torch.tensor(x), *args, return_indices=True, **kwargs)[1]
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("args, kwargs", [((3,), {}), ((3, 2, 1), {}), ((3, 2, 1), dict(count_include_pad=False)),
                                          ((2,), dict(ceil_mode=True)), ((4, 3, 2), dict(ceil_mode=True))])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 10)])
def test_avg_pool1d(args, kwargs, shape):
    check_op(lambda x: TF.avg_pool1d(x, *args, **kwargs), lambda x: F.avg_pool1d(x, *args, **kwargs), [shape])


@pytest.mark.parametrize("theirs, ours, shape", [
    (torch.nn.AdaptiveAvgPool2d((2, None)), nn.AdaptiveAvgPool2d((2, None)), (2, 3, 5, 4)),
    (torch.nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d(1), (3, 5, 4)),
    (torch.nn.AdaptiveMaxPool2d(3), nn.AdaptiveMaxPool2d(3), (2, 3, 5, 4)),
    (torch.nn.AdaptiveMaxPool2d(2, return_indices=True), nn.AdaptiveMaxPool2d(2, return_indices=True), (2, 3, 5, 4)),
    (torch.nn.AdaptiveAvgPool1d(3), nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    (torch.nn.AdaptiveMaxPool1d(3), nn.AdaptiveMaxPool1d(3), (3, 7)),
    (torch.nn.AdaptiveMaxPool1d(2, True), nn.AdaptiveMaxPool1d(2, True), (2, 3, 7)),
    (torch.nn.MaxPool1d(3, 2, 1), nn.MaxPool1d(3, 2, 1), (2, 3, 8)),
    (torch.nn.MaxPool1d(2, return_indices=True), nn.MaxPool1d(2, return_indices=True), (2, 3, 8)),
    (torch.nn.AvgPool1d(3, 2, 1, count_include_pad=False), nn.AvgPool1d(3, 2, 1, count_include_pad=False), (3, 8)),
])
def test_pool_layers_match_torch(theirs, ours, shape):
    if getattr(theirs, "return_indices", False):
        x = np.random.default_rng(3).standard_normal(shape)
        (values, indices), (expected, expected_indices) = ours(microtorch.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(values.data, expected.numpy())
        np.testing.assert_array_equal(indices.data, expected_indices.numpy())
    else:
        check_op(theirs, ours, [shape])
    assert repr(ours) == repr(theirs)


def test_adaptive_pool_keeps_float32():
    for fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        assert fn(microtorch.randn(2, 3, 5, 5), 2).dtype == np.float32
    check_op(lambda x: TF.adaptive_avg_pool2d(x, 3), lambda x: F.adaptive_avg_pool2d(x, 3), [(2, 3, 7, 7)],
             dtype=np.float32)


def test_pool_errors():
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d\(\): expected 3D or 4D tensor, but got \[2, 3\]"):
        F.adaptive_avg_pool2d(microtorch.ones(2, 3), 2)
    with pytest.raises(RuntimeError, match="output_size must be 2"):
        F.adaptive_avg_pool2d(microtorch.ones(2, 3, 4, 4), (2, 2, 2))
    with pytest.raises(RuntimeError, match="greater than or equal to 0"):
        F.adaptive_max_pool2d(microtorch.ones(2, 3, 4, 4), -1)
    with pytest.raises(RuntimeError, match="non-zero size for non-batch dimensions"):
        F.adaptive_avg_pool2d(microtorch.ones(2, 3, 0, 4), 2)
    with pytest.raises(TypeError, match="floating point"):
        F.adaptive_max_pool2d(microtorch.ones(2, 3, 4, 4, dtype=microtorch.long), 2)
    for fn in (lambda x: F.adaptive_avg_pool1d(x, 2), lambda x: F.max_pool1d(x, 2), lambda x: F.avg_pool1d(x, 2)):
        with pytest.raises(RuntimeError, match="expected 2 to 3 dimensions"):
            fn(microtorch.ones(5))
        with pytest.raises(RuntimeError, match="expected 2 to 3 dimensions"):
            fn(microtorch.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="at most half"):
        F.avg_pool1d(microtorch.ones(2, 3, 5), 3, padding=2)
