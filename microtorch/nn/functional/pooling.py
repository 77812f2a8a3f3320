"""Pooling: max and average pooling in 1-d and 2-d, their adaptive forms, and max_unpool2d."""
import numpy as np

from microtorch import ops
from microtorch._checks import (_adaptive_args, _one, _out_of_range, _pair, _pool_args, _pool_pads, _window_args,
                                _with_unit_height)
from microtorch._engine import apply as _apply
from microtorch.ops.conv import _windows
from microtorch.ops.pooling import adaptive_max_pool2d_indices, averaging_matrix, max_pool2d_indices
from microtorch.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "max_unpool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]


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
    out = _apply(ops.MaxPool2d, x, kernel, stride, pads, dilation)
    if not return_indices:
        return out.squeeze(0) if added else out
    indices = Tensor(max_pool2d_indices(x._array, kernel, stride, pads, dilation))
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
    bad = _out_of_range(index._array, size[0] * size[1])
    if bad is not None:
        raise RuntimeError(f"max_unpool2d: index {bad} is out of range for an output of size {size}")
    out = _apply(ops.MaxUnpool2d, x, index, size)
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
        divisor = _windows(counted, kernel, stride, (1, 1)).sum(axis=(2, 3))
    out = _apply(ops.AvgPool2d, x, kernel, stride, pads, divisor)
    return out.squeeze(0) if added else out


# ---------------------------------------------------------------- 1-d pooling: 2-d pooling over a height of 1

def _squeeze_height(out):
    """Undo _with_unit_height on a result, or on each of (values, indices)."""
    return tuple(t.squeeze(-2) for t in out) if isinstance(out, tuple) else out.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window along the last dim, as torch.nn.functional.max_pool1d (parameters as
    max_pool2d, one int each); return_indices gives positions along L."""
    x, op = _with_unit_height("max_pool1d", input), "max_pool1d"
    stride = None if stride is None or stride == () else (1, _one(stride, "stride", op))
    return _squeeze_height(max_pool2d(x, (1, _one(kernel_size, "kernel_size", op)), stride,
                                      (0, _one(padding, "padding", op)), (1, _one(dilation, "dilation", op)),
                                      ceil_mode, return_indices))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window along the last dim, as torch.nn.functional.avg_pool1d (parameters as avg_pool2d,
    one int each)."""
    x, op = _with_unit_height("avg_pool1d", input), "avg_pool1d"
    stride = None if stride is None or stride == () else (1, _one(stride, "stride", op))
    return _squeeze_height(avg_pool2d(x, (1, _one(kernel_size, "kernel_size", op)), stride,
                                      (0, _one(padding, "padding", op)), ceil_mode, count_include_pad))


# ---------------------------------------------------------------- adaptive pooling

def adaptive_avg_pool2d(input, output_size):
    """The mean over each of output_size bins per spatial dim, as torch.nn.functional.adaptive_avg_pool2d.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or (C, H, W).
    output_size : int or pair of (int or None)
        (OH, OW); None keeps that dim's size. Bin i of H spans [floor(i H / OH), ceil((i + 1) H / OH)).

    Returns
    -------
    Tensor
        (N, C, OH, OW) or (C, OH, OW).
    """
    x, added, sizes = _adaptive_args("adaptive_avg_pool2d", input, output_size)
    rows, cols = (averaging_matrix(size, out, x.dtype) for size, out in zip(x.shape[2:], sizes))
    out = _apply(ops.Resample2d, x, rows, cols)
    return out.squeeze(0) if added else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum over each of output_size bins per spatial dim, as torch.nn.functional.adaptive_max_pool2d.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W) or (C, H, W).
    output_size : int or pair of (int or None)
        As adaptive_avg_pool2d.
    return_indices : bool
        Also return where each maximum came from (int64, an index into the flattened (H, W) plane).

    Returns
    -------
    Tensor, or (Tensor, Tensor) with return_indices
        (N, C, OH, OW) or (C, OH, OW).
    """
    x, added, sizes = _adaptive_args("adaptive_max_pool2d", input, output_size)
    out = _apply(ops.AdaptiveMaxPool2d, x, sizes)
    if return_indices:
        out = (out, Tensor(adaptive_max_pool2d_indices(x._array, sizes)[1]))
    return _squeeze_batch(out) if added else out


def _squeeze_batch(out):
    return tuple(t.squeeze(0) for t in out) if isinstance(out, tuple) else out.squeeze(0)


def adaptive_avg_pool1d(input, output_size):
    """The mean over each of output_size bins of the last dim, as torch.nn.functional.adaptive_avg_pool1d;
    input (N, C, L) or (C, L)."""
    x = _with_unit_height("adaptive_avg_pool1d", input)
    return _squeeze_height(adaptive_avg_pool2d(x, (1, _one(output_size, "output_size", "adaptive_avg_pool1d"))))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum over each of output_size bins of the last dim, as torch.nn.functional.adaptive_max_pool1d;
    input (N, C, L) or (C, L); return_indices gives positions along L."""
    x = _with_unit_height("adaptive_max_pool1d", input)
    return _squeeze_height(adaptive_max_pool2d(x, (1, _one(output_size, "output_size", "adaptive_max_pool1d")),
                                               return_indices))
