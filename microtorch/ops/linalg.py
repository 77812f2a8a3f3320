"""Matrix products."""
import math

import numpy as np

from microtorch.autograd.function import Function
from microtorch.ops.reduce import sum_leading


def _matmul(a, b):
    """a @ b; a stack of matrices times one matrix (x @ w.T on a (N, T, in) batch) as one 2-D product,
    which BLAS runs as one call rather than numpy's loop over the stack."""
    if a.ndim > 2 and b.ndim == 2:
        return (_rows(a) @ b).reshape(a.shape[:-1] + (b.shape[-1],))
    return a @ b


def _rows(a):
    """a as a matrix of its last dim's vectors (a (N, T, in) batch as (N * T, in))."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


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
                grad_b = _rows(a2).T @ _rows(grad)
            elif (a2.ndim == 2 and b.ndim == 2 and isinstance(b, np.ndarray)
                  and b.flags.f_contiguous and not b.flags.c_contiguous):
                # b is a transposed view (x @ w.T in Linear): computing its gradient the same way round
                # leaves w's gradient contiguous, so the optimizer's update runs at full speed.
                grad_b = (grad.T @ a2).T
            else:
                grad_b = np.swapaxes(a2, -1, -2) @ grad
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


class Linear(Function):
    """x @ weight.T + bias as one op (torch's addmm), for x of at least 2 dims: backward is two
    products and the bias's sum, with no transpose or broadcast nodes in between. bias may be None.
    F.linear uses it for inputs of more than 2 dims (a batch of sequences)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = _matmul(x, weight.T)
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def decomposition(x, weight, bias):
        """The same product from recorded ops, differentiated by a create_graph backward."""
        out = x @ weight.T
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        grad_x = _matmul(grad, weight) if need_x else None
        # every row of the batch adds to the weight's gradient: one (out, N) @ (N, in) product sums them
        grad_weight = _rows(grad).T @ _rows(x) if need_weight else None
        grad_bias = sum_leading(grad, grad.shape[-1:]) if need_bias else None
        return grad_x, grad_weight, grad_bias


class NuclearNorm(Function):
    """The sum of the singular values of the last two dims; its gradient is U @ V^T of the SVD."""

    @staticmethod
    def forward(ctx, a):
        u, singular, vt = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vt)
        return singular.sum(axis=-1)

    @staticmethod
    def backward(ctx, grad):
        u, vt = ctx.saved_tensors
        return grad[..., None, None] * (u @ vt)


class Einsum(Function):
    """np.einsum over an explicit equation ("ij,jk->ik": no "...", output written out). Operand k's
    gradient is the einsum of the output's gradient with the other operands, written to k's subscripts."""

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return np.einsum(equation, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, grad):
        inputs, output = ctx.equation.split("->")
        subscripts = inputs.split(",")
        operands = ctx.saved_tensors
        grads = [None]
        for k, needed in enumerate(ctx.needs_input_grad[1:]):
            others = [(s, x) for i, (s, x) in enumerate(zip(subscripts, operands)) if i != k]
            grads.append(_einsum_grad(subscripts[k], operands[k].shape, output, grad, others) if needed else None)
        return tuple(grads)


def _einsum_grad(subscript, shape, output, grad, others):
    """The gradient of one einsum operand with subscript and shape, given the other (subscript, array)s."""
    letters = list(dict.fromkeys(subscript))  # each letter once, in order ("ii" is one letter: a diagonal)
    sizes = dict(zip(subscript, shape))
    reachable = set(output).union(*(s for s, _ in others))
    present = "".join(letter for letter in letters if letter in reachable)
    terms = ",".join([output, *(s for s, _ in others)])
    g = np.einsum(f"{terms}->{present}", grad, *(x for _, x in others), optimize=len(others) > 1)
    # a letter only this operand has was summed away: each of its entries gets the same gradient
    g = g.reshape([g.shape[present.index(letter)] if letter in present else 1 for letter in letters])
    # a size-1 dim that broadcast against the others: sum its gradient back
    broadcast = tuple(i for i, letter in enumerate(letters) if sizes[letter] == 1 and g.shape[i] != 1)
    g = np.broadcast_to(g.sum(axis=broadcast, keepdims=True), [sizes[letter] for letter in letters])
    if len(letters) == len(subscript):
        return g
    grad_x = np.zeros(shape, dtype=g.dtype)  # a repeated letter read a diagonal: write back to it
    grid = np.ix_(*(np.arange(sizes[letter]) for letter in letters))
    grad_x[tuple(grid[letters.index(letter)] for letter in subscript)] = g
    return grad_x


class Inverse(Function):
    """The inverse of square matrices (batched); d(A^-1) = -A^-1 dA A^-1."""

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.inv(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (inverse,) = ctx.saved_tensors
        inverse_t = np.swapaxes(inverse, -1, -2)
        return -inverse_t @ grad @ inverse_t


class Det(Function):
    """The determinant of square matrices (batched); d det(A) / dA = det(A) * A^-T."""

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return (grad * out)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)


class Solve(Function):
    """X with A @ X = B (batched; B a matrix of right-hand sides). grad_B = A^-T grad, grad_A = -grad_B X^T."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.linalg.solve(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        grad_b = np.linalg.solve(np.swapaxes(a, -1, -2), grad)
        return -grad_b @ np.swapaxes(out, -1, -2), grad_b
