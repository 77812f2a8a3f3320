"""conv_transpose1d/2d and ConvTranspose1d/2d, and every Conv1d option, against PyTorch in float64: values,
the gradients of input, weight and bias, output_size, initialisation, and torch's errors."""
import math

import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional

TRANSPOSE2D_CASES = [  # input shape, weight shape (C_in, C_out/groups, kh, kw), keyword arguments
    ((2, 3, 5, 5), (3, 2, 3, 3), {}),
    ((2, 4, 5, 6), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2, dilation=(2, 1))),
    ((1, 2, 4, 4), (2, 3, 2, 2), dict(stride=3)),
    ((2, 3, 4, 3), (3, 1, 3, 3), dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=3)),
    ((2, 2, 3, 3), (2, 2, 3, 3), dict(dilation=2, output_padding=1)),  # output_padding below the dilation
    ((1, 2, 4, 4), (2, 2, 5, 5), dict(padding=2, stride=2)),  # kernel larger than the input
    ((3, 2, 4, 4), (2, 3, 1, 1), dict(stride=2, output_padding=1)),  # 1x1: the extra row gets the bias only
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", TRANSPOSE2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d(x_shape, w_shape, kwargs, bias):
    shapes = [x_shape, w_shape] + ([(w_shape[1] * kwargs.get("groups", 1),)] if bias else [])
    check_op(lambda *t: TF.conv_transpose2d(*t, **kwargs), lambda *t: F.conv_transpose2d(*t, **kwargs), shapes)


def test_conv_transpose2d_unbatched_float32_and_positional_arguments():
    check_op(lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1, 1, 1),
             lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 1, 1), [(3, 4, 4), (3, 2, 3, 3), (2,)])
    check_op(lambda x, w: TF.conv_transpose2d(x, w, stride=2), lambda x, w: F.conv_transpose2d(x, w, stride=2),
             [(2, 3, 5, 5), (3, 4, 3, 3)], dtype=np.float32)


@pytest.mark.parametrize("kwargs", [{}, dict(stride=2, padding=1, output_padding=1), dict(dilation=3, groups=2),
                                    dict(stride=(3,), padding=(2,), output_padding=(2,))])
@pytest.mark.parametrize("unbatched", [False, True])
def test_conv_transpose1d(kwargs, unbatched):
    x_shape = (4, 7) if unbatched else (2, 4, 7)
    check_op(lambda x, w, b: TF.conv_transpose1d(x, w, b, **kwargs),
             lambda x, w, b: F.conv_transpose1d(x, w, b, **kwargs),
             [x_shape, (4, 3, 3), (3 * kwargs.get("groups", 1),)])


def copy_weights(ours, theirs):
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(getattr(ours, name).data))


@pytest.mark.parametrize("layer, x_shape, kwargs", [
    ("ConvTranspose2d", (2, 4, 5, 5), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ("ConvTranspose2d", (4, 5, 6), dict(kernel_size=(2, 3), dilation=2, bias=False)),
    ("ConvTranspose1d", (2, 4, 9), dict(stride=3, padding=2, groups=4)),
    ("ConvTranspose1d", (4, 9), dict(output_padding=1, stride=2, dilation=2)),
])
def test_conv_transpose_layers_match_torch(layer, x_shape, kwargs):
    kwargs = dict(kernel_size=3) | kwargs
    ours = getattr(nn, layer)(4, 8, dtype=np.float64, **kwargs)
    theirs = getattr(torch.nn, layer)(4, 8, **kwargs).double()
    copy_weights(ours, theirs)
    check_op(theirs, ours, [x_shape])
    for name, p in theirs.named_parameters():
        assert getattr(ours, name).shape == tuple(p.shape)
        np.testing.assert_allclose(getattr(ours, name).grad.data, p.grad.numpy(), atol=1e-6, err_msg=name)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("output_size", [(11, 11), (12, 11), [2, 4, 12, 12]])
def test_conv_transpose_output_size(output_size):
    ours = nn.ConvTranspose2d(3, 4, 3, stride=2, dtype=np.float64)
    theirs = torch.nn.ConvTranspose2d(3, 4, 3, stride=2).double()
    copy_weights(ours, theirs)
    check_op(lambda x: theirs(x, output_size=output_size), lambda x: ours(x, output_size=output_size),
             [(2, 3, 5, 5)])
    ours1d, theirs1d = nn.ConvTranspose1d(3, 4, 3, stride=3, dtype=np.float64), torch.nn.ConvTranspose1d(3, 4, 3, 3)
    copy_weights(ours1d, theirs1d.double())
    check_op(lambda x: theirs1d(x, output_size=[17]), lambda x: ours1d(x, output_size=[17]), [(2, 3, 5)])


def test_conv_transpose_init_is_torchs_default():
    """fan_in is weight.shape[1] * kernel, out_channels / groups here, as torch computes it."""
    module = nn.ConvTranspose2d(6, 8, 3, groups=2)
    bound = 1 / math.sqrt(4 * 9)
    assert module.weight.shape == (6, 4, 3, 3) and module.bias.shape == (8,)
    for p in (module.weight, module.bias):
        assert np.abs(p.data).max() <= bound and p.dtype == np.float32
    assert np.abs(module.weight.data).max() > 0.9 * bound


def test_conv_transpose_errors():
    x = microtorch.ones(2, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"expected input\[2, 3, 5, 5\] to have 4 channels, but got 3"):
        F.conv_transpose2d(x, microtorch.ones(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(x, microtorch.ones(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="expected weight to be divisible by 2 at dimension 0"):
        F.conv_transpose2d(x, microtorch.ones(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 2 elements"):
        F.conv_transpose2d(x, microtorch.ones(3, 2, 3, 3), microtorch.ones(3))
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        F.conv_transpose2d(x, microtorch.ones(3, 2, 3, 3), padding="same")
    with pytest.raises(RuntimeError, match="padding is too large"):
        F.conv_transpose2d(x, microtorch.ones(3, 2, 3, 3), padding=4)
    with pytest.raises(TypeError, match="dtype"):
        F.conv_transpose2d(x.double(), microtorch.ones(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"valid sizes range from \[11, 11\] to \[12, 12\]"):
        nn.ConvTranspose2d(3, 4, 3, stride=2)(x, output_size=(20, 20))
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)


# ---------------------------------------------------------------- Conv1d, every option

@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding, kernel, dilation", [(1, 3, 1), (2, 3, 2), ("same", 4, 1), ("same", 3, 2),
                                                       ("valid", 3, 1), ((2,), 2, 1)])
@pytest.mark.parametrize("bias", [True, False])
def test_conv1d_layer_every_option(padding_mode, padding, kernel, dilation, bias):
    kwargs = dict(padding=padding, dilation=dilation, bias=bias, padding_mode=padding_mode)
    ours = nn.Conv1d(4, 6, kernel, groups=2, dtype=np.float64, **kwargs)
    theirs = torch.nn.Conv1d(4, 6, kernel, groups=2, **kwargs).double()
    copy_weights(ours, theirs)
    check_op(theirs, ours, [(2, 4, 9)])
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.data, p.grad.numpy(), atol=1e-6, err_msg=name)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("stride", [2, 3])
def test_conv1d_layer_strided_and_unbatched(stride):
    ours, theirs = nn.Conv1d(3, 5, 3, stride=stride, dtype=np.float64), torch.nn.Conv1d(3, 5, 3, stride=stride)
    copy_weights(ours, theirs.double())
    check_op(theirs, ours, [(3, 10)])


def test_conv1d_errors():
    with pytest.raises(ValueError, match="strided"):
        nn.Conv1d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="3-D"):
        F.conv1d(microtorch.ones(2, 3, 5), microtorch.ones(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="2-D \\(unbatched\\) or 3-D"):
        F.conv1d(microtorch.ones(5), microtorch.ones(4, 1, 3))
