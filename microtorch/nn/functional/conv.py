"""Convolutions: conv1d and conv2d."""
import numpy as np

from microtorch import ops
from microtorch._checks import _check_same_dtype, _pair, _unbatched, _with_height
from microtorch._engine import apply as _apply

__all__ = ["conv1d", "conv2d"]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation: input (N, C, H, W), weight (O, C/groups, kh, kw), as torch.nn.functional.conv2d.

    padding is an int, a pair, "valid" (none) or "same" (output as large as the input, stride 1).
    """
    x, added = _unbatched("conv2d", input, 2)
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4-D (out_channels, in_channels/groups, kh, kw), got {weight.shape}")
    _check_same_dtype("conv2d", x, ("weight", weight), ("bias", bias))
    stride = _pair(stride, "stride", "conv2d", 1)
    dilation = _pair(dilation, "dilation", "conv2d", 1)
    out_channels, c_per_group, kh, kw = weight.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1 or out_channels % groups:
        raise ValueError(f"conv2d: groups must be a positive int dividing out_channels {out_channels}, got {groups!r}")
    if x.shape[1] != c_per_group * groups:
        raise RuntimeError(f"conv2d: input {x.shape} has {x.shape[1]} channels, but weight {weight.shape} with "
                           f"groups={groups} expects {c_per_group * groups}")
    if bias is not None and bias.shape != (out_channels,):
        raise RuntimeError(f"conv2d: bias must have shape ({out_channels},), got {bias.shape}")
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
        totals = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        pads = tuple((total // 2, total - total // 2) for total in totals)  # the extra one goes after
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        pads = tuple((p, p) for p in _pair(padding, "padding", "conv2d", 0))
    for size, kernel, (before, after), s, d in zip(x.shape[2:], (kh, kw), pads, stride, dilation):
        if size + before + after < d * (kernel - 1) + 1:
            raise RuntimeError(f"conv2d: input {x.shape} (padded by {pads}) is smaller than the dilated kernel "
                               f"{weight.shape[2:]} (dilation {dilation})")
    out = _apply(ops.Conv2d, x, weight, bias, stride, pads, dilation, int(groups))
    return out.squeeze(0) if added else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: input (N, C, L), weight (O, C/groups, k); a conv2d over a height of 1."""
    x, added = _unbatched("conv1d", input, 1)
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: weight must be 3-D (out_channels, in_channels/groups, k), got {weight.shape}")
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, _with_height(stride, 1), _with_height(padding, 0),
                 _with_height(dilation, 1), groups).squeeze(2)
    return out.squeeze(0) if added else out
