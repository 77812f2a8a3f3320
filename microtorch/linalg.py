"""microtorch.linalg: vector and matrix norms, inverse, determinant and solve, as torch.linalg."""
import numpy as np

from microtorch import ops
from microtorch._checks import _input, _normalize_dim, _reduction_args
from microtorch._engine import apply as _apply

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "solve"]


def _float_input(op, x):
    if _input(op, x).dtype.kind not in "fc":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype}")
    return x


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector p-norm (sum |x|**ord)**(1/ord) over dim.

    Parameters
    ----------
    x : Tensor
        A floating point tensor.
    ord : number, inf or -inf
        2 by default; 0 counts the nonzero entries, inf / -inf take the largest / smallest |x|.
    dim : int, tuple of ints or None
        The dims to reduce; all of them by default (the tensor is treated as one vector).
    keepdim : bool
        Keep the reduced dims with size 1.

    Returns
    -------
    Tensor
    """
    x = _float_input("linalg.vector_norm", x if dtype is None else _input("linalg.vector_norm", x).to(dtype))
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, inf or -inf, got {ord!r}")
    dim, keepdim = _reduction_args(x, "linalg.vector_norm", dim, keepdim, None, None)
    if x._array.size == 0 and ord in (np.inf, -np.inf):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                           "because the operation does not have an identity")
    return _apply(ops.VectorNorm, x, float(ord), dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm of the two dims in dim.

    Parameters
    ----------
    A : Tensor
        A floating point tensor with at least 2 dims (more are batch dims).
    ord : "fro", "nuc", 1, -1, inf or -inf
        Frobenius (default), nuclear (the sum of the singular values), or the max / min absolute
        column sum (1, -1) or row sum (inf, -inf). The spectral norms (2, -2) are not supported.
    dim : pair of ints
    keepdim : bool

    Returns
    -------
    Tensor
    """
    A = _float_input("linalg.matrix_norm", A if dtype is None else _input("linalg.matrix_norm", A).to(dtype))
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, "
                           f"got shape {A.shape}")
    dim = tuple(dim) if isinstance(dim, (tuple, list)) else dim
    if not isinstance(dim, tuple) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    rows, cols = _normalize_dim(dim, A.ndim, "linalg.matrix_norm")
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord == "nuc":
        out = _apply(ops.NuclearNorm, A.movedim((rows, cols), (-2, -1)))
        return out.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols)) if keepdim else out
    if ord in (1, -1, np.inf, -np.inf):
        summed, across = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(across, keepdim=True) if ord > 0 else sums.amin(across, keepdim=True)
        return out if keepdim else out.squeeze((rows, cols))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported (microtorch supports 'fro', 'nuc', "
                       "1, -1, inf and -inf)")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm when dim is an int (or A is 1-D), a matrix norm when dim is a
    pair (or A is 2-D); with ord=None and dim=None the 2-norm of all entries.

    Parameters
    ----------
    A : Tensor
    ord : number, inf, -inf, "fro", "nuc" or None
    dim : int, pair of ints or None
    keepdim : bool

    Returns
    -------
    Tensor
    """
    A = _input("linalg.norm", A) if dtype is None else _input("linalg.norm", A).to(dtype)
    if isinstance(dim, int) or (isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim)
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim)
    if dim is None:
        if A.ndim == 1:
            return vector_norm(A, ord, None, keepdim)
        if A.ndim != 2:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.ndim}D.")
        dim = (-2, -1)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim)


def _square_matrices(op, A):
    A = _float_input(op, A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        rows, cols = (1,) * (2 - A.ndim) + A.shape[-2:]
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {rows} by {cols} matrices "
                           f"(shape {A.shape})")
    return A


def inv(A):
    """The inverse of a square matrix, or of each matrix in a batch (..., n, n).

    Parameters
    ----------
    A : Tensor
        Invertible float matrices.

    Returns
    -------
    Tensor
        Raises numpy's LinAlgError for a singular matrix (torch raises its own error).
    """
    return _apply(ops.Inverse, _square_matrices("linalg.inv", A))


def det(A):
    """The determinant of a square matrix, or of each matrix in a batch (..., n, n).

    Parameters
    ----------
    A : Tensor

    Returns
    -------
    Tensor
        Of shape A.shape[:-2]. The gradient at a singular matrix is not defined here (torch's is).
    """
    return _apply(ops.Det, _square_matrices("linalg.det", A))


def solve(A, B):
    """X with A @ X = B: B is a vector (n,) or matrices (..., n, k) of right-hand sides.

    Parameters
    ----------
    A : Tensor
        Invertible float matrices (..., n, n).
    B : Tensor
        Of A's dtype.

    Returns
    -------
    Tensor
        X, shaped like B (broadcast over batch dims).
    """
    A = _square_matrices("linalg.solve", A)
    B = _float_input("linalg.solve", B)
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {A.dtype} "
                           f"and B of type {B.dtype} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if B.ndim == 0 or (B.shape[-1] if vector else B.shape[-2]) != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({'x'.join(map(str, A.shape[-2:]))} and {'x'.join(map(str, B.shape))})")
    if vector:
        return _apply(ops.Solve, A, B.unsqueeze(-1)).squeeze(-1)
    return _apply(ops.Solve, A, B)
