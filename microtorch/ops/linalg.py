"""Matrix products."""
import math

import numpy as np

from microtorch._engine import TensorBase
from microtorch.autograd.function import Function, run
from microtorch.ops.index import _scatter_add
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
        ctx.save_for_backward(x, weight, bias)   # all three, for the decomposition (a bias that is not a leaf)
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
        x, weight, _ = ctx.saved_tensors
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
        ctx.save_for_backward(a)
        ctx.u, ctx.vt = u, vt   # constants: a create_graph backward recomputes U V^T as a recorded PolarFactor
        return singular.sum(axis=-1)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        polar = run(PolarFactor, a) if isinstance(a, TensorBase) else ctx.u @ ctx.vt
        return grad[..., None, None] * polar


class PolarFactor(Function):
    """U @ V^T of the thin SVD of the last two dims: the gradient of the nuclear norm, an op of its
    own so that the nuclear norm has a second derivative. With A = U S V^T (A tall), a change dA moves
    it by U X V^T + (I - U U^T) dA V S^-1 V^T, where X = (M - M^T) / (s_i + s_j) and M = U^T dA V."""

    once_differentiable = True   # its backward uses the SVD as constants

    @staticmethod
    def forward(ctx, a):
        wide = a.shape[-1] > a.shape[-2]
        u, singular, vt = np.linalg.svd(np.swapaxes(a, -1, -2) if wide else a, full_matrices=False)
        ctx.wide, ctx.svd = wide, (u, singular, vt)
        polar = u @ vt
        return np.swapaxes(polar, -1, -2) if wide else polar

    @staticmethod
    def backward(ctx, grad):
        u, singular, vt = ctx.svd
        v, ut = np.swapaxes(vt, -1, -2), np.swapaxes(u, -1, -2)
        grad = np.swapaxes(grad, -1, -2) if ctx.wide else grad   # the polar factor of A^T is Q^T
        k = ut @ grad @ v
        rotation = u @ ((k - np.swapaxes(k, -1, -2)) / (singular[..., :, None] + singular[..., None, :])) @ vt
        leftover = (grad - u @ (ut @ grad)) @ (v / singular[..., None, :]) @ vt   # the part outside U's span
        grad_a = rotation + leftover
        return np.swapaxes(grad_a, -1, -2) if ctx.wide else grad_a


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
    # a repeated letter read a diagonal: its gradient goes back there (a recorded op under create_graph)
    grid = np.ix_(*(np.arange(sizes[letter]) for letter in letters))
    return _scatter_add(shape, tuple(grid[letters.index(letter)] for letter in subscript), g)


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
        return (grad * out)[..., None, None] * np.swapaxes(run(Inverse, a), -1, -2)


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
        grad_b = run(Solve, np.swapaxes(a, -1, -2), grad)
        return -grad_b @ np.swapaxes(out, -1, -2), grad_b
