"""Pooling: max and average over kernel windows, and max unpooling."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.conv import _col2im, _unpad, _windows


def _window_maxima(x, kernel, stride, pads, dilation):
    """x padded with -inf, its windows as (N, C, kh * kw, OH, OW), and where in each window the maximum is."""
    xp = np.pad(x, ((0, 0), (0, 0), *pads), constant_values=-np.inf) if any(map(any, pads)) else x
    windows = _windows(xp, kernel, stride, dilation)
    n, c, kh, kw, oh, ow = windows.shape
    flat = windows.reshape(n, c, kh * kw, oh, ow)
    return xp, flat, flat.argmax(axis=2)[:, :, None]


def max_pool2d_indices(x, kernel, stride, pads, dilation):
    """Where max_pool2d took each maximum from: an index into the flattened (H, W) plane of x, as in PyTorch."""
    _, flat, argmax = _window_maxima(x, kernel, stride, pads, dilation)
    (_, kw), (sh, sw), (dh, dw), ((top, _), (left, _)) = kernel, stride, dilation, pads
    row_in_window, col_in_window = np.divmod(argmax[:, :, 0], kw)
    oh, ow = flat.shape[3:]
    rows = np.arange(oh)[:, None] * sh + row_in_window * dh - top
    cols = np.arange(ow) * sw + col_in_window * dw - left
    return (rows * x.shape[3] + cols).astype(np.int64)


class MaxPool2d(Function):
    """Maximum over each window; the gradient goes to the first maximum, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation):
        xp, flat, ctx.argmax = _window_maxima(x, kernel, stride, pads, dilation)
        ctx.padded_shape, ctx.pads, ctx.kernel, ctx.stride, ctx.dilation = xp.shape, pads, kernel, stride, dilation
        return np.take_along_axis(flat, ctx.argmax, axis=2)[:, :, 0]

    @staticmethod
    def backward(ctx, grad):
        n, c, oh, ow = grad.shape
        kh, kw = ctx.kernel
        grad_windows = np.zeros((n, c, kh * kw, oh, ow), dtype=grad.dtype)
        np.put_along_axis(grad_windows, ctx.argmax, grad[:, :, None], axis=2)
        grad_x = _col2im(grad_windows.reshape(n, c, kh, kw, oh, ow), ctx.padded_shape, ctx.stride, ctx.dilation)
        return _unpad(grad_x, ctx.pads), None, None, None, None


class MaxUnpool2d(Function):
    """The inverse of max_pool2d with return_indices: each value goes back to where its index says,
    in an output of zeros; the gradient reads the output's gradient at those places."""

    @staticmethod
    def forward(ctx, x, indices, output_size):
        n, c = x.shape[:2]
        ctx.shape, ctx.indices = x.shape, indices.reshape(n, c, -1)
        out = np.zeros((n, c, output_size[0] * output_size[1]), dtype=x.dtype)
        np.put_along_axis(out, ctx.indices, x.reshape(n, c, -1), axis=2)
        return out.reshape(n, c, *output_size)

    @staticmethod
    def backward(ctx, grad):
        n, c = ctx.shape[:2]
        grad_x = np.take_along_axis(grad.reshape(n, c, -1), ctx.indices, axis=2)
        return grad_x.reshape(ctx.shape), None, None


class AvgPool2d(Function):
    """Mean over each window. divisor is an array (1, 1, OH, OW) of window sizes, or a number."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, divisor):
        xp = np.pad(x, ((0, 0), (0, 0), *pads)) if any(map(any, pads)) else x
        windows = _windows(xp, kernel, stride, (1, 1))
        ctx.padded_shape, ctx.pads, ctx.stride, ctx.kernel, ctx.divisor = xp.shape, pads, stride, kernel, divisor
        return (windows.sum(axis=(2, 3)) / divisor).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        n, c, oh, ow = grad.shape
        share = (grad / ctx.divisor).astype(grad.dtype, copy=False)
        grad_windows = np.broadcast_to(share[:, :, None, None], (n, c, *ctx.kernel, oh, ow))
        grad_x = _col2im(grad_windows, ctx.padded_shape, ctx.stride, (1, 1))
        return _unpad(grad_x, ctx.pads), None, None, None, None
