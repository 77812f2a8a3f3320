"""How a tensor prints, as torch prints it: `tensor([1.0000, 2.5000], requires_grad=True)`.

torch's rules: floats with 4 decimals, or `1.` when every value is a whole number, or scientific
notation (`1.0000e+05`) when the values span more than 1000x or reach 1e8 or go below 1e-4; every
element padded to one width; more than 1000 elements summarized with `...` (3 at each edge);
lines wrapped at 80 characters; then the dtype unless it is float32, int64 or bool, and
requires_grad or grad_fn. The dtype prints as `microtorch.float64` (torch's: `torch.float64`).
"""
import numpy as np

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80
_IMPLICIT = ("float32", "int64", "bool")  # dtypes torch's repr leaves out


def _element_format(array):
    """A function formatting one element, and the width every element is padded to."""
    if array.dtype.kind == "b":
        return str, 5 if array.size and not array.all() else 4
    if array.dtype.kind in "iu":
        width = max((len(str(v)) for v in (array.min(), array.max())), default=1) if array.size else 1
        return str, width
    if array.dtype.kind != "f":
        return str, 1
    finite = array[np.isfinite(array)].astype(np.float64)
    magnitudes = np.abs(finite[finite != 0])
    whole = finite.size == 0 or bool((finite == np.ceil(finite)).all())
    big, small = (magnitudes.max(), magnitudes.min()) if magnitudes.size else (0.0, 0.0)
    scientific = magnitudes.size and (big / small > 1000.0 or big > 1e8 or (not whole and small < 1e-4))
    if scientific:
        def fmt(v):
            return f"{v:.{PRECISION}e}"
    elif whole:
        def fmt(v):
            return f"{v:.0f}." if np.isfinite(v) else str(v)
    else:
        def fmt(v):
            return f"{v:.{PRECISION}f}"
    shown = _summarized(array)
    width = max((len(fmt(v) if np.isfinite(v) else str(v)) for v in shown.ravel()), default=1)
    return (lambda v: fmt(v) if np.isfinite(v) else str(v)), width


def _summarized(array):
    # the elements a summarized print shows: EDGEITEMS at each end of every dim
    if array.size <= THRESHOLD:
        return array
    for axis in range(array.ndim):
        if array.shape[axis] > 2 * EDGEITEMS:
            keep = np.r_[0:EDGEITEMS, array.shape[axis] - EDGEITEMS:array.shape[axis]]
            array = np.take(array, keep, axis=axis)
    return array


def _body(array, prefix):
    if array.size == 0:
        return "[]"
    fmt, width = _element_format(array)
    text = np.array2string(array, separator=", ", prefix=prefix, max_line_width=LINEWIDTH,
                           threshold=THRESHOLD, edgeitems=EDGEITEMS,
                           formatter={"all": lambda v: fmt(v).rjust(width)})
    return text.replace(", ...,", ",  ...,")


def tensor_repr(tensor):
    """torch's repr of tensor (also its str)."""
    array = tensor._array
    extras = []
    if array.size == 0 and array.shape != (0,):
        extras.append(f"size={tuple(array.shape)}")
    if array.dtype.name not in _IMPLICIT or (array.size == 0 and array.dtype.name != "float32"):
        extras.append(f"dtype={tensor.dtype}")
    if tensor.grad_fn is not None:
        extras.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + _body(array, "tensor(") + "".join(", " + extra for extra in extras) + ")"


def tensor_format(tensor, spec):
    """format(tensor, spec): a 0-d tensor formats as its number (f"{loss:.4f}", and f"{loss}" too);
    another tensor as its str with an empty spec, and raises with any other, as in torch."""
    if tensor._array.ndim == 0:
        return format(tensor._array.item(), spec)
    if spec:
        raise TypeError(f"unsupported format string passed to Tensor.__format__: {spec!r} "
                        f"(only 0-d tensors format as a number; this one has shape {tuple(tensor.shape)})")
    return tensor_repr(tensor)
