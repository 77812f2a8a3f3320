"""F.interpolate / nn.Upsample (nearest, nearest-exact, linear, bilinear with align_corners, area; size or
scale_factor; 3-d and 4-d inputs) and pixel_shuffle / PixelShuffle / PixelUnshuffle, against PyTorch in float64."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional

RESIZES_3D = [dict(size=8), dict(size=3), dict(scale_factor=2), dict(scale_factor=1.5), dict(scale_factor=0.6),
              dict(scale_factor=2.3, recompute_scale_factor=True), dict(size=1), dict(size=(7,))]
RESIZES_4D = [dict(size=(7, 3)), dict(size=4), dict(scale_factor=2), dict(scale_factor=(2, 0.5)),
              dict(scale_factor=1.7), dict(scale_factor=(1.3, 2.5), recompute_scale_factor=True), dict(size=1),
              dict(size=[4, 10])]


@pytest.mark.parametrize("resize", RESIZES_3D)
@pytest.mark.parametrize("mode, align_corners", [("nearest", None), ("nearest-exact", None), ("linear", None),
                                                 ("linear", False), ("linear", True), ("area", None)])
def test_interpolate_3d(resize, mode, align_corners):
    kwargs = dict(resize, mode=mode, align_corners=align_corners)
    check_op(lambda x: TF.interpolate(x, **kwargs), lambda x: F.interpolate(x, **kwargs), [(2, 3, 5)])


@pytest.mark.parametrize("resize", RESIZES_4D)
@pytest.mark.parametrize("mode, align_corners", [("nearest", None), ("nearest-exact", None), ("bilinear", None),
                                                 ("bilinear", True), ("area", None)])
def test_interpolate_4d(resize, mode, align_corners):
    kwargs = dict(resize, mode=mode, align_corners=align_corners)
    check_op(lambda x: TF.interpolate(x, **kwargs), lambda x: F.interpolate(x, **kwargs), [(2, 3, 4, 5)])


def test_interpolate_float32_keeps_its_dtype():
    check_op(lambda x: TF.interpolate(x, scale_factor=2, mode="bilinear"),
             lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), [(2, 3, 4, 4)], dtype=np.float32)
    assert F.interpolate(microtorch.randn(1, 2, 3, 3), size=5).dtype == np.float32


@pytest.mark.parametrize("theirs, ours, shape", [
    (torch.nn.Upsample(scale_factor=2), nn.Upsample(scale_factor=2), (2, 3, 4, 4)),
    (torch.nn.Upsample(size=(3, 7), mode="bilinear", align_corners=True),
     nn.Upsample(size=(3, 7), mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    (torch.nn.Upsample(scale_factor=(2, 1.5)), nn.Upsample(scale_factor=(2, 1.5)), (1, 2, 3, 4)),
    (torch.nn.Upsample(scale_factor=3, mode="linear"), nn.Upsample(scale_factor=3, mode="linear"), (2, 3, 4)),
    (torch.nn.UpsamplingNearest2d(scale_factor=2), nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 3, 3)),
    (torch.nn.UpsamplingBilinear2d(size=5), nn.UpsamplingBilinear2d(size=5), (2, 3, 3, 3)),
    (torch.nn.PixelShuffle(2), nn.PixelShuffle(2), (2, 8, 3, 4)),
    (torch.nn.PixelShuffle(3), nn.PixelShuffle(3), (9, 2, 2)),
    (torch.nn.PixelUnshuffle(2), nn.PixelUnshuffle(2), (2, 3, 4, 6)),
    (torch.nn.PixelUnshuffle(3), nn.PixelUnshuffle(3), (2, 1, 2, 6, 3)),
])
def test_layers_match_torch(theirs, ours, shape):
    check_op(theirs, ours, [shape])
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("shape, factor", [((2, 8, 3, 4), 2), ((1, 2, 18, 2, 3), 3), ((4, 1, 1), 2)])
def test_pixel_shuffle_and_unshuffle_invert_each_other(shape, factor):
    check_op(lambda x: TF.pixel_shuffle(x, factor), lambda x: F.pixel_shuffle(x, factor), [shape])
    x = microtorch.randn(*shape)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, factor), factor).data, x.data)


def test_interpolate_errors_are_torchs():
    x = microtorch.ones(2, 3, 5)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="got 4D input, but linear mode needs 3D input"):
        F.interpolate(microtorch.ones(2, 3, 4, 4), size=3, mode="linear")
    with pytest.raises(NotImplementedError, match="got 3D input, but bilinear mode needs 4D input"):
        F.interpolate(x, size=3, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(ValueError, match=r"same number of spatial dimensions, but got input with spatial dimensions "
                                         r"of \[5\] and output size of \(3, 3\)"):
        F.interpolate(x, size=(3, 3))
    with pytest.raises(ValueError, match="scale_factor of shape"):
        F.interpolate(x, scale_factor=(2, 2))
    with pytest.raises(NotImplementedError, match=r"modes: nearest \| nearest-exact .*\(got bicubic\)"):
        F.interpolate(microtorch.ones(2, 3, 4, 4), size=3, mode="bicubic")
    with pytest.raises(NotImplementedError, match="got 2D"):
        F.interpolate(microtorch.ones(3, 5), size=3)
    with pytest.raises(RuntimeError, match="sizes should be greater than 0"):
        F.interpolate(x, size=0)


def test_pixel_shuffle_errors_are_torchs():
    with pytest.raises(RuntimeError, match=r"divisible by the square of upscale_factor, but input.size\(-3\)=5"):
        F.pixel_shuffle(microtorch.ones(2, 5, 3, 3), 2)
    with pytest.raises(RuntimeError, match=r"height to be divisible by downscale_factor, but input.size\(-2\)=3"):
        F.pixel_unshuffle(microtorch.ones(2, 4, 3, 4), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(microtorch.ones(4, 3), 2)
