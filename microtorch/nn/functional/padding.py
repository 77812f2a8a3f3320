"""pad: constant, reflect, replicate and circular padding (negative sizes crop)."""
import numpy as np

from microtorch import ops
from microtorch._engine import apply as _apply

__all__ = ["pad"]


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
        return _apply(ops.ConstantPad, kept, grow, 0 if value is None else value)
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
    return _apply(ops.IndexPad, input, widths, _PAD_MODES[mode])
