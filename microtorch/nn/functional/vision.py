"""Vision functions: interpolate (resizing) and pixel_shuffle / pixel_unshuffle."""
import math

import numpy as np

from microtorch import ops
from microtorch._checks import _per_dim
from microtorch._engine import apply as _apply
from microtorch.nn.functional.pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from microtorch.ops.pooling import interpolation_matrix

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle"]

_MODES = {"nearest": None, "nearest-exact": None, "linear": 3, "bilinear": 4, "area": None}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of input, as torch.nn.functional.interpolate.

    Parameters
    ----------
    input : Tensor
        (N, C, L) or (N, C, H, W).
    size : int or tuple of ints, optional
        The output's spatial size.
    scale_factor : float or tuple of floats, optional
        Multiplies each spatial size (rounded down); give size or scale_factor, not both.
    mode : {"nearest", "nearest-exact", "linear", "bilinear", "area"}
        "linear" for 3-D input, "bilinear" for 4-D; "area" is adaptive average pooling.
    align_corners : bool, optional
        Linear modes only: map the corner pixels' centres onto each other (True), or the corners of the
        pixels themselves (False, the default).
    recompute_scale_factor : bool, optional
        With scale_factor: map coordinates by the output size it gives (True) rather than by 1 / scale_factor.
    antialias : bool
        Only False.

    Returns
    -------
    Tensor
        ``(N, C, *size)``.

    Notes
    -----
    Only the modes above, and 3-D and 4-D inputs: no "bicubic", "trilinear" or 5-D input.
    """
    if mode not in _MODES or input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: only 3D and 4D input tensors are supported (got {input.ndim}D) for "
                                  f"the modes: {' | '.join(_MODES)} (got {mode})")
    if _MODES[mode] is not None and input.ndim != _MODES[mode]:
        raise NotImplementedError(f"interpolate: got {input.ndim}D input, but {mode} mode needs {_MODES[mode]}D input")
    if align_corners is not None and mode not in ("linear", "bilinear"):
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: only one of size or scale_factor should be defined" if size is not None
                         else "interpolate: either size or scale_factor should be defined")
    dims, in_sizes = input.ndim - 2, input.shape[2:]
    if size is not None:
        out_sizes = tuple(int(n) for n in _per_dim(size, dims, "output size", input))
        scales = tuple(n / out for n, out in zip(in_sizes, out_sizes)) if min(out_sizes) > 0 else None
    else:
        factors = tuple(float(f) for f in _per_dim(scale_factor, dims, "scale_factor", input))
        out_sizes = tuple(int(math.floor(n * f)) for n, f in zip(in_sizes, factors))
        # as torch: coordinates are mapped by the factor given, unless asked to recompute it from the sizes
        scales = tuple(n / out if recompute_scale_factor or f <= 0 else 1 / f if out else 0
                       for n, out, f in zip(in_sizes, out_sizes, factors))
    if min(out_sizes) < 1:
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, but got input "
                           f"{tuple(in_sizes)} and output {out_sizes}")
    if mode == "area":
        return (adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d)(input, out_sizes)
    kind = "linear" if mode in ("linear", "bilinear") else mode
    matrices = [interpolation_matrix(n, out, kind, align_corners, scale, input.dtype)
                for n, out, scale in zip(in_sizes, out_sizes, scales)]
    if dims == 1:  # a 2-d resampling of height 1
        return _apply(ops.Resample2d, input.unsqueeze(2), np.ones((1, 1), dtype=input.dtype), matrices[0]).squeeze(2)
    return _apply(ops.Resample2d, input, *matrices)


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block of pixels, as
    torch.nn.functional.pixel_shuffle (a reshape and a permute)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    lead = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    order = tuple(range(lead)) + tuple(lead + i for i in (0, 3, 1, 4, 2))
    return blocks.permute(*order).reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of pixel_shuffle, as torch.nn.functional.pixel_unshuffle."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *batch, channels, height, width = input.shape
    for name, size, dim in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({dim})={size} is not divisible by {r}")
    lead = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    order = tuple(range(lead)) + tuple(lead + i for i in (0, 2, 4, 1, 3))
    return blocks.permute(*order).reshape(*batch, channels * r * r, height // r, width // r)
