"""embedding: rows of a weight matrix picked by integer indices."""
from microtorch import ops
from microtorch._checks import _as_array, _out_of_range
from microtorch._engine import apply as _apply

__all__ = ["embedding"]


def embedding(input, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by the integer tensor input; padding_idx's row gets no gradient."""
    indices = _as_array(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype} (convert with .long())")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {weight.shape}")
    rows = weight.shape[0]
    bad = _out_of_range(indices, rows)
    if bad is not None:
        raise IndexError(f"embedding: index {bad} is out of range for {rows} embeddings")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings {rows}")
        padding_idx %= rows
    return _apply(ops.Embedding, weight, indices, padding_idx)
