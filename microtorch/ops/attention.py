"""Attention: softmax(q @ k.T * scale + mask) @ v as one op, so that backward is a handful of matmuls."""
import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.activation import _exp_shifted
from microtorch.ops.reduce import sum_last


def _masked_softmax(scores):
    """softmax over the last axis; a row that is -inf everywhere (masked out) gives zeros, as torch."""
    exp, total = _exp_shifted(scores, scores.ndim - 1)
    total[total == 0] = 1
    exp /= total
    return exp


class ScaledDotProductAttention(Function):
    """softmax(query @ key.T * scale + mask) (times a dropout multiplier `keep`) @ value.

    mask is an additive float array broadcastable to the scores (0 to attend, -inf not to) or
    None; keep is the dropout multiplier (0 or 1/(1-p)) or None. Neither gets a gradient.
    """

    @staticmethod
    def forward(ctx, query, key, value, mask, scale, keep):
        scores = query @ np.swapaxes(key, -1, -2)
        scores *= scale
        if mask is not None:
            scores += mask
        probs = _masked_softmax(scores)
        weights = probs if keep is None else probs * keep
        ctx.save_for_backward(query, key, value, probs, keep)
        ctx.scale = scale
        return weights @ value

    @staticmethod
    def decomposition(query, key, value, mask, scale, keep):
        """The same attention from recorded ops, differentiated by a create_graph backward."""
        scores = (query @ np.swapaxes(key, -1, -2)) * scale
        attends = 1.0
        if mask is not None:   # -inf becomes a huge negative number; rows with nothing to attend give zeros
            scores = scores + np.where(np.isfinite(mask), mask, -1e30)
            attends = np.isfinite(mask).any(axis=-1, keepdims=True)
        weights = scores.softmax(-1) * attends
        return (weights if keep is None else weights * keep) @ value

    @staticmethod
    def backward(ctx, grad):
        query, key, value, probs, keep = ctx.saved_tensors
        need_q, need_k, need_v = ctx.needs_input_grad[:3]
        weights = probs if keep is None else probs * keep
        grad_v = np.swapaxes(weights, -1, -2) @ grad if need_v else None
        grad_q = grad_k = None
        if need_q or need_k:
            grad_w = grad @ np.swapaxes(value, -1, -2)
            if keep is not None:
                grad_w *= keep
            grad_s = grad_w * probs   # = probs * (grad_w - rows of grad_w . probs) * scale, in place
            grad_s -= probs * sum_last(grad_s)
            grad_s *= ctx.scale
            grad_q = grad_s @ key if need_q else None
            grad_k = np.swapaxes(grad_s, -1, -2) @ query if need_k else None
        return grad_q, grad_k, grad_v, None, None, None
