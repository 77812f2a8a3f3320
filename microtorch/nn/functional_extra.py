"""Convolution, pooling, normalisation, embedding, more activations and losses, and pad.

Re-exported by microtorch.nn.functional, where PyTorch users look for them. Each function
checks its arguments and names the problem before any op runs.
"""
import numpy as np

from microtorch import ops, ops_extra, ops_nn
from microtorch._engine import apply as _apply
from microtorch.nn.functional import _as_tensor, _check_reduction, _input
from microtorch.tensor import Tensor

__all__ = ["cross_entropy", "conv1d", "conv2d", "max_pool2d", "max_unpool2d", "avg_pool2d", "batch_norm", "layer_norm", "embedding",
           "gelu", "leaky_relu", "elu", "softplus", "silu", "log_softmax", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "l1_loss", "huber_loss", "smooth_l1_loss", "pad"]


# ---------------------------------------------------------------- argument checks

def _pair(value, name, op, minimum):
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in pair)


def _check_same_dtype(op, input, *others):
    for name, other in others:
        if other is not None and other.dtype != input.dtype:
            raise TypeError(f"{op}: input has dtype {input.dtype} but {name} has dtype {other.dtype}; "
                            f"convert one of them (e.g. model.double() or x.float())")


def _output_size(op, size, kernel, stride, padding, dilation, ceil_mode=False):
    """PyTorch's pooling_output_shape: windows that start inside the input or the left padding."""
    span = dilation * (kernel - 1) + 1
    out = (size + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        raise RuntimeError(f"{op}: the output size would be {out} for an input of size {size} with kernel {kernel}, "
                           f"stride {stride}, padding {padding} and dilation {dilation}; the input is too small")
    return out


def _unbatched(op, input, dims):
    """Check input is (N, C, *spatial) or (C, *spatial); return the batched tensor and whether it was added."""
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, "
                           f"got shape {input.shape}")
    return (input.unsqueeze(0), True) if input.ndim == dims + 1 else (input, False)


# ---------------------------------------------------------------- convolution and pooling

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
    out = _apply(ops_nn.Conv2d, x, weight, bias, stride, pads, dilation, int(groups))
    return out.squeeze(0) if added else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: input (N, C, L), weight (O, C/groups, k); a conv2d over a height of 1."""
    x, added = _unbatched("conv1d", input, 1)
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: weight must be 3-D (out_channels, in_channels/groups, k), got {weight.shape}")
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, _with_height(stride, 1), _with_height(padding, 0),
                 _with_height(dilation, 1), groups).squeeze(2)
    return out.squeeze(0) if added else out


def _with_height(value, height):
    """A 1-D conv argument as the 2-D one for a height-1 input (strings like 'same' pass through)."""
    if isinstance(value, str):
        return value
    (length,) = value if isinstance(value, (tuple, list)) else (value,)
    return (height, length)


def _pool_pads(op, shape, kernel, stride, padding, dilation, ceil_mode):
    """((top, bottom), (left, right)): the padding, plus room for ceil_mode's last partial window."""
    pads = []
    for size, k, s, p, d in zip(shape, kernel, stride, padding, dilation):
        out = _output_size(op, size, k, s, p, d, ceil_mode)
        needed = (out - 1) * s + d * (k - 1) + 1
        pads.append((p, max(needed - size - p, p)))
    return tuple(pads)


def _window_args(op, input, kernel_size, stride, padding):
    """The batched input, whether a batch dim was added, and kernel, stride (default: the kernel), padding."""
    x, added = _unbatched(op, input, 2)
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None or stride == () else _pair(stride, "stride", op, 1)
    return x, added, kernel, stride, _pair(padding, "padding", op, 0)


def _pool_args(op, input, kernel_size, stride, padding):
    x, added, kernel, stride, padding = _window_args(op, input, kernel_size, stride, padding)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} should be at most half of kernel size {kernel}")
    return x, added, kernel, stride, padding


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each kernel window (stride defaults to the kernel size); padding counts as -inf.

    With return_indices=True, also returns where each maximum came from (int64, an index into the
    flattened (H, W) plane of the input), for max_unpool2d.
    """
    x, added, kernel, stride, padding = _pool_args("max_pool2d", input, kernel_size, stride, padding)
    dilation = _pair(dilation, "dilation", "max_pool2d", 1)
    if x.dtype.kind != "f":
        raise TypeError(f"max_pool2d: expected a floating point input, got dtype {x.dtype}")
    pads = _pool_pads("max_pool2d", x.shape[2:], kernel, stride, padding, dilation, ceil_mode)
    out = _apply(ops_nn.MaxPool2d, x, kernel, stride, pads, dilation)
    if not return_indices:
        return out.squeeze(0) if added else out
    indices = Tensor(ops_nn.max_pool2d_indices(x.data, kernel, stride, pads, dilation))
    return (out.squeeze(0), indices.squeeze(0)) if added else (out, indices)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of max_pool2d's output back where its index (from return_indices=True) says,
    in an output of zeros of the pooled input's size (or output_size), as torch.nn.functional.max_unpool2d."""
    x, added, kernel, stride, padding = _window_args("max_unpool2d", input, kernel_size, stride, padding)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        raise TypeError(f"max_unpool2d: indices must be an integer Tensor (from max_pool2d(..., "
                        f"return_indices=True)), got {getattr(indices, 'dtype', type(indices).__name__)}")
    index = indices.unsqueeze(0) if added else indices
    if index.shape != x.shape:
        raise RuntimeError(f"max_unpool2d: indices have shape {tuple(indices.shape)}, expected the input's "
                           f"shape {tuple(input.shape)}")
    default = tuple((size - 1) * s + k - 2 * p for size, k, s, p in zip(x.shape[2:], kernel, stride, padding))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in tuple(output_size)[-2:])
        for d in range(2):
            if not default[d] - stride[d] < size[d] < default[d] + stride[d]:
                raise ValueError(f"max_unpool2d: invalid output_size {tuple(output_size)} (dim {d} must be "
                                 f"between {default[d] - stride[d]} and {default[d] + stride[d]}, exclusive)")
    if index.data.size:
        low, high = index.data.min(), index.data.max()
        if low < 0 or high >= size[0] * size[1]:
            raise RuntimeError(f"max_unpool2d: index {low if low < 0 else high} is out of range for an output "
                               f"of size {size}")
    out = _apply(ops_nn.MaxUnpool2d, x, index, size)
    return out.squeeze(0) if added else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each kernel window; count_include_pad=False leaves the zero padding out of the count."""
    x, added, kernel, stride, padding = _pool_args("avg_pool2d", input, kernel_size, stride, padding)
    if x.dtype.kind != "f":
        raise TypeError(f"avg_pool2d: expected a floating point input, got dtype {x.dtype}")
    pads = _pool_pads("avg_pool2d", x.shape[2:], kernel, stride, padding, (1, 1), ceil_mode)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must be non-zero")
        divisor = divisor_override
    else:
        # window sizes, read through the same windows as the data: 1 over what counts, 0 elsewhere
        (top, bottom), (left, right) = pads
        height, width = x.shape[2] + top + bottom, x.shape[3] + left + right
        counted = np.zeros((1, 1, height, width))
        rows = slice(0, x.shape[2] + 2 * top) if count_include_pad else slice(top, top + x.shape[2])
        cols = slice(0, x.shape[3] + 2 * left) if count_include_pad else slice(left, left + x.shape[3])
        counted[:, :, rows, cols] = 1
        divisor = ops_nn._windows(counted, kernel, stride, (1, 1)).sum(axis=(2, 3))
    out = _apply(ops_nn.AvgPool2d, x, kernel, stride, pads, divisor)
    return out.squeeze(0) if added else out


# ---------------------------------------------------------------- normalisation and embedding

def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims, as torch.nn.functional.batch_norm.

    In training, batch statistics are used and the running ones (if given) move towards them
    by momentum, with the unbiased variance; otherwise the running statistics are used.
    """
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise RuntimeError(f"batch_norm: {name} must have shape ({channels},) for input {input.shape}, "
                               f"got {t.shape}")
    shape = (1, channels) + (1,) * (input.ndim - 2)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input.data.size // max(channels, 1)
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        out = _apply(ops_nn.Normalize, input, dims, eps)
        if running_mean is not None and running_var is not None:
            mean, var = input.data.mean(axis=dims), input.data.var(axis=dims, ddof=1)
            running_mean.data = ((1 - momentum) * running_mean.data + momentum * mean).astype(running_mean.dtype)
            running_var.data = ((1 - momentum) * running_var.data + momentum * var).astype(running_var.dtype)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are needed when not training")
        inv_std = (1 / np.sqrt(running_var.data + eps)).astype(input.dtype).reshape(shape)
        out = (input - running_mean.data.astype(input.dtype).reshape(shape)) * inv_std
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims, then scale by weight and shift by bias."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    if input.shape[input.ndim - len(normalized_shape):] != normalized_shape or len(normalized_shape) > input.ndim:
        raise RuntimeError(f"layer_norm: normalized_shape {normalized_shape} does not match the last dims of the "
                           f"input {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != normalized_shape:
            raise RuntimeError(f"layer_norm: {name} must have shape {normalized_shape}, got {t.shape}")
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    out = _apply(ops_nn.Normalize, input, dims, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by the integer tensor input; padding_idx's row gets no gradient."""
    indices = input.data if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype} (convert with .long())")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {weight.shape}")
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices[(indices < 0) | (indices >= rows)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for {rows} embeddings")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings {rows}")
        padding_idx %= rows
    return _apply(ops_nn.Embedding, weight, indices, padding_idx)


# ---------------------------------------------------------------- activations

def gelu(input, approximate="none"):
    """x * Phi(x), the normal CDF exactly ("none") or by its tanh approximation ("tanh")."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _apply(ops_nn.GELU, input, approximate)


def leaky_relu(input, negative_slope=0.01):
    return _apply(ops_nn.LeakyReLU, input, negative_slope)


def elu(input, alpha=1.0):
    return _apply(ops_nn.ELU, input, alpha)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, switching to x where beta x > threshold."""
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return _apply(ops_nn.Softplus, input, beta, threshold)


def silu(input):
    """x * sigmoid(x) (also called swish)."""
    return _apply(ops_nn.SiLU, input)


def log_softmax(input, dim=-1):
    """log(softmax(x)) along dim, computed stably in one op."""
    return _apply(ops_nn.LogSoftmax, input, ops._normalize_dim(dim, input.ndim, "log_softmax"))


# ---------------------------------------------------------------- losses

def _class_targets(op, input, target, ignore_index):
    """Integer class targets (N, ...) for input (N, C, ...), range-checked except where ignored."""
    array = target.data if isinstance(target, Tensor) else np.asarray(target)
    expected = (input.shape[0],) + input.shape[2:]
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be integer class indices of shape {expected}, got dtype {array.dtype} "
                        "(convert with .long())")
    if array.shape != expected:
        raise RuntimeError(f"{op}: expected targets of shape {expected} for input {input.shape}, got {array.shape}")
    classes = input.shape[1]
    in_range = array.size == 0 or (array.min() >= 0 and array.max() < classes)  # the fast, common answer
    bad = array[:0] if in_range else array[((array < 0) | (array >= classes)) & (array != ignore_index)]
    if bad.size:
        raise IndexError(f"{op}: target {bad[0]} is out of bounds for {classes} classes (input shape {input.shape}, "
                         f"targets shape {array.shape})")
    return array


def _class_weight(op, weight, input):
    if weight is None:
        return None
    array = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if array.shape != (input.shape[1],):
        raise RuntimeError(f"{op}: weight must have one entry per class, shape ({input.shape[1]},), got {array.shape}")
    return array.astype(input.dtype)


def _batched_classes(op, input, target):
    """(C,) input with a 0-d target is one sample: add the batch dim (and say so)."""
    if input.ndim == 1:
        target = target.data if isinstance(target, Tensor) else np.asarray(target)
        return input.unsqueeze(0), target.reshape(1) if target.ndim == 0 else target, True
    if input.ndim == 0:
        raise RuntimeError(f"{op}: expected input of shape (C,) or (N, C, ...), got a 0-d tensor")
    return input, target, False


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C, ...) at integer targets (N, ...)."""
    _check_reduction("nll_loss", reduction)
    input, target, added = _batched_classes("nll_loss", input, target)
    target = _class_targets("nll_loss", input, target, ignore_index)
    out = _apply(ops_nn.NLLLoss, input, target, _class_weight("nll_loss", weight, input), ignore_index, reduction)
    return out.squeeze(0) if added and reduction == "none" else out


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits (N, C, ...) or (C,) against class indices or class probabilities."""
    _check_reduction("cross_entropy", reduction)
    _input("cross_entropy", input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    input, target, added = _batched_classes("cross_entropy", input, target)
    array = target.data if isinstance(target, Tensor) else np.asarray(target)
    if array.dtype.kind == "f":
        if array.shape != input.shape:
            raise TypeError(f"cross_entropy: targets must be integer class indices of shape "
                            f"{(input.shape[0],) + input.shape[2:]}, or class probabilities shaped like the input "
                            f"{input.shape}; got dtype {array.dtype} and shape {array.shape}")
        target = target if isinstance(target, Tensor) else _as_tensor(array, input)
        if added:
            target = target.unsqueeze(0)
    else:
        target = _class_targets("cross_entropy", input, array, ignore_index)
    out = _apply(ops.CrossEntropy, input, target, reduction, _class_weight("cross_entropy", weight, input),
                 ignore_index, float(label_smoothing))
    return out.squeeze(0) if added and reduction == "none" else out


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; logs are clamped at -100."""
    _check_reduction("binary_cross_entropy", reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy: target shape {target.shape} must match input shape {input.shape}")
    if input.data.size and (input.data.min() < 0 or input.data.max() > 1):
        raise RuntimeError("binary_cross_entropy: all input values must be between 0 and 1 "
                           "(apply sigmoid first, or use binary_cross_entropy_with_logits)")
    return _apply(ops_nn.BinaryCrossEntropy, input, target, _constant("binary_cross_entropy", weight, input, "weight"),
                  reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """sigmoid + binary cross-entropy in one stable op; pos_weight multiplies the positive examples' term."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} must match input shape "
                         f"{input.shape}")
    op = "binary_cross_entropy_with_logits"
    return _apply(ops_nn.BinaryCrossEntropyWithLogits, input, target, _constant(op, weight, input, "weight"),
                  _constant(op, pos_weight, input, "pos_weight"), reduction)


def _constant(op, value, input, name):
    """A weight that broadcasts against input, as an array of input's dtype (no gradient)."""
    if value is None:
        return None
    array = (value.data if isinstance(value, Tensor) else np.asarray(value)).astype(input.dtype)
    try:
        if np.broadcast_shapes(array.shape, input.shape) != input.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"{op}: {name} of shape {array.shape} cannot be broadcast to the input shape "
                           f"{input.shape}") from None
    return array


def _pointwise_target(op, input, target):
    target = _as_tensor(target, input)
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"{op}: input shape {input.shape} and target shape {target.shape} "
                           "cannot be broadcast together") from None
    return target


def l1_loss(input, target, reduction="mean"):
    """Mean (or sum) absolute difference."""
    _check_reduction("l1_loss", reduction)
    loss = (input - _pointwise_target("l1_loss", input, target)).abs()
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Squared error for differences below delta, linear (slope delta) beyond."""
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _apply(ops_nn.HuberLoss, input, _pointwise_target("huber_loss", input, target), delta, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """huber_loss(delta=beta) / beta: 0.5 d^2 / beta below beta, |d| - beta / 2 beyond; l1_loss for beta=0."""
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return _apply(ops_nn.HuberLoss, input, _pointwise_target("smooth_l1_loss", input, target), beta, reduction) / beta


# ---------------------------------------------------------------- padding

_PAD_MODES = {"constant": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims; pad lists (before, after) pairs starting from the last dim, as in PyTorch.

    A negative size crops instead, as in PyTorch. With mode='reflect' the reflection is taken from the
    whole input and then cropped; the other modes crop first.
    """
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {list(_PAD_MODES)}, got {mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2 * ndim ({2 * input.ndim}), got {pad}")
    if any(not isinstance(p, (int, np.integer)) or isinstance(p, bool) for p in pad):
        raise ValueError(f"pad: padding sizes must be ints, got {pad}")
    if mode != "constant" and value is not None and value != 0:
        raise ValueError(f"pad: a fill value only applies to mode='constant', not {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    for size, (before, after) in zip(input.shape, widths):
        if size + min(before, 0) + min(after, 0) < 0:
            raise RuntimeError(f"pad: a dim of size {size} padded by {(before, after)} would have a negative size")
    grow = tuple((max(before, 0), max(after, 0)) for before, after in widths)
    cropping = any(before < 0 or after < 0 for before, after in widths)
    if mode == "reflect":
        padded = _index_pad(input, grow, mode)
        return _crop(padded, widths) if cropping else padded
    kept = _crop(input, widths) if cropping else input
    if mode == "constant":
        return _apply(ops_extra.ConstantPad, kept, grow, 0 if value is None else value)
    return _index_pad(kept, grow, mode)


def _crop(input, widths):
    """Cut -before and -after elements off each dim whose padding is negative (a view)."""
    return input[tuple(slice(-min(before, 0), size + min(after, 0))
                       for size, (before, after) in zip(input.shape, widths))]


def _index_pad(input, widths, mode):
    """reflect / replicate / circular padding by non-negative widths, within each mode's limit."""
    for size, (before, after) in zip(input.shape, widths):
        limit = size - 1 if mode == "reflect" else size
        if max(before, after) > limit:
            raise ValueError(f"pad: {mode} padding of {(before, after)} is too large for a dim of size {size} "
                             f"(at most {limit})")
    return _apply(ops_extra.IndexPad, input, widths, _PAD_MODES[mode])
