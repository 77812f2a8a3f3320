"""Loss functions."""
from microtorch import ops
from microtorch._checks import (_as_array, _as_tensor, _batched_classes, _check_reduction, _class_targets,
                                _class_weight, _constant, _input, _pointwise_target)
from microtorch._engine import apply as _apply

__all__ = ["mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "l1_loss", "huber_loss", "smooth_l1_loss"]


def mse_loss(input, target, reduction="mean"):
    """Mean (or sum) of squared differences; input and target broadcast as in PyTorch."""
    _check_reduction("mse_loss", reduction)
    target = _pointwise_target("mse_loss", input, target)
    return _apply(ops.MSELoss, input, target, reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C, ...) at integer targets (N, ...)."""
    _check_reduction("nll_loss", reduction)
    input, target, added = _batched_classes("nll_loss", input, target)
    target = _class_targets("nll_loss", input, target, ignore_index)
    out = _apply(ops.NLLLoss, input, target, _class_weight("nll_loss", weight, input), ignore_index, reduction)
    return out.squeeze(0) if added and reduction == "none" else out


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits against class indices or class probabilities, as
    torch.nn.functional.cross_entropy.

    Parameters
    ----------
    input : Tensor
        Logits (N, C, d1, ...), or (C,) for one sample.
    target : Tensor or array
        Integer class indices (N, d1, ...) (or a 0-d index for (C,) input), or, shaped like
        input, floating-point class probabilities.
    weight : Tensor or array, optional
        (C,): each class's weight. "mean" then divides by the summed weights of the targets.
    ignore_index : int
        Class-index targets equal to it add nothing and count for nothing in the mean.
    reduction : {"mean", "sum", "none"}
    label_smoothing : float
        In [0, 1]: the target mixes (1 - label_smoothing) of itself with label_smoothing of the uniform
        distribution over the classes.

    Returns
    -------
    Tensor
        0-d, or (N, d1, ...) with reduction="none".

    Notes
    -----
    int32 class indices are accepted, where torch wants int64 (or uint8).
    """
    _check_reduction("cross_entropy", reduction)
    _input("cross_entropy", input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    value, array = target, _as_array(target)
    probabilities = array.shape == input.shape  # as torch: targets shaped like the input are probabilities
    input, target, added = _batched_classes("cross_entropy", input, target)
    if probabilities:
        if array.dtype.kind != "f":
            raise RuntimeError(f"cross_entropy: expected floating point type for target with class probabilities, "
                               f"got {array.dtype} (class indices have shape {(input.shape[0],) + input.shape[2:]})")
        if ignore_index >= 0:
            raise RuntimeError("cross_entropy: ignore_index is not supported for floating point target")
        target = _as_tensor(value, input, "cross_entropy")
        if added:
            target = target.unsqueeze(0)
    else:
        target = _class_targets("cross_entropy", input, target, ignore_index)
    out = _apply(ops.CrossEntropy, input, target, reduction, _class_weight("cross_entropy", weight, input),
                 ignore_index, float(label_smoothing))
    return out.squeeze(0) if added and reduction == "none" else out


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; logs are clamped at -100."""
    _check_reduction("binary_cross_entropy", reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy: target shape {target.shape} must match input shape {input.shape}")
    if input._array.size and (input._array.min() < 0 or input._array.max() > 1):
        raise RuntimeError("binary_cross_entropy: all input values must be between 0 and 1 "
                           "(apply sigmoid first, or use binary_cross_entropy_with_logits)")
    return _apply(ops.BinaryCrossEntropy, input, target, _constant("binary_cross_entropy", weight, input, "weight"),
                  reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """sigmoid + binary cross-entropy in one stable op; pos_weight multiplies the positive examples' term."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} must match input shape "
                         f"{input.shape}")
    op = "binary_cross_entropy_with_logits"
    return _apply(ops.BinaryCrossEntropyWithLogits, input, target, _constant(op, weight, input, "weight"),
                  _constant(op, pos_weight, input, "pos_weight"), reduction)


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
    return _apply(ops.HuberLoss, input, _pointwise_target("huber_loss", input, target), delta, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """huber_loss(delta=beta) / beta: ``0.5 d^2 / beta`` below beta, ``|d| - beta / 2`` beyond; l1_loss for beta=0."""
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return _apply(ops.HuberLoss, input, _pointwise_target("smooth_l1_loss", input, target), beta, reduction) / beta
