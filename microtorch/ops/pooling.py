"""Pooling: max and average over kernel windows or adaptive bins, and max unpooling."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.conv import _col2im, _gathered_windows, _read_by_offset, _unpad, _windows
from microtorch.ops.index import _along_dim, _scatter_add


def _offset_reads(xp, kernel, stride, dilation):
    """{(i, j): the (N, C, OH, OW) view of xp that kernel offset (i, j) reads across all the windows}, in the
    order a window is read (row by row)."""
    windows = _windows(xp, kernel, stride, dilation)   # (N, C, kh, kw, OH, OW), a view
    return {(i, j): windows[:, :, i, j] for i in range(kernel[0]) for j in range(kernel[1])}


def _across_offsets(ufunc, reads):
    """ufunc (np.maximum, np.add) folded over what the kernel offsets read: each window's result, in a new
    (N, C, OH, OW) array. kh * kw whole-array steps, much faster than reducing over the window axes of _windows."""
    first, *others = reads.values()
    out = first.copy()
    for read in others:
        ufunc(out, read, out=out)
    return out


def _window_maxima(x, kernel, stride, pads, dilation):
    """x padded with -inf, what each kernel offset reads (_offset_reads), and each window's maximum."""
    xp = np.pad(x, ((0, 0), (0, 0), *pads), constant_values=-np.inf) if any(map(any, pads)) else x
    reads = _offset_reads(xp, kernel, stride, dilation)
    return xp, reads, _across_offsets(np.maximum, reads)   # np.maximum lets nan win, as in torch


def _argmax_masks(reads, maxima):
    """For each kernel offset, a mask (N, C, OH, OW) of the windows that take their maximum from there:
    the first place it occurs in the window, or in a window holding nan the last nan, as torch does."""
    masks = {}
    unclaimed = maxima == maxima   # the windows without nan
    for offset, read in reads.items():
        masks[offset] = (read == maxima) & unclaimed
        unclaimed ^= masks[offset]
    holding_nan = ~(maxima == maxima)
    if holding_nan.any():
        for offset, read in reversed(reads.items()):
            last_nan = np.isnan(read) & holding_nan
            masks[offset] |= last_nan
            holding_nan ^= last_nan
    return masks


def max_pool2d_indices(x, kernel, stride, pads, dilation):
    """Where max_pool2d took each maximum from: an index into the flattened (H, W) plane of x, as in PyTorch."""
    _, reads, maxima = _window_maxima(x, kernel, stride, pads, dilation)
    (sh, sw), (dh, dw), ((top, _), (left, _)) = stride, dilation, pads
    oh, ow = maxima.shape[2:]
    rows = np.arange(oh)[:, None] * sh - top
    cols = np.arange(ow) * sw - left
    masks = _argmax_masks(reads, maxima)
    return sum(mask * ((rows + i * dh) * x.shape[3] + cols + j * dw) for (i, j), mask in masks.items()).astype(np.int64)


class MaxPool2d(Function):
    """Maximum over each window; the gradient goes to the first maximum (the last nan), as in PyTorch."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation):
        xp, reads, maxima = _window_maxima(x, kernel, stride, pads, dilation)
        if ctx.needs_input_grad[0]:
            ctx.masks = _argmax_masks(reads, maxima)
        ctx.padded_shape, ctx.pads, ctx.stride, ctx.dilation = xp.shape, pads, stride, dilation
        ctx.save_for_backward(x)   # for a create_graph backward, through the decomposition
        return maxima

    @staticmethod
    def decomposition(x, kernel, stride, pads, dilation):
        """max_pool2d from recorded ops: the windows gathered by index, then their maximum."""
        windows = _gathered_windows(x, kernel, stride, pads, dilation, fill=-np.inf)
        n, c, kh, kw, oh, ow = windows.shape
        return windows.reshape(n, c, kh * kw, oh, ow).max(2)

    @staticmethod
    def backward(ctx, grad):
        grad_x = np.zeros(ctx.padded_shape, dtype=grad.dtype)
        for (i, j), mask in ctx.masks.items():
            # each window's gradient goes where the offset (i, j) read, if its maximum came from there
            read = _read_by_offset(grad_x, i, j, grad.shape[2:], ctx.stride, ctx.dilation)
            read += grad * mask
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
        grad_x = grad.reshape(n, c, -1)[_along_dim(ctx.indices, 2)]   # each value's gradient, read where it went
        return grad_x.reshape(ctx.shape), None, None


class AvgPool2d(Function):
    """Mean over each window. divisor is an array (1, 1, OH, OW) of window sizes, or a number."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, divisor):
        xp = np.pad(x, ((0, 0), (0, 0), *pads)) if any(map(any, pads)) else x
        total = _across_offsets(np.add, _offset_reads(xp, kernel, stride, (1, 1)))
        ctx.padded_shape, ctx.pads, ctx.stride, ctx.kernel, ctx.divisor = xp.shape, pads, stride, kernel, divisor
        ctx.save_for_backward(x)   # for a create_graph backward, through the decomposition
        return (total / divisor).astype(x.dtype, copy=False)

    @staticmethod
    def decomposition(x, kernel, stride, pads, divisor):
        """avg_pool2d from recorded ops: the windows gathered by index, summed, divided."""
        return _gathered_windows(x, kernel, stride, pads, (1, 1)).sum((2, 3)) / divisor

    @staticmethod
    def backward(ctx, grad):
        n, c, oh, ow = grad.shape
        share = (grad / ctx.divisor).astype(grad.dtype, copy=False)
        grad_windows = np.broadcast_to(share[:, :, None, None], (n, c, *ctx.kernel, oh, ow))
        grad_x = _col2im(grad_windows, ctx.padded_shape, ctx.stride, (1, 1))
        return _unpad(grad_x, ctx.pads), None, None, None, None


# ---------------------------------------------------------------- adaptive pooling

def adaptive_bins(size, out_size):
    """Bin i of out_size over size: [floor(i * size / out_size), ceil((i + 1) * size / out_size)), as torch.
    Returns (starts, ends), each (out_size,)."""
    i = np.arange(out_size)
    return (i * size) // out_size, -((-(i + 1) * size) // out_size)


def averaging_matrix(size, out_size, dtype):
    """(out_size, size): row i averages adaptive bin i of the input."""
    starts, ends = adaptive_bins(size, out_size)
    positions = np.arange(size)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


def interpolation_matrix(size, out_size, mode, align_corners, scale, dtype):
    """(out_size, size): row o reads output position o from the input, as torch.nn.functional.interpolate.

    mode is "nearest", "nearest-exact" or "linear"; scale maps output to input coordinates (in / out,
    or 1 / scale_factor when one was given), except with align_corners, where the corner pixels' centres
    are aligned: (size - 1) / (out_size - 1).
    """
    out = np.arange(out_size)
    matrix = np.zeros((out_size, size))
    if mode in ("nearest", "nearest-exact"):
        source = np.floor((out + (0.5 if mode == "nearest-exact" else 0.0)) * scale).astype(np.int64)
        matrix[out, np.minimum(source, size - 1)] = 1
        return matrix.astype(dtype)
    if align_corners:
        source = out * ((size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        source = np.maximum((out + 0.5) * scale - 0.5, 0)
    left = np.minimum(np.floor(source).astype(np.int64), size - 1)
    right = np.minimum(left + 1, size - 1)
    weight_right = source - left
    np.add.at(matrix, (out, left), 1 - weight_right)
    np.add.at(matrix, (out, right), weight_right)
    return matrix.astype(dtype)


class Resample2d(Function):
    """rows @ x @ cols.T over the last two dims of x (N, C, H, W): each spatial dim mapped by its own matrix.
    Adaptive average pooling (averaging matrices, bins of any sizes) and interpolation (nearest and linear
    matrices) are such maps; the gradient is rows.T @ grad @ cols."""

    @staticmethod
    def forward(ctx, x, rows, cols):
        ctx.rows, ctx.cols = rows, cols
        return rows @ x @ cols.T

    @staticmethod
    def backward(ctx, grad):
        return ctx.rows.T @ grad @ ctx.cols, None, None


def _bin_positions(size, out_size):
    """(out_size, longest bin): the positions each bin reads; shorter bins repeat their last position,
    which leaves their maximum, and where it first occurs, unchanged."""
    starts, ends = adaptive_bins(size, out_size)
    longest = int((ends - starts).max()) if out_size else 0
    return np.minimum(starts[:, None] + np.arange(longest), ends[:, None] - 1)


def adaptive_max_pool2d_indices(x, out_size):
    """The maxima of each adaptive bin of x (N, C, H, W), and where each came from: an index into the
    flattened (H, W) plane, as torch's return_indices. The first maximum in a bin wins, as in torch."""
    n, c, height, width = x.shape
    rows, cols = _bin_positions(height, out_size[0]), _bin_positions(width, out_size[1])
    # (N, C, OH, OW, kh * kw): every bin's values, read at once
    values = x[:, :, rows[:, None, :, None], cols[None, :, None, :]].reshape(n, c, *out_size, -1)
    where = values.argmax(axis=-1)[..., None]
    flat = (rows[:, None, :, None] * width + cols[None, :, None, :]).reshape(*out_size, -1)
    indices = np.take_along_axis(np.broadcast_to(flat, values.shape), where, axis=-1)[..., 0]
    return np.take_along_axis(values, where, axis=-1)[..., 0], indices


class AdaptiveMaxPool2d(Function):
    """The maximum of each adaptive bin; the gradient goes to where it came from (summed where bins overlap)."""

    @staticmethod
    def forward(ctx, x, out_size):
        out, ctx.indices = adaptive_max_pool2d_indices(x, out_size)
        ctx.shape = x.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        n, c, height, width = ctx.shape
        rows = (np.arange(n * c)[:, None], ctx.indices.reshape(n * c, -1))
        return _scatter_add((n * c, height * width), rows, grad.reshape(n * c, -1)).reshape(ctx.shape), None
