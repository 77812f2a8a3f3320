"""Argument checks, each written once: every public function checks its arguments here and
names the problem (op, shapes, dtypes) before any op runs or any data changes."""
import math

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
    size = math.prod(old)
    if new.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be inferred, got shape {new}")
    if any(s < -1 for s in new):
        raise RuntimeError(f"reshape: invalid shape {new} for a tensor of shape {old}: sizes must be >= 0 "
                           "(or -1 for one inferred dimension)")
    known = math.prod(s for s in new if s != -1)
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


def _check_in_place(op, t, result, casting="same_kind"):
    """An in-place op keeps the tensor's shape and dtype: check its out-of-place result before the
    tensor is touched (torch's messages)."""
    if result.shape != t.shape:
        raise RuntimeError(f"{op}: output with shape {list(t.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    if casting == "same_kind" and not np.can_cast(result._array.dtype, t._array.dtype, "same_kind"):
        raise RuntimeError(f"{op}: result type {_legacy_name(result._array.dtype)} can't be cast to the desired "
                           f"output type {_legacy_name(t._array.dtype)}; convert the tensor first, e.g. with .float()")


def _legacy_name(dtype):
    """torch's scalar type name of a numpy dtype, as its messages print it: Float, Long, ..."""
    names = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char", "int16": "Short",
             "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}
    return names.get(np.dtype(dtype).name, str(dtype))


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


def _check_matrix_product(op, a, b, names=("mat1", "mat2")):
    """mm / addmm: two matrices whose inner sizes agree (torch's messages)."""
    for name, x in zip(("self", "mat2"), (a, b)):
        if not isinstance(x, TensorBase):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
        if x.ndim != 2:
            raise RuntimeError(f"{op}: {name} must be a matrix, got shape {x.shape}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"{op}: {names[0]} and {names[1]} shapes cannot be multiplied "
                           f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")


def _check_matrix_vector(op, matrix, vec):
    """mv: a matrix (n, m) and a vector (m,)."""
    if not isinstance(vec, TensorBase):
        raise TypeError(f"{op}(): argument 'vec' must be Tensor, not {type(vec).__name__}")
    if matrix.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"{op}: vector + matrix @ vector expected, got 1, {matrix.ndim}, {vec.ndim}")
    if matrix.shape[1] != vec.shape[0]:
        raise RuntimeError(f"{op}: size mismatch, got input ({matrix.shape[0]}), mat ({matrix.shape[0]}x"
                           f"{matrix.shape[1]}), vec ({vec.shape[0]})")


def _check_batch_product(op, a, b):
    """bmm / baddbmm: (b, n, m) @ (b, m, p)."""
    for name, x in (("batch1", a), ("batch2", b)):
        if not isinstance(x, TensorBase):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
        if x.ndim != 3:
            raise RuntimeError(f"{op}: {name} must be a 3D tensor, got shape {x.shape}")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"{op}: Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")


def _check_vectors(op, a, b):
    """dot / outer: two 1-D tensors (of the same length for dot)."""
    for x in (a, b):
        if not isinstance(x, TensorBase):
            raise TypeError(f"{op}(): expected Tensor arguments, got {type(x).__name__}")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"{op}: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if op == "dot" and a.shape != b.shape:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                           f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                           "respectively")


def _einsum_equation(equation, shapes):
    """equation with "..." spelled out as letters and the output written out (numpy's implicit output:
    the letters used once, in alphabetical order, after the "..." dims); checked against the shapes."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the equation must be a string, got {type(equation).__name__}")
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): {'more' if len(terms) < len(shapes) else 'fewer'} operands were provided "
                           f"than specified in the equation ({len(terms)} in {equation!r}, {len(shapes)} given)")
    used = set(equation) - set(".,->")
    if not all(c.isalpha() for c in used):
        raise RuntimeError(f"einsum(): invalid subscript given in the equation {equation!r}: only letters and '...'")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    ellipsis_dims = max([len(shape) - len(term.replace("...", "")) for term, shape in zip(terms, shapes)
                         if "..." in term] or [0])
    batch = "".join(spare[:ellipsis_dims])
    explicit = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        letters = len(term.replace("...", ""))
        if "..." in term:
            term = term.replace("...", batch[ellipsis_dims - (len(shape) - letters):] if len(shape) > letters else "")
        if len(term) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match "
                               f"the number of dimensions ({len(shape)}) for operand {i}"
                               f"{' and no ellipsis was given' if '...' not in terms[i] else ''}")
        explicit.append(term)
    sizes = {}
    for i, (term, shape) in enumerate(zip(explicit, shapes)):
        for letter, size in zip(term, shape):
            seen = sizes.setdefault(letter, size)
            if size != seen and 1 not in (size, seen):
                raise RuntimeError(f"einsum(): subscript {letter} has size {size} for operand {i} which does not "
                                   f"broadcast with previously seen size {seen}")
            sizes[letter] = max(seen, size)
    if arrow:
        output = output.replace("...", batch)
    else:
        counts = "".join(explicit)
        output = batch + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in batch))
    missing = [c for c in output if c not in sizes]
    if missing:
        raise RuntimeError(f"einsum(): output subscript {missing[0]} does not appear in the equation for any input "
                           "operand")
    return ",".join(explicit) + "->" + output


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


def _with_unit_height(op, input):
    """(N, C, L) or (C, L) as (N, C, 1, L) or (C, 1, L), for the 2-d pooling; torch's error for other inputs."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected 2 to 3 dimensions, (C, L) or (N, C, L), but got {input.ndim}-dimensional "
                           f"tensor of shape {input.shape}")
    return input.unsqueeze(-2)


def _one(value, name, op):
    """A 1-d pooling argument (an int or a 1-tuple) as an int."""
    (value,) = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int or a 1-tuple of ints, got {value!r}")
    return int(value)


def _adaptive_args(op, input, output_size):
    """The batched input (N, C, H, W), whether a batch dim was added, and the output size (None: the input's)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}(): expected 3D or 4D tensor, but got {list(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point input, got dtype {input.dtype}")
    if any(size == 0 for size in input.shape[-2:]):
        raise RuntimeError(f"{op}(): expected input to have non-zero size for non-batch dimensions, but input has "
                           f"sizes {list(input.shape)}")
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, (int, np.integer)) \
        else tuple(output_size)
    if len(sizes) != 2:
        raise RuntimeError(f"{op}: output_size must be 2 (an int or a pair), got {output_size!r}")
    sizes = tuple(int(n) if n is not None else size for n, size in zip(sizes, input.shape[-2:]))
    if min(sizes) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received {sizes}")
    x, added = (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)
    return x, added, sizes


def _per_dim(value, dims, name, input):
    """size or scale_factor as one value per spatial dim, with torch's error when the count is wrong."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims:
        raise ValueError(f"interpolate: input and {name} must have the same number of spatial dimensions, but got "
                         f"input with spatial dimensions of {list(input.shape[2:])} and {name} of "
                         f"{'shape ' if name == 'scale_factor' else ''}{tuple(value)}. Please provide input tensor in "
                         f"(N, C, d1, d2, ...,dK) format and {name} in (s1, s2, ...,sK) format.")
    return values


# ---------------------------------------------------------------- normalisation and embedding

def _check_channel_vectors(op, input, **vectors):
    """Each given per-channel vector (weight, bias, running stats) has shape (C,) for input (N, C, ...)."""
    for name, t in vectors.items():
        if t is not None and tuple(t.shape) != (input.shape[1],):
            raise RuntimeError(f"{op}: expected {name} to be a vector of size equal to the number of channels in "
                               f"input, but got {name} of shape {tuple(t.shape)} and input of shape {input.shape}")


def _trailing_shape(op, input, normalized_shape, **vectors):
    """normalized_shape as a tuple, checked against input's last dims and each given weight's shape."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    if len(normalized_shape) > input.ndim or input.shape[input.ndim - len(normalized_shape):] != normalized_shape:
        raise RuntimeError(f"{op}: given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*{', '.join(map(str, normalized_shape))}], but got input of size {input.shape}")
    for name, t in vectors.items():
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"{op}: expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {tuple(t.shape)} and normalized_shape = {list(normalized_shape)}")
    return normalized_shape


def _check_padding_idx(op, padding_idx, rows):
    """padding_idx within [-rows, rows), made non-negative; None stays None."""
    if padding_idx is None:
        return None
    if not -rows <= padding_idx < rows:
        raise ValueError(f"{op}: padding_idx must be within num_embeddings ({rows}), got {padding_idx}")
    return padding_idx % rows


# ---------------------------------------------------------------- losses: reductions and targets

def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_targets(op, input, target, ignore_index):
    """Integer class targets (N, ...) for input (N, C, ...), range-checked except where ignored (torch's errors)."""
    array = _as_array(target)
    expected = (input.shape[0],) + input.shape[2:]
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected target dtype to be Long or Byte, but got {array.dtype}: targets must be "
                           f"integer class indices of shape {expected} (convert with .long())")
    if array.shape[:1] != expected[:1]:
        raise ValueError(f"{op}: expected input batch_size ({expected[0]}) to match target batch_size "
                         f"({array.shape[0] if array.ndim else 'none, a 0-d target'}); expected targets of shape "
                         f"{expected} for input {input.shape}, got {array.shape}")
    if array.shape != expected:
        raise RuntimeError(f"{op}: expected target size {list(expected)}, got {list(array.shape)} "
                           f"(input shape {input.shape})")
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
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {input.shape[1]} classes or no "
                           f"classes but got weight tensor of shape: {list(array.shape)}")
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
