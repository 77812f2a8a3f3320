"""Embedding: a lookup table of learnable vectors."""
import numpy as np

from microtorch._checks import _check_padding_idx
from microtorch.nn import functional as F
from microtorch.nn import init
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter
from microtorch.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """A lookup table of num_embeddings learnable vectors, as torch.nn.Embedding.

    Parameters
    ----------
    num_embeddings, embedding_dim : int
        The table's shape.
    padding_idx : int, optional
        That row starts at zero and never learns.
    max_norm : float, optional
        Rows looked up whose norm_type-norm exceeds it are scaled down to it, in the table itself.
    norm_type : float
        The p of the p-norm for max_norm.
    scale_grad_by_freq : bool
        Divide each row's gradient by how often a batch looks it up.
    sparse : bool
        Only False: microtorch has no sparse gradients.
    _weight : Tensor, optional
        The table to use instead of N(0, 1) values (what from_pretrained passes).
    _freeze : bool
        The weight needs no gradient.

    Shape
    -----
    Input: integer indices of any shape; output input.shape + (embedding_dim,).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, dtype=np.float32):
        super().__init__()
        padding_idx = _check_padding_idx("Embedding", padding_idx, num_embeddings)
        if sparse:
            raise ValueError("Embedding: sparse=True is not supported (microtorch has no sparse gradients)")
        if _weight is not None and tuple(_weight.shape) != (num_embeddings, embedding_dim):
            raise ValueError(f"Embedding: shape of weight {tuple(_weight.shape)} does not match num_embeddings and "
                             f"embedding_dim ({num_embeddings}, {embedding_dim})")
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            init.normal_(self.weight)
            if padding_idx is not None:
                self.weight._array[padding_idx] = 0
        else:
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is embeddings (2-D, used as is, padding row included), as torch's.

        Parameters
        ----------
        embeddings : Tensor
            (num_embeddings, embedding_dim).
        freeze : bool
            The table does not learn (weight.requires_grad is False).
        padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse
            As for Embedding.

        Returns
        -------
        Embedding
        """
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings parameter is expected to be 2-dimensional, got "
                             f"{getattr(embeddings, 'shape', type(embeddings).__name__)}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings,
                   _freeze=freeze)

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        return text
