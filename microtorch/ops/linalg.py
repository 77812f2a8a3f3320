"""Matrix products."""
import numpy as np

from microtorch.autograd.function import Function


def _matmul(a, b):
    """a @ b; a stack of matrices times one matrix (x @ w.T on a (N, T, in) batch) as one 2-D product,
    which BLAS runs as one call rather than numpy's loop over the stack."""
    if a.ndim > 2 and b.ndim == 2:
        return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[-1],))
    return a @ b


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _matmul(a, b)

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
            grad_a = _matmul(grad, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if need_b:
            if a2.ndim > 2 and b.ndim == 2:  # b was shared by every matrix of the stack: one product sums them
                grad_b = a2.reshape(-1, a2.shape[-1]).T @ grad.reshape(-1, grad.shape[-1])
            elif a2.ndim == 2 and b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous:
                # b is a transposed view (x @ w.T in Linear): computing its gradient the same way round
                # leaves w's gradient contiguous, so the optimizer's update runs at full speed.
                grad_b = (grad.T @ a2).T
            else:
                grad_b = np.swapaxes(a2, -1, -2) @ grad
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b
