"""Convolution and pooling against PyTorch in float64 (values and gradients), the layers' defaults,
and the CNN example in --quick mode."""
import math
import pathlib
import runpy
import sys

import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional
EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

CONV2D_CASES = [  # input shape, weight shape, keyword arguments
    ((2, 3, 7, 7), (4, 3, 3, 3), {}),
    ((2, 3, 8, 9), (5, 3, 3, 2), dict(stride=2, padding=1)),
    ((1, 4, 9, 8), (6, 2, 3, 3), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
    ((2, 4, 6, 6), (4, 1, 2, 2), dict(stride=2, groups=4)),  # depthwise
    ((2, 3, 8, 8), (4, 3, 4, 3), dict(padding="same", dilation=2)),  # even kernel: the extra pad goes after
    ((2, 3, 6, 7), (2, 3, 3, 3), dict(padding="valid", dilation=(1, 2))),
    ((3, 2, 5, 5), (3, 2, 1, 1), dict(stride=3)),
    ((1, 2, 4, 4), (2, 2, 5, 5), dict(padding=2, stride=3)),  # kernel larger than the input
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(x_shape, w_shape, kwargs, bias):
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if bias else [])
    check_op(lambda *t: TF.conv2d(*t, **kwargs), lambda *t: F.conv2d(*t, **kwargs), shapes)


def test_conv2d_on_a_strided_input_and_unbatched():
    check_op(lambda x, w: TF.conv2d(x.transpose(2, 3)[:, :, ::2], w, padding=1),
             lambda x, w: F.conv2d(x.transpose(2, 3)[:, :, ::2], w, padding=1), [(2, 3, 6, 9), (4, 3, 3, 3)])
    check_op(lambda x, w, b: TF.conv2d(x, w, b, stride=2), lambda x, w, b: F.conv2d(x, w, b, stride=2),
             [(3, 7, 7), (2, 3, 3, 3), (2,)])


@pytest.mark.parametrize("kwargs", [{}, dict(stride=2, padding=1), dict(dilation=2, padding=2, groups=3),
                                    dict(padding="same"), dict(stride=(3,), padding=(2,))])
def test_conv1d(kwargs):
    w_shape = (6, 1, 3) if kwargs.get("groups") == 3 else (4, 3, 3)
    check_op(lambda x, w, b: TF.conv1d(x, w, b, **kwargs), lambda x, w, b: F.conv1d(x, w, b, **kwargs),
             [(2, 3, 11), w_shape, (w_shape[0],)])


def test_conv_float32_stays_float32_and_matches_torch():
    check_op(lambda x, w, b: TF.conv2d(x, w, b, padding=1, stride=2),
             lambda x, w, b: F.conv2d(x, w, b, padding=1, stride=2),
             [(4, 3, 9, 9), (8, 3, 3, 3), (8,)], dtype=np.float32)


def test_conv2d_errors_name_the_problem():
    x, w = microtorch.ones(2, 3, 5, 5), microtorch.ones(4, 2, 3, 3)
    with pytest.raises(RuntimeError, match="3 channels"):
        F.conv2d(x, w)
    with pytest.raises(TypeError, match="dtype"):
        F.conv2d(x.double(), microtorch.ones(4, 3, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(x, microtorch.ones(4, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="smaller than the dilated kernel"):
        F.conv2d(x, microtorch.ones(4, 3, 3, 3), dilation=3)
    with pytest.raises(RuntimeError, match="4-D"):
        F.conv2d(microtorch.ones(5, 5), microtorch.ones(4, 3, 3, 3))
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(x, microtorch.ones(4, 3, 3, 3), groups=3)


def test_conv2d_frees_its_columns_after_backward():
    x = microtorch.randn(2, 3, 6, 6, requires_grad=True)
    w = microtorch.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w)
    node = out.grad_fn
    columns, *_ = node.saved_tensors
    assert columns is not None and columns.size == 3 * 9 * 2 * 4 * 4
    out.sum().backward()
    assert node.is_released
    assert x.grad is not None and w.grad is not None


def test_conv2d_keeps_no_columns_when_the_weight_needs_no_gradient():
    x = microtorch.randn(2, 3, 6, 6, requires_grad=True)
    out = F.conv2d(x, microtorch.randn(4, 3, 3, 3))
    columns, kernels, *_ = out.grad_fn.saved_tensors
    assert columns is None and kernels is not None


MAX_POOL_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2,
                  ceil_mode=True), dict(kernel_size=(3, 2), stride=1, dilation=2, padding=1),
                  dict(kernel_size=(2, 3), stride=(1, 2), ceil_mode=True, padding=1), dict(kernel_size=1, stride=2)]


@pytest.mark.parametrize("kwargs", MAX_POOL_CASES)
def test_max_pool2d(kwargs):
    check_op(lambda x: TF.max_pool2d(x, **kwargs), lambda x: F.max_pool2d(x, **kwargs), [(2, 3, 7, 8)])


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1:3, 1:3] = 1.0
    check_op(lambda t: TF.max_pool2d(t, 3, stride=1), lambda t: F.max_pool2d(t, 3, stride=1), arrays=[x])


@pytest.mark.parametrize("kwargs", MAX_POOL_CASES)
def test_max_pool2d_nan_is_the_maximum_and_its_last_occurrence_takes_the_gradient_like_torch(kwargs):
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 8))
    x[0, 0, 1:3, 1:4] = np.nan      # several nans in some windows, one in others
    x[1, 2, 4, 5] = np.nan
    x[1, 1] = 0.0                   # ties everywhere in one channel
    check_op(lambda t: TF.max_pool2d(t, return_indices=True, **kwargs),
             lambda t: F.max_pool2d(t, return_indices=True, **kwargs), arrays=[x])


@pytest.mark.parametrize("kwargs", MAX_POOL_CASES)
def test_max_pool2d_return_indices_match_torch(kwargs):
    ours, _ = check_op(lambda x: TF.max_pool2d(x, return_indices=True, **kwargs),
                       lambda x: F.max_pool2d(x, return_indices=True, **kwargs), [(2, 3, 7, 8)])
    assert ours[1].dtype == np.int64 and not ours[1].requires_grad


@pytest.mark.parametrize("shape, kwargs", [((2, 3, 8, 8), dict(kernel_size=2)),
                                           ((2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
                                           ((2, 3, 8, 9), dict(kernel_size=(2, 3), stride=(2, 1)))])
def test_max_unpool2d_after_max_pool2d_matches_torch(shape, kwargs):
    # shapes whose pooled size unpools back to the same size (otherwise the indices do not fit, in torch too)
    pool = {**kwargs, "return_indices": True}
    check_op(lambda x: TF.max_unpool2d(*TF.max_pool2d(x, **pool), **kwargs),
             lambda x: F.max_unpool2d(*F.max_pool2d(x, **pool), **kwargs), [shape])


def test_max_unpool2d_values_output_size_and_unbatched_input():
    x = torch.tensor(np.random.default_rng(1).standard_normal((3, 9, 9)))
    _, torch_indices = TF.max_pool2d(x, 2, return_indices=True)          # unbatched (C, H, W)
    indices = microtorch.tensor(torch_indices.numpy())
    check_op(lambda v: TF.max_unpool2d(v, torch_indices, 2, output_size=(9, 9)),
             lambda v: F.max_unpool2d(v, indices, 2, output_size=(9, 9)), [(3, 4, 4)])
    layer_out = nn.MaxUnpool2d(2)(microtorch.ones(3, 4, 4), indices, output_size=(3, 9, 9))
    assert layer_out.shape == (3, 9, 9) and layer_out.numpy().sum() == 48


def test_max_pool2d_and_unpool_layers():
    pool, unpool = nn.MaxPool2d(2, stride=2, return_indices=True), nn.MaxUnpool2d(2, stride=2)
    x = microtorch.randn(1, 2, 4, 4, dtype=np.float64)
    out, indices = pool(x)
    restored = unpool(out, indices)
    kept = restored.numpy() != 0
    np.testing.assert_array_equal(restored.numpy()[kept], x.numpy()[kept])   # each window's maximum, in place
    assert kept.sum() == out.numel()


def test_max_unpool2d_errors():
    values, indices = F.max_pool2d(microtorch.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(TypeError, match="indices must be an integer Tensor"):
        F.max_unpool2d(values, values, 2)
    with pytest.raises(RuntimeError, match=r"indices have shape \(1, 1, 1, 2\), expected the input's shape"):
        F.max_unpool2d(values, indices[:, :, :1], 2)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(values, indices, 2, output_size=(7, 7))
    with pytest.raises(RuntimeError, match="index 16 is out of range for an output of size \\(4, 4\\)"):
        F.max_unpool2d(values, microtorch.tensor(np.full((1, 1, 2, 2), 16)), 2)


AVG_POOL_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                  dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                  dict(kernel_size=3, stride=2, ceil_mode=True),
                  dict(kernel_size=3, stride=2, ceil_mode=True, padding=1, count_include_pad=False),
                  dict(kernel_size=(3, 2), stride=(1, 2), ceil_mode=True, padding=1),
                  dict(kernel_size=2, divisor_override=3), dict(kernel_size=1, stride=2)]


@pytest.mark.parametrize("kwargs", AVG_POOL_CASES)
def test_avg_pool2d(kwargs):
    check_op(lambda x: TF.avg_pool2d(x, **kwargs), lambda x: F.avg_pool2d(x, **kwargs), [(2, 3, 7, 8)])


def test_pooling_unbatched_and_float32():
    check_op(lambda x: TF.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2), [(3, 6, 6)], dtype=np.float32)
    check_op(lambda x: TF.avg_pool2d(x, 2), lambda x: F.avg_pool2d(x, 2), [(3, 6, 6)], dtype=np.float32)


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_with_a_one_by_one_kernel_returns_new_memory_not_a_view_of_the_input(pool):
    x = microtorch.randn(1, 2, 5, 5)
    out = pool(x, 1)
    out.numpy()[...] = 0.0
    assert np.abs(x.numpy()).min() > 0


def test_pooling_errors():
    with pytest.raises(ValueError, match="half of kernel"):
        F.max_pool2d(microtorch.ones(1, 1, 6, 6), 2, padding=2)
    with pytest.raises(RuntimeError, match="too small"):
        F.avg_pool2d(microtorch.ones(1, 1, 2, 2), 3)


def _copy_weights(ours, theirs):
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(getattr(ours, name).numpy()))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_layer_matches_torch(padding_mode, padding):
    ours = nn.Conv2d(3, 4, (3, 4) if padding == "same" else 3, padding=padding, padding_mode=padding_mode,
                     dtype=np.float64)
    theirs = torch.nn.Conv2d(3, 4, (3, 4) if padding == "same" else 3, padding=padding,
                             padding_mode=padding_mode).double()
    _copy_weights(ours, theirs)
    check_op(theirs, ours, [(2, 3, 6, 7)])
    for name in ("weight", "bias"):
        assert getattr(ours, name).shape == tuple(getattr(theirs, name).shape)


def test_conv1d_layer_matches_torch():
    ours = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    theirs = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2).double()
    _copy_weights(ours, theirs)
    check_op(theirs, ours, [(2, 4, 9)])


@pytest.mark.parametrize("layer, fan_in", [(lambda: nn.Conv2d(8, 16, 3), 72),
                                           (lambda: nn.Conv2d(8, 16, (5, 3), groups=4), 30),
                                           (lambda: nn.Conv1d(6, 40, 7), 42)])
def test_conv_init_is_torchs_default(layer, fan_in):
    """kaiming_uniform(a=sqrt(5)) for the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias:
    both uniform with bound 1/sqrt(fan_in)."""
    module = layer()
    bound = 1 / math.sqrt(fan_in)
    for p in (module.weight, module.bias):
        assert p.dtype == np.float32 and p.requires_grad
        assert np.abs(p.numpy()).max() <= bound
    weights = module.weight.numpy().ravel()
    assert np.abs(weights).max() > 0.9 * bound  # spread over the whole interval ...
    assert abs(weights.std() - bound / math.sqrt(3)) < 0.1 * bound  # ... uniformly
    assert [name for name, _ in module.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(2, 3, 3, bias=False).bias is None


def test_pool_and_flatten_layers_match_torch():
    check_op(torch.nn.MaxPool2d(3, 2, padding=1), nn.MaxPool2d(3, 2, padding=1), [(2, 3, 8, 8)])
    check_op(torch.nn.AvgPool2d(2, ceil_mode=True), nn.AvgPool2d(2, ceil_mode=True), [(2, 3, 7, 7)])
    check_op(torch.nn.Flatten(), nn.Flatten(), [(2, 3, 4, 5)])
    check_op(torch.nn.Flatten(0, 2), nn.Flatten(0, 2), [(2, 3, 4, 5)])


def test_small_cnn_matches_torch_end_to_end():
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, dtype=np.float64), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(6, 3, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Conv2d(4, 6, 3), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(6, 3)).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 1, 8, 8))
    target = np.array([0, 2, 1, 1, 0])
    loss = F.cross_entropy(ours(microtorch.tensor(x)), microtorch.tensor(target))
    reference = TF.cross_entropy(theirs(torch.tensor(x)), torch.tensor(target))
    loss.backward()
    reference.backward()
    np.testing.assert_allclose(loss.item(), reference.item(), rtol=1e-10)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-10, err_msg=name)


def test_cnn_digits_example_quick(monkeypatch, capsys):
    pytest.importorskip("sklearn")
    monkeypatch.setattr(sys, "argv", ["cnn_digits.py", "--quick"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(EXAMPLES / "cnn_digits.py"), run_name="__main__")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out
    accuracy = float(out.split("test accuracy")[1].split()[0])
    assert 0.3 < accuracy <= 1.0  # twenty batches already beat chance (0.1) clearly
