"""GroupNorm, RMSNorm and InstanceNorm1d/2d against PyTorch in float64: values, the gradients of the input
and of every parameter, running statistics, defaults and state_dict keys, and torch's errors."""
import warnings

import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional


def copy_parameters(ours, theirs, rng):
    """Give torch's layer non-trivial parameters and copy them into ours."""
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(rng.uniform(0.5, 2, tuple(p.shape))))
            getattr(ours, name).data[...] = p.numpy()


def check_parameter_grads(ours, theirs):
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.data, p.grad.numpy(), atol=1e-6, err_msg=name)


# ---------------------------------------------------------------- group norm

@pytest.mark.parametrize("shape, groups", [((4, 6), 3), ((2, 6, 5), 2), ((3, 4, 3, 2), 4), ((2, 4, 3, 3), 1)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_group_norm_function(shape, groups, affine, eps):
    channels = shape[1]
    shapes = [shape] + ([(channels,), (channels,)] if affine else [])
    check_op(lambda x, *wb: TF.group_norm(x, groups, *wb, eps=eps),
             lambda x, *wb: F.group_norm(x, groups, *wb, eps=eps), shapes)


@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_layer(affine):
    theirs, ours = torch.nn.GroupNorm(2, 6, affine=affine).double(), nn.GroupNorm(2, 6, affine=affine,
                                                                                  dtype=np.float64)
    copy_parameters(ours, theirs, np.random.default_rng(0))
    check_op(theirs, ours, [(3, 6, 4)])
    check_parameter_grads(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert nn.GroupNorm(2, 6, bias=False).bias is None and torch.nn.GroupNorm(2, 6, bias=False).bias is None


def test_group_norm_errors():
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match="divisible by num_groups, but got input of shape"):
        F.group_norm(microtorch.ones(2, 6, 4), 4)
    with pytest.raises(RuntimeError, match="weight to be a vector of size equal to the number of channels"):
        F.group_norm(microtorch.ones(2, 6, 4), 3, microtorch.ones(5))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.group_norm(microtorch.ones(6), 3)


# ---------------------------------------------------------------- RMS norm

@pytest.mark.parametrize("shape, normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 6), 6), ((7,), (7,))])
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_function(shape, normalized, eps, affine):
    weight_shape = (normalized,) if isinstance(normalized, int) else normalized
    shapes = [shape] + ([weight_shape] if affine else [])
    # torch's function wants a tuple; ours, as its layers, also takes an int
    check_op(lambda x, *w: TF.rms_norm(x, weight_shape, *w, eps=eps),
             lambda x, *w: F.rms_norm(x, normalized, *w, eps=eps), shapes)


def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon():
    # tiny inputs: the mean square is comparable with eps, so the eps torch picks shows in the result
    for dtype in (np.float64, np.float32):
        x = np.full((2, 3), 1e-4, dtype=dtype) if dtype == np.float32 else np.full((2, 3), 1e-8)
        expected = TF.rms_norm(torch.tensor(x), (3,)).numpy()
        np.testing.assert_allclose(F.rms_norm(microtorch.tensor(x), (3,)).data, expected, rtol=1e-6)
        assert F.rms_norm(microtorch.tensor(x), (3,)).dtype == dtype


@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_layer(affine):
    theirs = torch.nn.RMSNorm((3, 4), elementwise_affine=affine).double()
    ours = nn.RMSNorm((3, 4), elementwise_affine=affine, dtype=np.float64)
    copy_parameters(ours, theirs, np.random.default_rng(1))
    check_op(theirs, ours, [(2, 3, 4)])
    check_parameter_grads(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


def test_rms_norm_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\], expected input with shape \[\*5\]"):
        F.rms_norm(microtorch.ones(2, 6, 4), (5,))
    with pytest.raises(RuntimeError, match="weight to be of same shape as normalized_shape"):
        F.rms_norm(microtorch.ones(2, 6, 4), (4,), microtorch.ones(3))


# ---------------------------------------------------------------- instance norm

@pytest.mark.parametrize("layer, shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm1d", (4, 5)),
                                          ("InstanceNorm2d", (2, 4, 3, 5)), ("InstanceNorm2d", (4, 3, 3))])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
def test_instance_norm_layer_in_train_and_eval(layer, shape, affine, track):
    theirs = getattr(torch.nn, layer)(4, affine=affine, track_running_stats=track, momentum=0.3).double()
    ours = getattr(nn, layer)(4, affine=affine, track_running_stats=track, momentum=0.3, dtype=np.float64)
    rng = np.random.default_rng(2)
    copy_parameters(ours, theirs, rng)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for step in range(2):
        check_op(theirs, ours, arrays=[rng.normal(step, 2.0, shape)])
        if affine:
            check_parameter_grads(ours, theirs)
            theirs.zero_grad()
            ours.zero_grad()
        for name, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-10, err_msg=name)
    theirs.eval()
    ours.eval()
    check_op(theirs, ours, arrays=[rng.normal(0, 1, shape)])


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_function(use_input_stats):
    rng = np.random.default_rng(3)
    running = [rng.uniform(0.5, 2, 3) for _ in range(2)]
    theirs_running = [torch.tensor(r) for r in running]
    ours_running = [microtorch.tensor(r) for r in running]
    check_op(lambda x, w, b: TF.instance_norm(x, *theirs_running, w, b, use_input_stats, 0.2, 1e-3),
             lambda x, w, b: F.instance_norm(x, *ours_running, w, b, use_input_stats, 0.2, 1e-3),
             [(2, 3, 4, 2), (3,), (3,)])
    for mine, reference in zip(ours_running, theirs_running):
        np.testing.assert_allclose(mine.data, reference.numpy(), rtol=1e-10)


def test_instance_norm_errors_and_warning():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.InstanceNorm1d(3)(microtorch.ones(2, 3, 5, 5))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(microtorch.ones(3, 5))
    with pytest.raises(ValueError, match="more than 1 spatial element when training"):
        nn.InstanceNorm1d(3)(microtorch.ones(2, 3, 1))
    with pytest.raises(ValueError, match=r"size at dim=1 to match num_features \(3\), but got: 4"):
        nn.InstanceNorm1d(3, affine=True)(microtorch.ones(2, 4, 5))
    with pytest.warns(UserWarning, match="affine=False"):
        nn.InstanceNorm1d(3)(microtorch.randn(2, 4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm1d(3)(microtorch.randn(3, 5))  # unbatched, the right channels: no warning
