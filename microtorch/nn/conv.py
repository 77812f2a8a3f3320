"""Convolution layers: Conv1d and Conv2d, with PyTorch's parameters and initialisation."""
import math

import numpy as np

from microtorch.nn import functional as F
from microtorch.nn import init
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d"]


_PADDING_MODES = {"zeros": None, "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class _ConvNd(Module):
    """Shared by Conv1d and Conv2d: weight ``(out, in/groups, *kernel)`` and bias, initialised as in PyTorch."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, dtype, dims):
        super().__init__()
        name = type(self).__name__
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, got {padding_mode!r}")
        as_tuple = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * dims)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = as_tuple(kernel_size), as_tuple(stride), as_tuple(dilation)
        self.padding = padding if isinstance(padding, str) else as_tuple(padding)
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
        self.padding_mode = padding_mode
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, *self.kernel_size), dtype=dtype))
        # PyTorch: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for weight and bias
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        if bias:
            fan_in = (in_channels // groups) * int(np.prod(self.kernel_size))
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
        if self.padding not in ((0,) * len(self.kernel_size), "valid"):
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            text += f", dilation={self.dilation}"
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
