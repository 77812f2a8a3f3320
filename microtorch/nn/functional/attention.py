"""scaled_dot_product_attention, as torch.nn.functional."""
import math

import numpy as np

from microtorch import ops
from microtorch._checks import _as_array, _input
from microtorch._engine import apply as _apply
from microtorch.random import generator

__all__ = ["scaled_dot_product_attention"]

_TORCH_DTYPE = {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int",
                "int32": "int", "bool": "bool"}


def _additive_mask(attn_mask, dtype):
    """A bool mask (True = take part) or a float mask (added to the scores), as an additive float array."""
    mask = _as_array(attn_mask)
    if mask.dtype == np.bool_:
        return np.where(mask, 0, -np.inf).astype(dtype)
    if mask.dtype.kind != "f":
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_TORCH_DTYPE.get(mask.dtype.name, mask.dtype.name)} and  query.dtype: "
                           f"{_TORCH_DTYPE.get(np.dtype(dtype).name, np.dtype(dtype).name)} instead.")
    return mask.astype(dtype, copy=False)


def _check_attention_inputs(query, key, value):
    name = "scaled_dot_product_attention"
    for t in (query, key, value):
        _input(name, t)
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if not query.dtype == key.dtype == value.dtype:
        names = [_TORCH_DTYPE.get(t.dtype.name, t.dtype.name) for t in (query, key, value)]
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: {names[0]} "
                           f"key.dtype: {names[1]} and value.dtype: {names[2]} instead.")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{name}: query (shape {query.shape}) and key (shape {key.shape}) must have the same "
                           "last dim (the embedding size)")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{name}: key (shape {key.shape}) and value (shape {value.shape}) must have the same "
                           "sequence length (dim -2)")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key.T * scale + mask) @ value, with optional dropout on the attention weights.

    Parameters
    ----------
    query : Tensor
        (..., L, E).
    key : Tensor
        (..., S, E).
    value : Tensor
        (..., S, Ev).
    attn_mask : Tensor, optional
        Broadcastable to (..., L, S): bool (True = may attend) or float (added to the scores).
    dropout_p : float
        Dropout probability on the attention weights (applied whenever > 0, as torch).
    is_causal : bool
        Attend only to positions j <= i (a lower-triangular mask, top-left aligned); not with attn_mask.
    scale : float, optional
        Multiplies q @ k.T; 1/sqrt(E) by default.
    enable_gqa : bool
        Only False (grouped-query attention is not supported).

    Returns
    -------
    Tensor
        (..., L, Ev). Rows whose every position is masked give zeros, as torch.

    Notes
    -----
    A float attn_mask gets no gradient here (torch gives it one).
    """
    _check_attention_inputs(query, key, value)
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa=True is not supported by microtorch")
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1], got {dropout_p}")
    length, source = query.shape[-2], key.shape[-2]
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        mask = np.where(np.tril(np.ones((length, source), dtype=bool)), 0, -np.inf).astype(query.dtype)
    elif attn_mask is not None:
        mask = _additive_mask(attn_mask, query.dtype)
        scores_shape = np.broadcast_shapes(query.shape[:-2], key.shape[:-2]) + (length, source)
        try:
            np.broadcast_shapes(mask.shape, scores_shape)
        except ValueError:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {mask.shape} cannot be broadcast "
                               f"to the attention scores' shape {scores_shape}") from None
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    keep = None
    if dropout_p > 0:
        shape = np.broadcast_shapes(query.shape[:-2], key.shape[:-2]) + (length, source)
        keep = (generator().random(shape) >= dropout_p).astype(query.dtype) / (1 - dropout_p) \
            if dropout_p < 1 else np.zeros(shape, dtype=query.dtype)
    return _apply(ops.ScaledDotProductAttention, query, key, value, mask, scale, keep)
