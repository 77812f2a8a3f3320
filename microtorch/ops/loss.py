"""Losses: each a fused forward and backward, reduced by "mean", "sum" or "none"."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.activation import _log_softmax, _sigmoid
from microtorch.ops.index import _along_dim, _scatter_add


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted_mean(loss, total_weight):
    """loss.sum() / total_weight as a 0-d array; nan, quietly as in torch, when every target is ignored."""
    with np.errstate(invalid="ignore", divide="ignore"):
        total = loss.sum() / total_weight
        return total if not isinstance(total, (np.ndarray, np.generic)) else np.asarray(total)


class MSELoss(Function):
    @staticmethod
    def forward(ctx, prediction, target, reduction):
        ctx.save_for_backward(prediction, target)
        ctx.reduction = reduction
        diff = prediction - target
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        prediction, target = ctx.saved_tensors
        diff = prediction - target
        scale = 2 / np.size(diff) if ctx.reduction == "mean" else 2
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


def _class_axis(weight, ndim):
    """Per-class weights shaped to broadcast along dim 1 of (N, C, d1, ...)."""
    return weight.reshape((1, len(weight)) + (1,) * (ndim - 2))


def _coefficients(logits, target, weight, ignore_index, label_smoothing):
    """Each class's coefficient a in a sample's loss -sum_c a_c * log_softmax_c, and what "mean" divides by."""
    classes, ndim = logits.shape[1], logits.ndim
    class_weight = 1 if weight is None else _class_axis(weight, ndim)
    if target.dtype.kind in "iu":
        safe_target, sample_weight = _class_target_weights(target, weight, ignore_index, logits.dtype)
        one_hot = np.arange(classes).reshape((1, classes) + (1,) * (ndim - 2)) == safe_target[:, None]
        kept = (target != ignore_index)[:, None]
        smoothed = (1 - label_smoothing) * one_hot + label_smoothing / classes
        return (class_weight * smoothed * kept).astype(logits.dtype), sample_weight.sum()
    return class_weight * ((1 - label_smoothing) * target + label_smoothing / classes), np.size(target) // classes


def _reduce_by(loss, reduction, divisor):
    return _weighted_mean(loss, divisor) if reduction == "mean" else _reduce(loss, reduction)


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
            ctx.save_for_backward(log_probs, logits)
            ctx.reduction, ctx.divisor, ctx.target = reduction, len(target), target
            loss = -log_probs[np.arange(len(target)), target]
            return np.asarray(loss.sum() / len(target)) if reduction == "mean" else _reduce(loss, reduction)
        coefficients, divisor = _coefficients(logits, target, weight, ignore_index, label_smoothing)
        ctx.save_for_backward(log_probs, coefficients, logits, target)
        ctx.reduction, ctx.divisor = reduction, divisor
        ctx.target_scale = -(1 - label_smoothing) * (1 if weight is None else _class_axis(weight, logits.ndim))
        return _reduce_by(-(coefficients * log_probs).sum(axis=1), reduction, divisor)

    @staticmethod
    def decomposition(logits, target, reduction, weight=None, ignore_index=-100, label_smoothing=0.0):
        """The same loss from recorded ops, differentiated by a create_graph backward."""
        coefficients, divisor = _coefficients(logits, target, weight, ignore_index, label_smoothing)
        return _reduce_by(-(coefficients * logits.log_softmax(1)).sum(1), reduction, divisor)

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduction == "mean" and ctx.divisor:  # a zero divisor: every target ignored, every coefficient 0
            grad = grad / ctx.divisor
        elif ctx.reduction == "none":
            grad = np.expand_dims(grad, 1)
        if len(ctx.saved_tensors) == 2:  # the common case: softmax minus the one-hot target
            log_probs, _ = ctx.saved_tensors
            grad_logits = np.exp(log_probs)
            grad_logits[np.arange(len(ctx.target)), ctx.target] -= 1
            grad_logits *= grad
            return grad_logits, None, None, None, None, None
        log_probs, coefficients, _, _ = ctx.saved_tensors
        need_logits, need_target = ctx.needs_input_grad[:2]
        grad_logits = grad_target = None
        if need_logits:
            grad_logits = (np.exp(log_probs) * coefficients.sum(axis=1, keepdims=True) - coefficients) * grad
        if need_target:  # probability targets only: integer tensors never need a gradient
            grad_target = ctx.target_scale * log_probs * grad
        return grad_logits, grad_target, None, None, None, None


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
            return _weighted_mean(loss, sample_weight.sum())
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        scale = -ctx.sample_weight
        if ctx.reduction == "mean" and ctx.sample_weight.sum():  # zero: every target ignored, every scale 0
            scale = scale / ctx.sample_weight.sum()
        # zeros with each sample's gradient at its target's class (a recorded scatter)
        where = _along_dim(ctx.picked_target[:, None], 1)
        return _scatter_add(ctx.shape, where, (grad * scale)[:, None]), None, None, None, None


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
    def decomposition(p, t, weight, reduction):
        """The same loss from recorded ops, differentiated by a create_graph backward."""
        loss = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))
        return _reduce(loss if weight is None else loss * weight, reduction)

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
    def decomposition(x, t, weight, pos_weight, reduction):
        """The same loss from recorded ops, differentiated by a create_graph backward."""
        softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))   # log(1 + exp(-x)), stably
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + log_weight * softplus_neg
        return _reduce(loss if weight is None else loss * weight, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, softplus_neg = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        if ctx.reduction == "mean":
            grad = grad / x.size
        if ctx.weight is not None:
            grad = grad * ctx.weight
        pos_weight = 1 if ctx.pos_weight is None else ctx.pos_weight
        sigmoid_neg = _sigmoid(-x)
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
        ctx.save_for_backward(prediction, target)
        ctx.delta, ctx.reduction = delta, reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        prediction, target = ctx.saved_tensors
        diff = prediction - target
        if ctx.reduction == "mean":
            grad = grad / np.size(diff)
        grad_prediction = grad * np.clip(diff, -ctx.delta, ctx.delta)
        need_prediction, need_target = ctx.needs_input_grad[:2]
        return (grad_prediction if need_prediction else None,
                -grad_prediction if need_target else None, None, None)
