"""Network ops: convolution, pooling, normalisation, embedding, activations and losses.

Same conventions as microtorch.ops: numpy forward and backward side by side. Convolution
and pooling read every kernel window through one strided view of the (padded) input,
so the arithmetic is a single matmul or reduction, never a Python loop over pixels.
"""
import math

import numpy as np

from microtorch.autograd import Function
from microtorch.ops import _class_target_weights, _log_softmax, _reduce

try:  # scipy's erf is vectorised; math.erf per element gives the same values, more slowly
    from scipy.special import erf as _erf
except ImportError:  # pragma: no cover - scipy is optional
    _erf = np.vectorize(math.erf, otypes=[np.float64])

# ---------------------------------------------------------------- windows (im2col)


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


# ---------------------------------------------------------------- convolution and pooling

class Conv2d(Function):
    """Cross-correlation of x (N, C, H, W) with weight (O, C/groups, kh, kw), as torch.nn.functional.conv2d.

    The windows become columns (groups, C/groups*kh*kw, N*OH*OW), copied once; then one
    matmul per group gives the output, and one each the weight and input gradients.
    pads is ((top, bottom), (left, right)).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pads, dilation, groups):
        xp = np.pad(x, ((0, 0), (0, 0), *pads)) if any(map(any, pads)) else x
        windows = _windows(xp, weight.shape[2:], stride, dilation)
        n, c, kh, kw, oh, ow = windows.shape
        out_channels = weight.shape[0]
        columns = np.ascontiguousarray(
            windows.reshape(n, groups, c // groups, kh, kw, oh, ow).transpose(1, 2, 3, 4, 0, 5, 6)
        ).reshape(groups, -1, n * oh * ow)
        kernels = weight.reshape(groups, out_channels // groups, -1)
        out = _grouped_matmul(kernels, columns).reshape(out_channels, n, oh, ow)
        out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))
        if bias is not None:
            out += bias[:, None, None]
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
        grad_rows = np.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(groups, -1, n * oh * ow)
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


# ---------------------------------------------------------------- normalisation and embedding

class Normalize(Function):
    """(x - mean) / sqrt(var + eps) over dims, with the biased variance: the core of batch and layer norm."""

    @staticmethod
    def forward(ctx, x, dims, eps):
        centered = x - x.mean(axis=dims, keepdims=True)
        inv_std = 1 / np.sqrt((centered * centered).mean(axis=dims, keepdims=True) + eps)
        out = centered * inv_std
        ctx.save_for_backward(out, inv_std)
        ctx.dims = dims
        return out

    @staticmethod
    def backward(ctx, grad):
        out, inv_std = ctx.saved_tensors
        dims = ctx.dims
        mean_grad = grad.mean(axis=dims, keepdims=True)
        mean_grad_out = (grad * out).mean(axis=dims, keepdims=True)
        return inv_std * (grad - mean_grad - out * mean_grad_out), None, None


class Embedding(Function):
    """Rows of weight picked by integer indices; rows picked twice get both gradients."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.shape, ctx.indices, ctx.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        grad_weight = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(grad_weight, ctx.indices.reshape(-1), grad.reshape(-1, ctx.shape[1]))
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0  # the padding row never learns
        return grad_weight, None, None


# ---------------------------------------------------------------- activations

class GELU(Function):
    """x * Phi(x) with the exact normal CDF, or its tanh approximation."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        return (0.5 * x * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return grad * slope, None
        cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (cdf + x * pdf).astype(x.dtype, copy=False), None


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.positive, ctx.negative_slope = x > 0, negative_slope
        return np.where(ctx.positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.positive, grad, grad * ctx.negative_slope), None


class ELU(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        ctx.save_for_backward(x, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return np.where(x > 0, grad, grad * (out + ctx.alpha)), None


class Softplus(Function):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        scaled = x * beta
        ctx.save_for_backward(scaled)
        ctx.threshold = threshold
        # log1p(exp(-|s|)) + max(s, 0) cannot overflow
        soft = (np.log1p(np.exp(-np.abs(scaled))) + np.maximum(scaled, 0)) / beta
        return np.where(scaled > threshold, x, soft)

    @staticmethod
    def backward(ctx, grad):
        (scaled,) = ctx.saved_tensors
        sigmoid = np.exp(-np.logaddexp(0, -scaled)).astype(grad.dtype, copy=False)
        return np.where(scaled > ctx.threshold, grad, grad * sigmoid), None, None


class SiLU(Function):
    @staticmethod
    def forward(ctx, x):
        sigmoid = np.exp(-np.logaddexp(0, -x)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, sigmoid)
        return x * sigmoid

    @staticmethod
    def backward(ctx, grad):
        x, sigmoid = ctx.saved_tensors
        return grad * sigmoid * (1 + x * (1 - sigmoid))


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        out = _log_softmax(x, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - np.exp(out) * grad.sum(axis=ctx.dim, keepdims=True), None


# ---------------------------------------------------------------- losses

class NLLLoss(Function):
    """-weight[t] * log_probs[t] per sample, log_probs (N, C, ...) and class targets (N, ...)."""

    @staticmethod
    def forward(ctx, log_probs, target, weight, ignore_index, reduction):
        picked_target, sample_weight = _class_target_weights(target, weight, ignore_index, log_probs.dtype)
        picked = np.take_along_axis(log_probs, picked_target[:, None], axis=1)[:, 0]
        loss = -sample_weight * picked
        ctx.shape, ctx.reduction = log_probs.shape, reduction
        ctx.picked_target, ctx.sample_weight = picked_target, sample_weight
        if reduction == "mean":
            return np.asarray(loss.sum() / sample_weight.sum())
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        scale = -ctx.sample_weight
        if ctx.reduction == "mean":
            scale = scale / ctx.sample_weight.sum()
        grad_log_probs = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(grad_log_probs, ctx.picked_target[:, None], (grad * scale)[:, None], axis=1)
        return grad_log_probs, None, None, None, None


class BinaryCrossEntropy(Function):
    """-w (t log p + (1 - t) log(1 - p)), each log clamped at -100 as PyTorch does."""

    @staticmethod
    def forward(ctx, p, t, weight, reduction):
        with np.errstate(divide="ignore"):
            log_p, log_q = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
        loss = -(t * log_p + (1 - t) * log_q)
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(p, t, log_p, log_q)
        ctx.weight, ctx.reduction = weight, reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        p, t, log_p, log_q = ctx.saved_tensors
        need_p, need_t = ctx.needs_input_grad[:2]
        if ctx.reduction == "mean":
            grad = grad / p.size
        if ctx.weight is not None:
            grad = grad * ctx.weight
        grad_p = grad * (p - t) / np.maximum(p * (1 - p), 1e-12) if need_p else None
        grad_t = grad * (log_q - log_p) if need_t else None
        return grad_p, grad_t, None, None


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid and binary cross-entropy in one stable op; pos_weight scales the positive term."""

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction):
        softplus_neg = np.logaddexp(0, -x)  # log(1 + exp(-x)) = -log(sigmoid(x))
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + log_weight * softplus_neg
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, t, softplus_neg)
        ctx.weight, ctx.pos_weight, ctx.reduction = weight, pos_weight, reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, softplus_neg = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        if ctx.reduction == "mean":
            grad = grad / x.size
        if ctx.weight is not None:
            grad = grad * ctx.weight
        pos_weight = 1 if ctx.pos_weight is None else ctx.pos_weight
        sigmoid_neg = np.exp(-np.logaddexp(0, x))  # sigmoid(-x)
        log_weight = 1 + (pos_weight - 1) * t
        grad_x = grad * ((1 - t) - log_weight * sigmoid_neg) if need_x else None
        grad_t = grad * (-x + (pos_weight - 1) * softplus_neg) if need_t else None
        return grad_x, grad_t, None, None, None


class HuberLoss(Function):
    """0.5 d^2 where |d| < delta, delta (|d| - delta / 2) elsewhere, for d = prediction - target."""

    @staticmethod
    def forward(ctx, prediction, target, delta, reduction):
        diff = prediction - target
        size = np.abs(diff)
        loss = np.where(size < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
        ctx.save_for_backward(diff)
        ctx.delta, ctx.reduction = delta, reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        if ctx.reduction == "mean":
            grad = grad / diff.size
        grad_prediction = grad * np.clip(diff, -ctx.delta, ctx.delta)
        need_prediction, need_target = ctx.needs_input_grad[:2]
        return (grad_prediction if need_prediction else None,
                -grad_prediction if need_target else None, None, None)
