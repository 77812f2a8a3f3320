"""Pooling layers: MaxPool1d/2d, MaxUnpool2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d and AdaptiveMaxPool1d/2d."""
from microtorch.nn import functional as F
from microtorch.nn.module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxUnpool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


class MaxPool2d(Module):
    """2-D max pooling over (N, C, H, W) inputs: the largest value of each window.

    Parameters
    ----------
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    padding : int or tuple of int, default 0
        Implicit padding with -inf on each side.
    dilation : int or tuple of int, default 1
    return_indices : bool, default False
        Also return the flat index of each maximum (for ``MaxUnpool2d``).
    ceil_mode : bool, default False
        Round the output size up instead of down.

    Shape
    -----
    Input: ``(N, C, H, W)`` or ``(C, H, W)``. Output: ``(N, C, H_out, W_out)`` with
    ``H_out = floor((H + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1)``.
    """
    _function = staticmethod(F.max_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.padding, self.dilation, self.ceil_mode = kernel_size, padding, dilation, ceil_mode
        self.stride = kernel_size if stride is None else stride
        self.return_indices = return_indices

    def forward(self, x):
        return self._function(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxUnpool2d(Module):
    """The inverse of ``MaxPool2d(return_indices=True)``: put each value back at its index, zeros elsewhere.

    Parameters
    ----------
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    padding : int or tuple of int, default 0

    Shape
    -----
    Input and indices: ``(N, C, H, W)``. Output: ``(N, C, H_out, W_out)`` with
    ``H_out = (H - 1)*stride - 2*padding + kernel_size``, or ``output_size``.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride

    def forward(self, x, indices, output_size=None):
        return F.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """2-D average pooling over (N, C, H, W) inputs: the mean of each window.

    Parameters
    ----------
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    padding : int or tuple of int, default 0
        Implicit zero padding on each side.
    ceil_mode : bool, default False
        Round the output size up instead of down.
    count_include_pad : bool, default True
        Count the padding zeros in each window's divisor.
    divisor_override : int, optional
        Divide every window's sum by this instead.

    Shape
    -----
    Input: ``(N, C, H, W)`` or ``(C, H, W)``. Output: ``(N, C, H_out, W_out)``.
    """
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(MaxPool2d):
    """The maximum of each window along the last dim, as torch.nn.MaxPool1d (arguments as MaxPool2d, one int each).

    Shape
    -----
    Input (N, C, L) or (C, L); output (N, C, L_out) or (C, L_out).
    """
    _function = staticmethod(F.max_pool1d)


class AvgPool1d(Module):
    """The mean of each window along the last dim, as torch.nn.AvgPool1d.

    Parameters
    ----------
    kernel_size, stride, padding : int
        stride defaults to kernel_size; padding is zeros on both sides, at most half the kernel.
    ceil_mode : bool
        Keep a last, partial window.
    count_include_pad : bool
        Count the zero padding in each window's size.

    Shape
    -----
    Input (N, C, L) or (C, L); output (N, C, L_out) or (C, L_out).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        as_tuple = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,))
        self.kernel_size, self.padding = as_tuple(kernel_size), as_tuple(padding)
        self.stride = self.kernel_size if stride is None else as_tuple(stride)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    """Shared by the adaptive poolings (subclasses name their F function): output_size, and return_indices
    for the max ones."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return self._function(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveMaxPool(_AdaptivePool):
    """Shared by the adaptive max poolings: output_size and return_indices (also return each maximum's index)."""
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return self._function(x, self.output_size, self.return_indices)


class AdaptiveAvgPool2d(_AdaptivePool):
    """The mean over an output_size grid of bins, whatever the input's size, as torch.nn.AdaptiveAvgPool2d.

    Parameters
    ----------
    output_size : int or pair of (int or None)
        (OH, OW); None keeps that dim's size. Bin i of H spans [floor(i H / OH), ceil((i + 1) H / OH)).

    Shape
    -----
    Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW) or (C, OH, OW).
    """
    _function = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool1d(_AdaptivePool):
    """The mean over output_size bins of the last dim, as torch.nn.AdaptiveAvgPool1d.

    Shape
    -----
    Input (N, C, L) or (C, L); output (N, C, output_size) or (C, output_size).
    """
    _function = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The maximum over an output_size grid of bins, as torch.nn.AdaptiveMaxPool2d.

    Parameters
    ----------
    output_size : int or pair of (int or None)
        As AdaptiveAvgPool2d.
    return_indices : bool
        Also return where each maximum came from (an index into the flattened (H, W) plane).

    Shape
    -----
    Input (N, C, H, W) or (C, H, W); output (N, C, OH, OW) or (C, OH, OW).
    """
    _function = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The maximum over output_size bins of the last dim, as torch.nn.AdaptiveMaxPool1d; return_indices gives
    positions along L.

    Shape
    -----
    Input (N, C, L) or (C, L); output (N, C, output_size) or (C, output_size).
    """
    _function = staticmethod(F.adaptive_max_pool1d)
