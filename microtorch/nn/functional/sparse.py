"""Sparse functions: embedding (rows of a weight matrix picked by integer indices) and one_hot."""
import numpy as np

from microtorch import ops
from microtorch._checks import _as_array, _check_padding_idx, _out_of_range
from microtorch._engine import apply as _apply
from microtorch.tensor import Tensor

__all__ = ["embedding", "one_hot"]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of weight picked by integer indices, as torch.nn.functional.embedding.

    Parameters
    ----------
    input : Tensor or array of ints
        The indices, any shape.
    weight : Tensor
        (num_embeddings, embedding_dim).
    padding_idx : int, optional
        That row gets no gradient.
    max_norm : float, optional
        Rows picked by input whose norm_type-norm exceeds it are first scaled down in place to
        max_norm (in weight itself, without gradient), as torch.
    norm_type : float
        The p of the p-norm for max_norm.
    scale_grad_by_freq : bool
        Divide each row's gradient by how often input picks it.
    sparse : bool
        Only False: microtorch has no sparse gradients.

    Returns
    -------
    Tensor
        input.shape + (embedding_dim,).
    """
    indices = _as_array(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype} (convert with .long())")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {weight.shape}")
    if sparse:
        raise ValueError("embedding: sparse=True is not supported (microtorch has no sparse gradients)")
    rows = weight.shape[0]
    bad = _out_of_range(indices, rows)
    if bad is not None:
        raise IndexError(f"embedding: index {bad} is out of range for {rows} embeddings")
    padding_idx = _check_padding_idx("embedding", padding_idx, rows)
    if max_norm is not None:
        _renorm_rows(weight._array, np.unique(indices), max_norm, norm_type)
    return _apply(ops.Embedding, weight, indices, padding_idx, bool(scale_grad_by_freq))


def _renorm_rows(table, rows, max_norm, norm_type):
    """Scale the given rows of table whose norm exceeds max_norm down to it, in place (torch's embedding_renorm_)."""
    norms = np.linalg.norm(table[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    table[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(table.dtype)


def one_hot(tensor, num_classes=-1):
    """An int64 tensor with a 1 at each index along a new last dim, as torch.nn.functional.one_hot.

    Parameters
    ----------
    tensor : Tensor of ints
        Class indices, any shape, each in [0, num_classes).
    num_classes : int
        The size of the new last dim; -1 means one more than the largest index.

    Returns
    -------
    Tensor
        int64, tensor.shape + (num_classes,); it needs no gradient.

    Notes
    -----
    Any integer dtype is accepted, where torch wants int64.
    """
    indices = _as_array(tensor)
    if indices.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor (an integer tensor), got "
                           f"dtype {indices.dtype}")
    if num_classes == -1:
        if indices.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor; pass num_classes")
        num_classes = int(indices.max()) + 1
    if indices.size and indices.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {indices.min()}")
    if indices.size and indices.max() >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes ({num_classes}), got "
                           f"{indices.max()}")
    return Tensor((indices[..., None] == np.arange(num_classes)).astype(np.int64))
