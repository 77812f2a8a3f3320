"""MultiheadAttention, with torch's parameter names (in_proj_weight, in_proj_bias, out_proj).

torch keeps this class in nn/modules/activation.py; here it has a file of its own, beside the
transformer layers that use it.
"""
import numpy as np

from microtorch import functional as mf
from microtorch._checks import _as_array, _input
from microtorch.creation import zeros
from microtorch.nn import functional as F
from microtorch.nn import init
from microtorch.nn.functional.attention import _additive_mask
from microtorch.nn.linear import Linear
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter

__all__ = ["MultiheadAttention"]


def _merged_mask(attn_mask, key_padding_mask, batch, heads, length, source, dtype):
    """attn_mask and key_padding_mask (bool: True = may NOT attend, or float: added) as one additive
    array broadcastable to the scores (batch, heads, length, source), or None."""
    merged = None
    if attn_mask is not None:
        mask = _as_array(attn_mask)
        expected = (length, source) if mask.ndim == 2 else (batch * heads, length, source)
        if mask.shape != expected:
            raise RuntimeError(f"The shape of the {mask.ndim}D attn_mask is {_size(mask.shape)}, but should be "
                               f"{expected}.")
        merged = _additive_mask(~mask if mask.dtype == np.bool_ else mask, dtype)
        if mask.ndim == 3:
            merged = merged.reshape(batch, heads, length, source)
    if key_padding_mask is not None:
        mask = _as_array(key_padding_mask)
        if mask.shape != (batch, source):
            raise AssertionError(f"expecting key_padding_mask shape of {(batch, source)}, but got "
                                 f"{_size(mask.shape)}")
        padding = _additive_mask(~mask if mask.dtype == np.bool_ else mask, dtype)[:, None, None, :]
        merged = padding if merged is None else merged + padding
    return merged


def _size(shape):
    return "torch.Size([" + ", ".join(str(n) for n in shape) + "])"


class MultiheadAttention(Module):
    """Attention over num_heads subspaces of embed_dim, as torch.nn.MultiheadAttention.

    Parameters
    ----------
    embed_dim : int
        The model's width; each head gets embed_dim // num_heads of it.
    num_heads : int
    dropout : float
        Dropout on the attention weights, in training.
    bias : bool
        in_proj_bias and out_proj.bias.
    add_bias_kv : bool
        Learn bias_k and bias_v (1, 1, embed_dim), appended to the keys and values as one more position.
    add_zero_attn : bool
        Append a position of zeros to the keys and values.
    kdim, vdim : int, optional
        Only equal to embed_dim (separate key/value sizes are not supported: a difference from PyTorch).
    batch_first : bool
        Inputs and output are (N, L, E) rather than (L, N, E).
    dtype : numpy dtype

    Shape
    -----
    query (L, N, E), key and value (S, N, E), or unbatched (L, E) and (S, E).
    Returns (attn_output (L, N, E), attn_weights (N, L, S), averaged over heads, or (N, heads, L, S)
    with average_attn_weights=False, or None with need_weights=False).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, dtype=np.float32):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if kdim not in (None, embed_dim) or vdim not in (None, embed_dim):
            raise NotImplementedError(f"MultiheadAttention: kdim={kdim} and vdim={vdim} differ from embed_dim="
                                      f"{embed_dim}; microtorch supports only keys and values of embed_dim "
                                      "(project them with a Linear first)")
        self.embed_dim, self.kdim, self.vdim = embed_dim, embed_dim, embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, embed_dim), dtype=dtype))
            self.bias_v = Parameter(np.empty((1, 1, embed_dim), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        # torch: xavier_uniform_ on the input projection, zero biases, xavier_normal_ on bias_k / bias_v
        init.xavier_uniform(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal(self.bias_k)
            init.xavier_normal(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Attend from query to key/value; returns (attn_output, attn_weights or None).

        key_padding_mask (N, S): True (or -inf) where a key is padding. attn_mask (L, S) or
        (N * num_heads, L, S): True (or -inf) where attending is not allowed. is_causal is a hint
        that attn_mask is causal, which must then be given (as torch).
        """
        for t in (query, key, value):
            _input("MultiheadAttention", t)
        unbatched, self_attention = query.ndim == 2, query is key and key is value
        if unbatched and (key.ndim != 2 or value.ndim != 2):
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if not unbatched and query.ndim != 3:
            raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D "
                                 "query tensor")
        if query.shape[-1] != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {query.shape[-1]}")
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                               "method `generate_square_subsequent_mask` to create this mask.")
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            key_padding_mask = None if key_padding_mask is None else _as_array(key_padding_mask)[None]
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if key_padding_mask is not None and _as_array(key_padding_mask).shape[0] != query.shape[0]:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {query.shape[0]}, but got "
                                 f"{_as_array(key_padding_mask).shape[0]}")
        if self_attention:
            key = value = query
        output, weights = self._attend(query, key, value, key_padding_mask, need_weights, attn_mask,
                                       average_attn_weights)
        if unbatched:
            return output.squeeze(0), (None if weights is None else weights.squeeze(0))
        return (output if self.batch_first else output.transpose(0, 1)), weights

    def _project(self, x, k):
        """The k-th of the q, k, v input projections of a batch-first x, split into heads (N, heads, len, head_dim)."""
        e = self.embed_dim
        bias = None if self.in_proj_bias is None else self.in_proj_bias[k * e:(k + 1) * e]
        return F.linear(x, self.in_proj_weight[k * e:(k + 1) * e], bias)

    def _heads(self, x):
        batch, length, _ = x.shape
        return x.reshape(batch, length, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def _attend(self, query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights):
        batch, length = query.shape[:2]
        if query is key and key is value:  # self-attention: one matmul for q, k and v
            q, k, v = F.linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        else:
            q, k, v = self._project(query, 0), self._project(key, 1), self._project(value, 2)
        if self.bias_k is not None:
            k = mf.cat([k, self.bias_k.expand(batch, 1, self.embed_dim)], 1)
            v = mf.cat([v, self.bias_v.expand(batch, 1, self.embed_dim)], 1)
            attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
        if self.add_zero_attn:
            k = mf.cat([k, zeros(batch, 1, self.embed_dim, dtype=k.dtype)], 1)
            v = mf.cat([v, zeros(batch, 1, self.embed_dim, dtype=v.dtype)], 1)
            attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
        source = k.shape[1]
        mask = _merged_mask(attn_mask, key_padding_mask, batch, self.num_heads, length, source, query.dtype)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        dropout = self.dropout if self.training else 0.0
        weights = None
        if need_weights:  # the weights are wanted: softmax as its own op
            scores = (q @ k.transpose(-2, -1)) * (1 / np.sqrt(self.head_dim))
            if mask is not None:
                scores = scores + mask
            weights = F.dropout(scores.softmax(-1), dropout, dropout > 0)
            heads = weights @ v
        else:
            heads = F.scaled_dot_product_attention(q, k, v, mask, dropout)
        output = self.out_proj(heads.permute(0, 2, 1, 3).reshape(batch, length, self.embed_dim))
        if weights is not None and average_attn_weights:
            weights = weights.mean(1)
        return output, weights

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"


def _pad_masks(attn_mask, key_padding_mask):
    """One more key position (bias_k or a zero key) that every query may attend."""
    padded = []
    for mask in (attn_mask, key_padding_mask):
        if mask is not None:
            mask = _as_array(mask)
            mask = np.concatenate([mask, np.zeros(mask.shape[:-1] + (1,), dtype=mask.dtype)], axis=-1)
        padded.append(mask)
    return padded
