"""Convolution. Every kernel window is read through one strided view of the (padded) input, so the
arithmetic is a few matmuls, never a Python loop over pixels. The window helpers serve pooling too.

Each sample keeps its own columns, (N, groups, C/groups * kh * kw, OH * OW): one batched matmul then
gives the output already laid out (N, C_out, OH, OW), and the gradients need no transposed copies."""
import numpy as np

from microtorch.autograd.function import Function, run


_CHUNK_BYTES = 2 ** 21   # the input gradient's columns are made this much at a time, to stay in the cache


def _windows(xp, kernel, stride, dilation):
    """A read-only view (N, C, kh, kw, OH, OW) of every kernel window of xp (N, C, H, W); no copy."""
    n, c, h, w = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s_n, s_c, s_h, s_w = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, c, kh, kw, oh, ow), (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw), writeable=False)


def _gathered_windows(x, kernel, stride, pads, dilation, fill=0.0):
    """Every kernel window of x (N, C, H, W), padded with fill, as (N, C, kh, kw, OH, OW), read by integer
    indices: the same values as _windows, from recorded ops when x is a Tensor (the decompositions)."""
    from microtorch.ops.shape import ConstantPad   # shape's padding helpers import this module
    if any(map(any, pads)):
        x = run(ConstantPad, x, ((0, 0), (0, 0), *pads), fill)
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    rows = np.arange(kh)[:, None, None, None] * dh + np.arange(oh)[None, None, :, None] * sh
    cols = np.arange(kw)[None, :, None, None] * dw + np.arange(ow)[None, None, None, :] * sw
    return x[:, :, rows, cols]


def _read_by_offset(array, i, j, out_size, stride, dilation):
    """The (.., .., OH, OW) view of array that kernel offset (i, j) reads across all the windows."""
    (oh, ow), (sh, sw), (dh, dw) = out_size, stride, dilation
    return array[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def _col2im(grad_windows, padded_shape, stride, dilation, rows=None):
    """The adjoint of _windows: add each window's gradient (N, C, kh, kw, OH, OW) back where it was read,
    into an (N, C, H, W) gradient; one vectorised add per kernel offset, not a loop over pixels.

    The gradient is built in rows (N, C, (H + stride) * W) (zeros, or the given ones): the spare rows at
    the end take the reads that run past the last one. With stride 1, grad_windows may be as wide as the
    input (OW = W, zeros past the real output): each row then runs on into the next, and an offset's add
    is one long contiguous stretch per channel.
    """
    n, c, kh, kw, oh, ow = grad_windows.shape
    (h, w), (sh, sw), (dh, dw) = padded_shape[2:], stride, dilation
    if rows is None:
        rows = np.zeros((n, c, (h + sh) * w), dtype=grad_windows.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * dh * w + j * dw
            # the window row y of offset (i, j) starts at input row y * sh + i * dh, column j * dw
            read = rows[:, :, start:start + oh * sh * w].reshape(n, c, oh, sh * w)[..., :ow * sw:sw]
            read += grad_windows[:, :, i, j]
    return rows[:, :, :h * w].reshape(padded_shape)


def _unpad(grad, pads):
    """Cut ((top, bottom), (left, right)) padding off the last two dims."""
    (top, bottom), (left, right) = pads
    return grad[:, :, top:grad.shape[2] - bottom, left:grad.shape[3] - right]


def _pad(x, pads):
    """x with ((top, bottom), (left, right)) zeros around its last two dims (x itself when there are none)."""
    return np.pad(x, ((0, 0), (0, 0), *pads)) if any(map(any, pads)) else x


def _columns(xp, kernel_size, stride, dilation, groups, out_size=None):
    """im2col: every kernel window of xp (N, C, H, W) as a column of its sample, (N, groups,
    C/groups * kh * kw, OH * OW), copied once; and (OH, OW). out_size keeps only the first windows
    (for conv_transpose's output_padding)."""
    windows = _windows(xp, kernel_size, stride, dilation)
    if out_size is not None:
        windows = windows[..., :out_size[0], :out_size[1]]
    n, _, _, _, oh, ow = windows.shape
    return np.ascontiguousarray(windows).reshape(n, groups, -1, oh * ow), (oh, ow)


def _per_group(x, groups):
    """x (N, C, ...) as (N, groups, C/groups, the rest flattened): a view when x is contiguous."""
    return x.reshape(x.shape[0], groups, x.shape[1] // groups, -1)


def _input_gradient(kernels, grad, kernel_size, padded_shape, stride, dilation):
    """The gradient of conv2d's padded input (N, C, H, W), from the output's gradient grad (N, O, OH, OW)
    and kernels (groups, O/groups, C/groups * kh * kw): each column's gradient (one batched matmul),
    added back where its window was read (_col2im).

    A few samples at a time: their columns' gradient then stays small enough to be added back from the cache.
    """
    n, channels, height, width = padded_shape
    (kh, kw), (oh, ow) = kernel_size, grad.shape[2:]
    if stride == (1, 1):
        # the gradient on a canvas as wide as the input (zeros past the output): see _col2im
        canvas = np.zeros((*grad.shape[:3], width), dtype=grad.dtype)
        canvas[..., :ow] = grad
        grad, ow = canvas, width
    rows = np.zeros((n, channels, (height + stride[0]) * width), dtype=np.result_type(kernels, grad))
    chunk = max(1, _CHUNK_BYTES // (channels * kh * kw * oh * ow * rows.itemsize))
    for start in range(0, n, chunk):
        # (samples, groups, C/groups * kh * kw, OH * OW)
        grad_columns = np.swapaxes(kernels, 1, 2) @ _per_group(grad[start:start + chunk], kernels.shape[0])
        _col2im(grad_columns.reshape(-1, channels, kh, kw, oh, ow), (len(grad_columns), *padded_shape[1:]), stride,
                dilation, rows[start:start + chunk])
    return rows[:, :, :height * width].reshape(padded_shape)


class Conv2d(Function):
    """Cross-correlation of x (N, C, H, W) with weight (O, C/groups, kh, kw), as torch.nn.functional.conv2d.

    The windows become columns (N, groups, C/groups*kh*kw, OH*OW), copied once; then one batched
    matmul gives the output, and one each the weight and input gradients.
    pads is ((top, bottom), (left, right)).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pads, dilation, groups):
        xp = _pad(x, pads)
        n, out_channels = x.shape[0], weight.shape[0]
        columns, (oh, ow) = _columns(xp, weight.shape[2:], stride, dilation, groups)
        kernels = weight.reshape(groups, out_channels // groups, -1)
        out = (kernels @ columns).reshape(n, out_channels, oh, ow)   # (N, groups, O/groups, OH*OW) underneath
        if bias is not None:
            out += bias[:, None, None]
        need_x, need_weight = ctx.needs_input_grad[:2]
        # the columns only serve the weight gradient; the input gradient needs the kernels (x and weight
        # themselves serve a create_graph backward, through the decomposition)
        ctx.save_for_backward(columns if need_weight else None, kernels if need_x else None, x, weight)
        ctx.padded_shape, ctx.pads, ctx.stride, ctx.dilation = xp.shape, pads, stride, dilation
        ctx.weight_shape, ctx.groups = weight.shape, groups
        return out

    @staticmethod
    def decomposition(x, weight, bias, stride, pads, dilation, groups):
        """conv2d from recorded ops (windows gathered by index, one batched matmul), for create_graph."""
        windows = _gathered_windows(x, weight.shape[2:], stride, pads, dilation)
        n, channels, kh, kw, oh, ow = windows.shape
        out_channels = weight.shape[0]
        columns = windows.reshape(n, groups, channels // groups * kh * kw, oh * ow)
        out = (weight.reshape(1, groups, out_channels // groups, -1) @ columns).reshape(n, out_channels, oh, ow)
        return out if bias is None else out + bias.reshape(1, out_channels, 1, 1)

    @staticmethod
    def backward(ctx, grad):
        columns, kernels, _, _ = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        grad_x = grad_weight = grad_bias = None
        if need_weight:
            # one (O/groups, C/groups*kh*kw) product per sample and group, summed over the samples
            grad_weight = (_per_group(grad, ctx.groups) @ np.swapaxes(columns, 2, 3)).sum(0).reshape(ctx.weight_shape)
        if need_x:
            grad_padded = _input_gradient(kernels, grad, ctx.weight_shape[2:], ctx.padded_shape, ctx.stride,
                                          ctx.dilation)
            grad_x = _unpad(grad_padded, ctx.pads)
        if need_bias:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None, None


class ConvTranspose2d(Function):
    """The adjoint of conv2d in its input, as torch.nn.functional.conv_transpose2d: x (N, C_in, H, W),
    weight (C_in, C_out/groups, kh, kw).

    Its forward is conv2d's input gradient (one batched matmul gives every window's part, added
    back where the window reads); its input gradient is a conv2d of the output gradient, and its weight
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
        out = _unpad(_input_gradient(kernels, x, (kh, kw), (n, out_per_group * groups, *full_size), stride, dilation),
                     pads)
        out = np.ascontiguousarray(out) if bias is None else out + bias[:, None, None]
        need_x, need_weight = ctx.needs_input_grad[:2]
        # x and weight themselves serve a create_graph backward, through the decomposition
        ctx.save_for_backward(kernels if need_x else None, x, weight)
        ctx.x_shape, ctx.weight_shape, ctx.groups = x.shape, weight.shape, groups
        ctx.stride, ctx.pads, ctx.dilation = stride, pads, dilation
        return out

    @staticmethod
    def decomposition(x, weight, bias, stride, pads, dilation, groups, output_padding):
        """conv_transpose2d from recorded ops: each input pixel times the kernel, added (a ScatterAdd) where
        it lands in the full output, which is then cropped; for a create_graph backward."""
        from microtorch.ops.index import _scatter_add   # index imports nothing from here; kept local to the decomposition
        n, in_channels, height, width = x.shape
        _, out_per_group, kh, kw = weight.shape
        (sh, sw), (dh, dw) = stride, dilation
        full = tuple((size - 1) * s + d * (k - 1) + 1 + extra for size, s, d, k, extra
                     in zip((height, width), stride, dilation, (kh, kw), output_padding))
        kernels = weight.reshape(groups, in_channels // groups, out_per_group * kh * kw)
        pixels = x.reshape(n, groups, in_channels // groups, height * width)
        spread = (np.swapaxes(kernels, -1, -2)[None] @ pixels).reshape(n, groups * out_per_group, kh, kw, height, width)
        rows = np.arange(kh)[:, None, None, None] * dh + np.arange(height)[None, None, :, None] * sh
        cols = np.arange(kw)[None, :, None, None] * dw + np.arange(width)[None, None, None, :] * sw
        out = _scatter_add((n, groups * out_per_group, *full), (slice(None), slice(None), rows, cols), spread)
        (top, bottom), (left, right) = pads
        out = out[:, :, top:full[0] - bottom, left:full[1] - right]
        return out if bias is None else out + bias.reshape(1, -1, 1, 1)

    @staticmethod
    def backward(ctx, grad):
        kernels, x, _ = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        n, in_channels, height, width = ctx.x_shape
        columns, _ = _columns(_pad(grad, ctx.pads), ctx.weight_shape[2:], ctx.stride, ctx.dilation, ctx.groups,
                              (height, width))
        grad_x = grad_weight = grad_bias = None
        if need_x:
            grad_x = (kernels @ columns).reshape(ctx.x_shape)
        if need_weight:
            grad_weight = (_per_group(x, ctx.groups) @ np.swapaxes(columns, 2, 3)).sum(0).reshape(ctx.weight_shape)
        if need_bias:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None, None, None
