"""Convolution. Every kernel window is read through one strided view of the (padded) input, so the
arithmetic is a few matmuls, never a Python loop over pixels. The window helpers serve pooling too."""
import numpy as np

from microtorch.autograd.function import Function


def _windows(xp, kernel, stride, dilation):
    """A read-only view (N, C, kh, kw, OH, OW) of every kernel window of xp (N, C, H, W); no copy."""
    n, c, h, w = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s_n, s_c, s_h, s_w = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, c, kh, kw, oh, ow), (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw), writeable=False)


def _read_by_offset(array, i, j, out_size, stride, dilation):
    """The (.., .., OH, OW) view of array that kernel offset (i, j) reads across all the windows."""
    (oh, ow), (sh, sw), (dh, dw) = out_size, stride, dilation
    return array[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def _col2im(grad_windows, padded_shape, stride, dilation):
    """The adjoint of _windows: add each window's gradient back where it was read.

    One vectorised add per kernel offset (kh * kw of them), not a loop over pixels.
    """
    _, _, kh, kw, oh, ow = grad_windows.shape
    grad = np.zeros(padded_shape, dtype=grad_windows.dtype)
    for i in range(kh):
        for j in range(kw):
            read = _read_by_offset(grad, i, j, (oh, ow), stride, dilation)
            read += grad_windows[:, :, i, j]
    return grad


def _grouped_matmul(a, b):
    """a[g] @ b[g] for each group g, as 2-D products: BLAS reads transposed 2-D views in place,
    while numpy's batched matmul falls back to a slow loop for them."""
    out = np.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=np.result_type(a, b))
    for group in range(a.shape[0]):
        np.matmul(a[group], b[group], out=out[group])
    return out


def _unpad(grad, pads):
    """Cut ((top, bottom), (left, right)) padding off the last two dims."""
    (top, bottom), (left, right) = pads
    return grad[:, :, top:grad.shape[2] - bottom, left:grad.shape[3] - right]


def _pad(x, pads):
    """x with ((top, bottom), (left, right)) zeros around its last two dims (x itself when there are none)."""
    return np.pad(x, ((0, 0), (0, 0), *pads)) if any(map(any, pads)) else x


def _columns(xp, kernel_size, stride, dilation, groups, out_size=None):
    """im2col: every kernel window of xp (N, C, H, W) as a column, (groups, C/groups * kh * kw, N * OH * OW),
    copied once; and (OH, OW). out_size keeps only the first windows (for conv_transpose's output_padding)."""
    windows = _windows(xp, kernel_size, stride, dilation)
    if out_size is not None:
        windows = windows[..., :out_size[0], :out_size[1]]
    n, c, kh, kw, oh, ow = windows.shape
    columns = np.ascontiguousarray(
        windows.reshape(n, groups, c // groups, kh, kw, oh, ow).transpose(1, 2, 3, 4, 0, 5, 6)
    ).reshape(groups, -1, n * oh * ow)
    return columns, (oh, ow)


def _rows(x, groups):
    """x (N, C, H, W) as (groups, C/groups, N * H * W): each channel's values in one row, the layout matmul wants."""
    n, c, h, w = x.shape
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(groups, c // groups, n * h * w)


def _channels_last_to_batch(out, bias):
    """A result computed channels first, (C, N, H, W), as a contiguous (N, C, H, W) with bias added per channel."""
    out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))
    if bias is not None:
        out += bias[:, None, None]
    return out


class Conv2d(Function):
    """Cross-correlation of x (N, C, H, W) with weight (O, C/groups, kh, kw), as torch.nn.functional.conv2d.

    The windows become columns (groups, C/groups*kh*kw, N*OH*OW), copied once; then one
    matmul per group gives the output, and one each the weight and input gradients.
    pads is ((top, bottom), (left, right)).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pads, dilation, groups):
        xp = _pad(x, pads)
        n, out_channels = x.shape[0], weight.shape[0]
        columns, (oh, ow) = _columns(xp, weight.shape[2:], stride, dilation, groups)
        kernels = weight.reshape(groups, out_channels // groups, -1)
        out = _channels_last_to_batch(_grouped_matmul(kernels, columns).reshape(out_channels, n, oh, ow), bias)
        need_x, need_weight = ctx.needs_input_grad[:2]
        # the columns only serve the weight gradient; the input gradient needs the kernels
        ctx.save_for_backward(columns if need_weight else None, kernels if need_x else None)
        ctx.padded_shape, ctx.pads, ctx.stride, ctx.dilation = xp.shape, pads, stride, dilation
        ctx.weight_shape, ctx.groups = weight.shape, groups
        return out

    @staticmethod
    def backward(ctx, grad):
        columns, kernels = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        groups, (_, _, kh, kw) = ctx.groups, ctx.weight_shape
        n, channels, height, width = ctx.padded_shape
        _, _, oh, ow = grad.shape
        grad_rows = _rows(grad, groups)
        grad_x = grad_weight = grad_bias = None
        if need_weight:
            # (columns @ grad_rows.T).T: OpenBLAS is faster with the long N*OH*OW axis inside this way round
            grad_weight = _grouped_matmul(columns, grad_rows.transpose(0, 2, 1)).transpose(0, 2, 1)
            grad_weight = grad_weight.reshape(ctx.weight_shape)
        if need_x:
            # computed channels first, (channel, n, h, w), so the adds run over long contiguous
            # stretches; the result is transposed back (a view)
            grad_padded = _input_gradient(kernels, grad_rows, (kh, kw), (channels, n, height, width), (oh, ow),
                                          ctx.stride, ctx.dilation)
            grad_x = _unpad(grad_padded, ctx.pads).transpose(1, 0, 2, 3)
        if need_bias:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None, None


def _input_gradient(kernels, grad_rows, kernel_size, padded_shape, out_size, stride, dilation):
    """The gradient of conv2d's padded input, channels first (C, N, H, W).

    For each kernel offset (i, j), one matmul per group takes the output gradient back to the
    input channels, and the result is added where that offset read the input. This is the adjoint
    of im2col + matmul without the (C * kh * kw, N * OH * OW) gradient of the columns: computed
    whole, it took longer to write out and add back than these nine small products.
    """
    groups, out_per_group, _ = kernels.shape
    channels, n, _, _ = padded_shape
    (kh, kw), (oh, ow) = kernel_size, out_size
    taps = kernels.reshape(groups, out_per_group, channels // groups, kh, kw)
    dtype = np.result_type(kernels, grad_rows)
    grad = np.zeros(padded_shape, dtype=dtype)
    part = np.empty((groups, channels // groups, n * oh * ow), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            for group in range(groups):
                np.matmul(taps[group, :, :, i, j].T, grad_rows[group], out=part[group])
            read = _read_by_offset(grad, i, j, out_size, stride, dilation)
            read += part.reshape(channels, n, oh, ow)
    return grad


class ConvTranspose2d(Function):
    """The adjoint of conv2d in its input, as torch.nn.functional.conv_transpose2d: x (N, C_in, H, W),
    weight (C_in, C_out/groups, kh, kw).

    Its forward is conv2d's input gradient (one matmul per group and kernel offset, added where
    that offset reads); its input gradient is a conv2d of the output gradient, and its weight
    gradient conv2d's weight gradient with the roles of input and output swapped.
    pads is ((top, bottom), (left, right)) cut off the full output; output_padding adds rows and
    columns at the bottom and right.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pads, dilation, groups, output_padding):
        n, in_channels, height, width = x.shape
        _, out_per_group, kh, kw = weight.shape
        full_size = tuple((size - 1) * s + d * (k - 1) + 1 + extra for size, s, d, k, extra
                          in zip((height, width), stride, dilation, (kh, kw), output_padding))
        kernels = weight.reshape(groups, in_channels // groups, -1)
        x_rows = _rows(x, groups)
        out = _input_gradient(kernels, x_rows, (kh, kw), (out_per_group * groups, n, *full_size), (height, width),
                              stride, dilation)
        out = _channels_last_to_batch(_unpad(out, pads), bias)
        need_x, need_weight = ctx.needs_input_grad[:2]
        ctx.save_for_backward(x_rows if need_weight else None, kernels if need_x else None)
        ctx.x_shape, ctx.weight_shape, ctx.groups = x.shape, weight.shape, groups
        ctx.stride, ctx.pads, ctx.dilation = stride, pads, dilation
        return out

    @staticmethod
    def backward(ctx, grad):
        x_rows, kernels = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        n, in_channels, height, width = ctx.x_shape
        columns, _ = _columns(_pad(grad, ctx.pads), ctx.weight_shape[2:], ctx.stride, ctx.dilation, ctx.groups,
                              (height, width))
        grad_x = grad_weight = grad_bias = None
        if need_x:
            grad_x = _grouped_matmul(kernels, columns).reshape(in_channels, n, height, width).transpose(1, 0, 2, 3)
        if need_weight:
            grad_weight = _grouped_matmul(x_rows, columns.transpose(0, 2, 1)).reshape(ctx.weight_shape)
        if need_bias:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None, None, None
