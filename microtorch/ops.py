"""The built-in ops: each a numpy forward and its backward, side by side.

Conventions (see microtorch.autograd.Function):
- forward(ctx, ...) receives numpy arrays for tensor inputs, returns one array;
- backward(ctx, grad) returns one gradient per forward input (None where not needed);
- gradients may keep the broadcast shape: the engine sums them back to each input.
"""
import numpy as np

from microtorch.autograd import Function


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


def _expand_reduced(grad, shape, dim, keepdim):
    """Broadcast a reduction's gradient back to the input's shape (a view, no copy)."""
    if dim is not None and not keepdim:
        grad = np.expand_dims(grad, dim)
    return np.broadcast_to(grad, shape)


# ---------------------------------------------------------------- arithmetic

class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -grad * a / (b * b) if need_b else None
        return grad_a, grad_b


class Pow(Function):
    @staticmethod
    def forward(ctx, base, exponent):
        out = base ** exponent
        ctx.save_for_backward(base, exponent, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        base, exponent, out = ctx.saved_tensors
        need_base, need_exponent = ctx.needs_input_grad
        grad_base = grad_exponent = None
        if need_base:
            # 0 where the exponent is 0, even at base 0 (not 0 * inf = nan), as in PyTorch
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_base = grad * np.where(exponent == 0, 0.0, exponent * base ** (exponent - 1))
        # d/de b**e = b**e * log(b); where b == 0 PyTorch defines the result as 0.
        if need_exponent:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_exponent = grad * out * np.where(base == 0, 0.0, np.log(np.where(base == 0, 1, base)))
        return grad_base, grad_exponent


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # Treat 1-D operands as matrices, as numpy does, then drop the added axis again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # first, so that a 0-d grad (vector @ vector) gains its axes in order
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        grad_a = grad_b = None
        if need_a:
            grad_a = grad @ np.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if need_b:
            if a2.ndim == 2 and b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous:
                # b is a transposed view (x @ w.T in Linear): computing its gradient the same way round
                # leaves w's gradient contiguous, so the optimizer's update runs at full speed.
                grad_b = (grad.T @ a2).T
            else:
                grad_b = np.swapaxes(a2, -1, -2) @ grad
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


# ---------------------------------------------------------------- elementwise

class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # exp of a non-positive number only, so large |x| cannot overflow
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


# ---------------------------------------------------------------- reductions

class Sum(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        return x.sum(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _expand_reduced(grad, ctx.shape, ctx.dim, ctx.keepdim), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        out = x.mean(axis=dim, keepdims=keepdim)
        ctx.count = x.size // max(out.size, 1) if x.size else 0
        return out

    @staticmethod
    def backward(ctx, grad):
        return _expand_reduced(grad / ctx.count, ctx.shape, ctx.dim, ctx.keepdim), None, None


class Max(Function):
    """max over one dim sends the gradient to the first maximum (torch.max(x, dim));
    over all dims or a tuple of dims it is shared evenly between ties (torch.amax)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        if x.size == 0:
            raise RuntimeError(f"max: cannot reduce an empty tensor of shape {x.shape}")
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        if isinstance(dim, int):
            ctx.index = np.expand_dims(np.argmax(x, axis=dim), dim)
            out = np.take_along_axis(x, ctx.index, axis=dim)
            return out if keepdim else np.squeeze(out, dim)
        out = x.max(axis=dim, keepdims=keepdim)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if isinstance(ctx.dim, int):
            grad_x = np.zeros_like(x, dtype=grad.dtype)
            g = grad if ctx.keepdim else np.expand_dims(grad, ctx.dim)
            np.put_along_axis(grad_x, ctx.index, g, axis=ctx.dim)
            return grad_x, None, None
        out = ctx.out if ctx.keepdim or ctx.dim is None else np.expand_dims(ctx.out, ctx.dim)
        g = grad if ctx.keepdim or ctx.dim is None else np.expand_dims(grad, ctx.dim)
        ties = x == out
        return ties * (g / ties.sum(axis=ctx.dim, keepdims=True)), None, None


# ---------------------------------------------------------------- shapes

class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = sorted(range(len(ctx.dims)), key=ctx.dims.__getitem__)  # argsort, without an array
        return np.transpose(grad, inverse), None


class Transpose(Function):
    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dim0, ctx.dim1 = dim0, dim1
        return np.swapaxes(x, dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return np.swapaxes(grad, ctx.dim0, ctx.dim1), None, None


# ---------------------------------------------------------------- indexing

def _is_basic_index(index):
    """True when index selects each element at most once (no integer arrays)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype != np.bool_:
            return False
        if isinstance(part, (list, tuple)):
            return False
    return True


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        grad_x = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic_index(ctx.index):
            grad_x[ctx.index] = grad
        else:
            np.add.at(grad_x, ctx.index, grad)  # repeated indices add up
        return grad_x, None


class SetItem(Function):
    """x[index] = value as a new tensor: the old x gets no gradient where it was overwritten."""

    @staticmethod
    def forward(ctx, x, index, value):
        ctx.index = index
        ctx.value_shape = np.shape(value)
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, _, need_value = ctx.needs_input_grad
        grad_x = grad_value = None
        if need_x:
            grad_x = grad.copy()
            grad_x[ctx.index] = 0
        if need_value:
            grad_value = grad[ctx.index]
        return grad_x, None, grad_value


# ---------------------------------------------------------------- joining

class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.boundaries = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *np.split(grad, ctx.boundaries, axis=ctx.dim))


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, *np.moveaxis(grad, ctx.dim, 0))


# ---------------------------------------------------------------- nn functions

def _log_softmax(x, dim):
    """log(softmax(x)) along dim, shifted by the maximum so that exp cannot overflow."""
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        shifted = np.exp(x - x.max(axis=dim, keepdims=True))
        out = shifted / shifted.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return out * (grad - (grad * out).sum(axis=ctx.dim, keepdims=True)), None


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p, rng):
        # inverted dropout: scale the kept units so evaluation needs no rescaling
        mask = (rng.random(x.shape) >= p).astype(x.dtype) / (1 - p)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask, None, None


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


class MSELoss(Function):
    @staticmethod
    def forward(ctx, prediction, target, reduction):
        diff = prediction - target
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        scale = 2 / diff.size if ctx.reduction == "mean" else 2
        grad_prediction = (grad * scale) * diff
        need_prediction, need_target, _ = ctx.needs_input_grad
        return (grad_prediction if need_prediction else None,
                -grad_prediction if need_target else None, None)


def _class_target_weights(target, weight, ignore_index, dtype):
    """Class targets with ignored entries replaced by class 0, and each sample's weight (0 where ignored)."""
    kept = target != ignore_index
    safe_target = np.where(kept, target, 0)
    sample_weight = kept.astype(dtype) if weight is None else weight[safe_target].astype(dtype) * kept
    return safe_target, sample_weight


class CrossEntropy(Function):
    """Log-softmax and negative log-likelihood in one op, as torch.nn.functional.cross_entropy.

    logits (N, C, ...); target holds class indices (N, ...) or class probabilities shaped like
    the logits. Each sample's loss is -sum_c a_c * log_softmax_c, where the coefficients a mix
    the one-hot (or given) target with the uniform distribution (label smoothing) and weigh
    each class; ignored samples get a = 0. "mean" divides by the summed target weights.
    """

    @staticmethod
    def forward(ctx, logits, target, reduction, weight=None, ignore_index=-100, label_smoothing=0.0):
        log_probs = _log_softmax(logits, 1)
        if (logits.ndim == 2 and target.dtype.kind in "iu" and weight is None and label_smoothing == 0
                and not (target == ignore_index).any()):
            # The common case in fewer kernels: each sample's loss is minus its target's log-probability.
            ctx.save_for_backward(log_probs)
            ctx.reduction, ctx.divisor, ctx.target = reduction, len(target), target
            loss = -log_probs[np.arange(len(target)), target]
            return np.asarray(loss.sum() / len(target)) if reduction == "mean" else _reduce(loss, reduction)
        classes = logits.shape[1]
        class_weight = 1 if weight is None else weight.reshape((1, classes) + (1,) * (logits.ndim - 2))
        if target.dtype.kind in "iu":
            safe_target, sample_weight = _class_target_weights(target, weight, ignore_index, logits.dtype)
            one_hot = np.zeros_like(log_probs)
            np.put_along_axis(one_hot, safe_target[:, None], 1, axis=1)
            kept = (target != ignore_index)[:, None]
            coefficients = class_weight * ((1 - label_smoothing) * one_hot + label_smoothing / classes) * kept
            divisor = sample_weight.sum()
        else:
            coefficients = class_weight * ((1 - label_smoothing) * target + label_smoothing / classes)
            divisor = log_probs.size // classes
        loss = -(coefficients * log_probs).sum(axis=1)
        ctx.save_for_backward(log_probs, coefficients)
        ctx.reduction, ctx.divisor = reduction, divisor
        ctx.target_scale = -(1 - label_smoothing) * class_weight
        if reduction == "mean":
            return np.asarray(loss.sum() / divisor)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduction == "mean":
            grad = grad / ctx.divisor
        elif ctx.reduction == "none":
            grad = np.expand_dims(grad, 1)
        if len(ctx.saved_tensors) == 1:  # the common case: softmax minus the one-hot target
            (log_probs,) = ctx.saved_tensors
            grad_logits = np.exp(log_probs)
            grad_logits[np.arange(len(ctx.target)), ctx.target] -= 1
            grad_logits *= grad
            return grad_logits, None, None, None, None, None
        log_probs, coefficients = ctx.saved_tensors
        need_logits, need_target = ctx.needs_input_grad[:2]
        grad_logits = grad_target = None
        if need_logits:
            grad_logits = (np.exp(log_probs) * coefficients.sum(axis=1, keepdims=True) - coefficients) * grad
        if need_target:  # probability targets only: integer tensors never need a gradient
            grad_target = ctx.target_scale * log_probs * grad
        return grad_logits, grad_target, None, None, None, None
