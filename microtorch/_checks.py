"""Argument checks, each written once: every public function checks its arguments here and
names the problem (op, shapes, dtypes) before any op runs or any data changes."""
import numpy as np

from microtorch._engine import TensorBase
from microtorch._engine import make_tensor as _make

_SCALARS = (int, float, bool, np.generic)
_REDUCTIONS = ("mean", "sum", "none")


def _array_or_scalar(value):
    """A Tensor's array; anything else unchanged."""
    return value._array if isinstance(value, TensorBase) else value


def _as_array(value):
    """A Tensor's array, or the value as an ndarray."""
    return value._array if isinstance(value, TensorBase) else np.asarray(value)


def _describe(data):
    text = repr(data)
    return f"{type(data).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _as_dtype(dtype):
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unsupported dtype {dtype!r}") from None
    _check_real("dtype", result)
    return result


def _check_real(op, dtype):
    """Refuse complex dtypes: microtorch's gradients are real (PyTorch's complex ones follow the
    conjugate Wirtinger convention, which microtorch does not implement)."""
    if dtype.kind == "c":
        raise TypeError(f"{op}: complex dtype {dtype} is not supported; microtorch tensors are real "
                        "(keep the real and imaginary parts as two real tensors)")


def _plain_array(op, array):
    """array as a plain ndarray: an np.matrix becomes one (as torch.tensor does); a masked array
    is refused, since dropping its mask silently would compute with the hidden values."""
    if isinstance(array, np.ma.MaskedArray):
        raise TypeError(f"{op}: masked arrays are not supported (the mask would be lost); pass "
                        "array.filled(value) to fill the masked entries, or array.data to ignore the mask")
    return np.asarray(array) if type(array) is not np.ndarray else array


def _operand(other, op):
    """Check a binary op's other operand: a Tensor, an ndarray or a real number."""
    if isinstance(other, np.generic):
        return other.item()  # numpy scalars count as Python numbers, as in torch (no upcast)
    if isinstance(other, np.ndarray):
        return _plain_array(op, other)
    if isinstance(other, TensorBase) or isinstance(other, _SCALARS):
        return other
    raise TypeError(f"{op}: unsupported operand type {type(other).__name__}; "
                    "expected a Tensor, a numpy array or a number")


def _input(op, x):
    if not isinstance(x, TensorBase):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__} "
                        "(wrap data with microtorch.tensor(...))")
    return x


def _as_tensor(value, like, op="loss"):
    """A loss target as a tensor; Python numbers and lists take the input's dtype."""
    if isinstance(value, TensorBase):
        return value
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested lists
        array = np.asarray(value, dtype=object)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{op}: target must be a Tensor, a numpy array or numbers, got "
                        f"{type(value).__name__} of dtype {array.dtype} (shape {array.shape})")
    return _make(array if isinstance(value, np.ndarray) else array.astype(like.dtype))


# ---------------------------------------------------------------- dims and shapes

def _normalize_dim(dim, ndim, op):
    """dim as an int or a tuple of ints, each checked and made non-negative."""
    if dim is None:
        return None
    dims = dim if isinstance(dim, tuple) else (dim,)
    result = []
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {type(d).__name__}")
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor with {ndim} dimension(s) "
                f"(expected to be in range [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        result.append(int(d) % max(ndim, 1))
    if len(set(result)) != len(result):
        raise RuntimeError(f"{op}: dim {dim} names a dimension twice")
    return tuple(result) if isinstance(dim, tuple) else result[0]


def _reduction_args(t, op, dim, keepdim, axis, keepdims):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    dim = _normalize_dim(dim, t.ndim, op)
    # A 0-d tensor accepts dim 0 or -1, as in torch; numpy does not, and all dims is the same thing.
    return (None if t.ndim == 0 else dim), bool(keepdim)


def _check_reducible(t, op, dim):
    """max and min have no value for an empty reduction: torch's errors."""
    if t._array.size == 0:
        if dim is None:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        for d in (dim if isinstance(dim, tuple) else (dim,)):
            if t.shape[d] == 0:
                raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"shape must be ints, got {type(s).__name__} in {shape}")
    return tuple(int(s) for s in shape)


def _check_reshape(old, new):
    size = int(np.prod(old))
    if new.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be inferred, got shape {new}")
    if any(s < -1 for s in new):
        raise RuntimeError(f"reshape: invalid shape {new} for a tensor of shape {old}: sizes must be >= 0 "
                           "(or -1 for one inferred dimension)")
    known = int(np.prod([s for s in new if s != -1]))
    ok = (size == known) if -1 not in new else (known != 0 and size % known == 0)
    if not ok:
        raise RuntimeError(f"reshape: shape {new} is invalid for a tensor of shape {old} ({size} elements)")


def _check_broadcast(op, *operands, names=None):
    """The shape that operands broadcast to, or a RuntimeError naming the op and each shape.
    names label the operands in the message ("input shape (2,) and target shape (3,)")."""
    shapes = [np.shape(x) for x in operands]
    if all(shape == shapes[0] for shape in shapes):
        return shapes[0]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        labels = [str(shape) for shape in shapes] if names is None else \
            [f"{name} shape {shape}" for name, shape in zip(names, shapes)]
        described = ("shapes " if names is None else "") + ", ".join(labels[:-1]) + " and " + labels[-1]
        raise RuntimeError(f"{op}: {described} cannot be broadcast together") from None


def _broadcasts_to(shape, target):
    """Can an array of shape be broadcast to target (without changing target)?"""
    if len(shape) > len(target):
        return False
    return all(n in (1, m) for n, m in zip(shape[::-1], target[::-1]))


def _check_in_place(op, t, value):
    """An in-place update keeps the tensor's shape and dtype: check the value before touching the data."""
    value = _array_or_scalar(_operand(value, op))
    shape = np.shape(value)
    if not _broadcasts_to(shape, t.shape):
        raise RuntimeError(f"{op}: a value of shape {shape} cannot be broadcast to the tensor's shape {t.shape}")
    if op in ("add_", "sub_", "mul_", "div_"):
        result = np.result_type(t._array, value) if op != "div_" else np.result_type(t._array, value, np.float32)
        if not np.can_cast(result, t.dtype, "same_kind"):
            raise RuntimeError(f"{op}: the result type {result} cannot be stored in the tensor's dtype {t.dtype} "
                               f"(shape {t.shape}); convert the tensor first, e.g. with .float()")


def _check_matmul(a, b):
    shape_a, shape_b = np.shape(a), np.shape(b)
    if len(shape_a) == 0 or len(shape_b) == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes {shape_a} and {shape_b}")
    inner_a = shape_a[-1]
    inner_b = shape_b[-2] if len(shape_b) > 1 else shape_b[0]
    if inner_a != inner_b:
        raise RuntimeError(f"matmul: shapes {shape_a} and {shape_b} cannot be multiplied "
                           f"({inner_a} != {inner_b})")
    if len(shape_a) > 2 or len(shape_b) > 2:
        try:
            np.broadcast_shapes(shape_a[:-2], shape_b[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: batch dimensions of {shape_a} and {shape_b} cannot be broadcast") from None


def _triangle_args(t, diagonal, op):
    if t.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions, got shape {t.shape}")
    if not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an int, got {type(diagonal).__name__}")
    return int(diagonal)


def _tensors_of(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op}: expected a non-empty list of tensors")
    for t in tensors:
        if not isinstance(t, TensorBase):
            raise TypeError(f"{op}: expected a list of Tensors, got an element of type {type(t).__name__}")
    return tensors


# ---------------------------------------------------------------- indices and masks

def _where_args(condition, input, other):
    """where's operands, checked: a bool condition and two values that broadcast with it."""
    condition = _bool_mask(condition, "where")
    input, other = _operand(input, "where"), _operand(other, "where")
    _check_broadcast("where", condition, input, other, names=("condition", "input", "other"))
    return condition, input, other


def _index_of(index):
    """Tensors inside an index become their arrays; lists become integer or boolean arrays."""
    if isinstance(index, TensorBase):
        return index._array
    if isinstance(index, list):
        return np.asarray(index)
    if isinstance(index, tuple):
        return tuple(_index_of(part) for part in index)
    return index


def _needs_probe(index):
    # Integer and array indices can be out of bounds; slices cannot.
    parts = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(p, slice) and p is not None and p is not Ellipsis for p in parts)


def _bool_mask(mask, op):
    array = _as_array(mask)
    if array.dtype != np.bool_:
        raise TypeError(f"{op}: expected a bool condition/mask, got dtype {array.dtype} "
                        "(compare first, e.g. `x > 0`)")
    return array


def _int_index(index, op):
    array = _as_array(index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {array.dtype}")
    return array


def _out_of_range(index, size, ignore=None):
    """The first entry of an integer array outside [0, size) (entries equal to ignore aside), or None."""
    if index.size == 0 or (index.min() >= 0 and index.max() < size):  # the fast, common answer
        return None
    bad = (index < 0) | (index >= size)
    if ignore is not None:
        bad &= index != ignore
    return index[bad].flat[0] if bad.any() else None


def _check_index_range(index, length, op, dim):
    bad = _out_of_range(index, length)
    if bad is not None:
        raise IndexError(f"{op}: index {bad} is out of bounds for dim {dim} with size {length}")


# ---------------------------------------------------------------- layers: dtypes, batches, windows

def _check_same_dtype(op, input, *others):
    for name, other in others:
        if other is not None and other.dtype != input.dtype:
            raise TypeError(f"{op}: input has dtype {input.dtype} but {name} has dtype {other.dtype}; "
                            f"convert one of them (e.g. model.double() or x.float())")


def _unbatched(op, input, dims):
    """Check input is (N, C, *spatial) or (C, *spatial); return the batched tensor and whether it was added."""
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, "
                           f"got shape {input.shape}")
    return (input.unsqueeze(0), True) if input.ndim == dims + 1 else (input, False)


def _pair(value, name, op, minimum):
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in pair)


def _with_height(value, height):
    """A 1-D conv argument as the 2-D one for a height-1 input (strings like 'same' pass through)."""
    if isinstance(value, str):
        return value
    (length,) = value if isinstance(value, (tuple, list)) else (value,)
    return (height, length)


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


# ---------------------------------------------------------------- losses: reductions and targets

def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_targets(op, input, target, ignore_index):
    """Integer class targets (N, ...) for input (N, C, ...), range-checked except where ignored."""
    array = _as_array(target)
    expected = (input.shape[0],) + input.shape[2:]
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be integer class indices of shape {expected}, got dtype {array.dtype} "
                        "(convert with .long())")
    if array.shape != expected:
        raise RuntimeError(f"{op}: expected targets of shape {expected} for input {input.shape}, got {array.shape}")
    classes = input.shape[1]
    bad = _out_of_range(array, classes, ignore=ignore_index)
    if bad is not None:
        raise IndexError(f"{op}: target {bad} is out of bounds for {classes} classes (input shape {input.shape}, "
                         f"targets shape {array.shape})")
    return array


def _class_weight(op, weight, input):
    if weight is None:
        return None
    array = _as_array(weight)
    if array.shape != (input.shape[1],):
        raise RuntimeError(f"{op}: weight must have one entry per class, shape ({input.shape[1]},), got {array.shape}")
    return array.astype(input.dtype)


def _batched_classes(op, input, target):
    """(C,) input with a 0-d target is one sample: add the batch dim (and say so)."""
    if input.ndim == 1:
        target = _as_array(target)
        return input.unsqueeze(0), target.reshape(1) if target.ndim == 0 else target, True
    if input.ndim == 0:
        raise RuntimeError(f"{op}: expected input of shape (C,) or (N, C, ...), got a 0-d tensor")
    return input, target, False


def _constant(op, value, input, name):
    """A weight that broadcasts against input, as an array of input's dtype (no gradient)."""
    if value is None:
        return None
    array = _as_array(value).astype(input.dtype)
    if not _broadcasts_to(array.shape, input.shape):
        raise RuntimeError(f"{op}: {name} of shape {array.shape} cannot be broadcast to the input shape "
                           f"{input.shape}")
    return array


def _pointwise_target(op, input, target):
    """A loss target as a tensor that broadcasts against input."""
    target = _as_tensor(target, _input(op, input), op)
    _check_broadcast(op, input, target, names=("input", "target"))
    return target
