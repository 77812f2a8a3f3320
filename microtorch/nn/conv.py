"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d, with PyTorch's parameters and
initialisation."""
import math

import numpy as np

from microtorch.nn import functional as F
from microtorch.nn import init
from microtorch.nn.functional.conv import _transposed_size
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]


_PADDING_MODES = {"zeros": None, "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class _ConvNd(Module):
    """Shared by the convolutions: weight (out, in/groups, *kernel), or (in, out/groups, *kernel) when transposed,
    and bias, initialised as in PyTorch."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, dtype, dims, transposed=False, output_padding=0):
        super().__init__()
        name = type(self).__name__
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, got {padding_mode!r}")
        if transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        as_tuple = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * dims)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = as_tuple(kernel_size), as_tuple(stride), as_tuple(dilation)
        self.padding = padding if isinstance(padding, str) else as_tuple(padding)
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
        self.padding_mode, self.transposed, self.output_padding = padding_mode, transposed, as_tuple(output_padding)
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype=dtype))
        # PyTorch: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for weight and bias
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        if bias:
            fan_in = shape[1] * int(np.prod(self.kernel_size))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            self.bias = Parameter(np.empty((out_channels,), dtype=dtype))
            init.uniform_(self.bias, -bound, bound)
        else:
            self.bias = None

    def _conv(self, x, conv):
        if self.padding_mode == "zeros":
            return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        # other modes: pad explicitly (F.pad lists the last dim first), then convolve without padding
        pad = []
        for k, d, p in reversed(list(zip(self.kernel_size, self.dilation, self._padding_tuple()))):
            pad += [d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2] if p is None else [p, p]
        x = F.pad(x, pad, mode=_PADDING_MODES[self.padding_mode])
        return conv(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def _padding_tuple(self):
        if self.padding == "same":
            return (None,) * len(self.kernel_size)  # None: split the dilated kernel's reach
        if self.padding == "valid":
            return (0,) * len(self.kernel_size)
        return self.padding

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0,) * len(self.kernel_size):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.kernel_size):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over (N, C, H, W) inputs, as ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels : int
    out_channels : int
    kernel_size : int or tuple of int
    stride : int or tuple of int, default 1
    padding : int, tuple of int, 'same' or 'valid', default 0
    dilation : int or tuple of int, default 1
    groups : int, default 1
        Split the channels into this many independent groups.
    bias : bool, default True
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
    dtype : numpy dtype, default float32
        The parameters' dtype. PyTorch also takes ``device``; microtorch runs on the CPU only.

    Shape
    -----
    Input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``. Output: ``(N, C_out, H_out, W_out)`` with
    ``H_out = floor((H + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1)``.

    Examples
    --------
    >>> import microtorch as torch
    >>> conv = torch.nn.Conv2d(1, 4, kernel_size=3, padding=1)
    >>> conv(torch.randn(2, 1, 8, 8)).shape
    (2, 4, 8, 8)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, dims=2)

    def forward(self, x):
        return self._conv(x, F.conv2d)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) inputs, as ``torch.nn.Conv1d``.

    Parameters are those of :class:`Conv2d`, with one-element sizes.

    Shape
    -----
    Input: ``(N, C_in, L)`` or ``(C_in, L)``. Output: ``(N, C_out, L_out)`` with
    ``L_out = floor((L + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1)``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, dims=1)

    def forward(self, x):
        return self._conv(x, F.conv1d)


class _ConvTransposeNd(_ConvNd):
    """Shared by the transposed convolutions (subclasses name _dims and their F function): forward takes an
    optional output_size, as torch's."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, self._dims, transposed=True, output_padding=output_padding)

    def forward(self, x, output_size=None):
        return self._function(x, self.weight, self.bias, self.stride, self.padding,
                              self._output_padding(x, output_size), self.groups, self.dilation)

    def _output_padding(self, x, output_size):
        """output_padding, or the one that gives output_size (the spatial size, or with N and C in front)."""
        if output_size is None:
            return self.output_padding
        dims = len(self.kernel_size)
        output_size = tuple(output_size)[-dims:] if len(output_size) in (dims, dims + 2) else None
        if output_size is None:
            raise ValueError(f"{type(self).__name__}: output_size must have {dims} or {dims + 2} elements")
        size = x.shape[-dims:]
        smallest = _transposed_size(size, self.kernel_size, self.stride, self.padding, self.dilation,
                                           (0,) * dims)
        largest = tuple(n + s - 1 for n, s in zip(smallest, self.stride))
        if not all(low <= n <= high for low, n, high in zip(smallest, output_size, largest)):
            raise ValueError(f"{type(self).__name__}: requested an output size of {output_size}, but valid sizes "
                             f"range from {list(smallest)} to {list(largest)} (for an input of {size})")
        return tuple(n - low for n, low in zip(output_size, smallest))


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over (N, C, H, W) inputs, as torch.nn.ConvTranspose2d.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, output_padding, dilation : int or pair of ints
        As F.conv_transpose2d.
    groups : int
    bias : bool
    padding_mode : "zeros"
        The only one, as in torch.

    Shape
    -----
    Input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out), with
    H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1. forward's
    output_size picks the output_padding that gives that size.
    """
    _dims, _function = 2, staticmethod(F.conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C, L) inputs, as torch.nn.ConvTranspose1d (parameters as
    ConvTranspose2d, one int each).

    Shape
    -----
    Input (N, C_in, L) or (C_in, L); output (N, C_out, L_out), with
    L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
    """
    _dims, _function = 1, staticmethod(F.conv_transpose1d)
