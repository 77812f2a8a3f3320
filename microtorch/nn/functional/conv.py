"""Convolutions: conv1d, conv2d, and their adjoints conv_transpose1d and conv_transpose2d."""
import numpy as np

from microtorch import ops
from microtorch._checks import _check_same_dtype, _pair, _unbatched, _with_height
from microtorch._engine import apply as _apply

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


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


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution, as torch.nn.functional.conv_transpose2d: the gradient of conv2d in its input.

    Parameters
    ----------
    input : Tensor
        (N, C_in, H, W) or unbatched (C_in, H, W).
    weight : Tensor
        (C_in, C_out/groups, kh, kw).
    bias : Tensor, optional
        (C_out,).
    stride, padding, dilation : int or pair of ints
        Those of the conv2d this is the adjoint of; padding is cut off each side of the output.
    output_padding : int or pair of ints
        Rows and columns added at the bottom and right, to pick among the sizes a strided conv2d maps
        to the same output size; each smaller than its stride or its dilation.
    groups : int
        Channels split into this many independent groups.

    Returns
    -------
    Tensor
        (N, C_out, (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1, and the same for W).
    """
    x, added = _unbatched("conv_transpose2d", input, 2)
    if weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: weight must be 4-D (in_channels, out_channels/groups, kh, kw), got "
                           f"{weight.shape}")
    _check_same_dtype("conv_transpose2d", x, ("weight", weight), ("bias", bias))
    stride = _pair(stride, "stride", "conv_transpose2d", 1)
    dilation = _pair(dilation, "dilation", "conv_transpose2d", 1)
    padding = _pair(padding, "padding", "conv_transpose2d", 0)
    output_padding = _pair(output_padding, "output_padding", "conv_transpose2d", 0)
    in_channels, out_per_group, kh, kw = weight.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1 or in_channels % groups:
        raise RuntimeError(f"conv_transpose2d: given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size {list(weight.shape)} instead")
    if x.shape[1] != in_channels:
        raise RuntimeError(f"conv_transpose2d: given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {in_channels} channels, but got {x.shape[1]} channels "
                           "instead")
    if bias is not None and bias.shape != (out_per_group * groups,):
        raise RuntimeError(f"conv_transpose2d: given transposed=1, weight of size {list(weight.shape)}, expected bias "
                           f"to be 1-dimensional with {out_per_group * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    if any(extra >= max(s, d) for extra, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"conv_transpose2d: output padding must be smaller than either stride or dilation, but got "
                           f"output_padding {output_padding}, stride {stride} and dilation {dilation}")
    out_size = _transposed_size(x.shape[2:], (kh, kw), stride, padding, dilation, output_padding)
    if min(out_size) < 1:
        raise RuntimeError(f"conv_transpose2d: the output size would be {out_size} for input {x.shape}, weight "
                           f"{weight.shape} and padding {padding}; the padding is too large")
    pads = tuple((p, p) for p in padding)
    out = _apply(ops.ConvTranspose2d, x, weight, bias, stride, pads, dilation, int(groups), output_padding)
    return out.squeeze(0) if added else out


def _transposed_size(size, kernel, stride, padding, dilation, output_padding):
    """The spatial size conv_transpose gives an input of the given spatial size."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + extra + 1
                 for n, k, s, p, d, extra in zip(size, kernel, stride, padding, dilation, output_padding))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution: input (N, C_in, L), weight (C_in, C_out/groups, k); a conv_transpose2d over a
    height of 1, as torch.nn.functional.conv_transpose1d (parameters as conv_transpose2d, one int each)."""
    x, added = _unbatched("conv_transpose1d", input, 1)
    if weight.ndim != 3:
        raise RuntimeError(f"conv_transpose1d: weight must be 3-D (in_channels, out_channels/groups, k), got "
                           f"{weight.shape}")
    out = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, _with_height(stride, 1),
                           _with_height(padding, 0), _with_height(output_padding, 0), groups,
                           _with_height(dilation, 1)).squeeze(2)
    return out.squeeze(0) if added else out
