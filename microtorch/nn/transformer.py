"""Transformer layers, as torch.nn: encoder and decoder layers, their stacks, and the full Transformer.

Sub-module names follow torch (self_attn, multihead_attn, linear1, linear2, norm1..3,
dropout, dropout1..3, layers, norm), so that a torch state_dict loads unchanged.
"""
import copy

import numpy as np

from microtorch.creation import tensor
from microtorch.nn import functional as F
from microtorch.nn import init
from microtorch.nn.attention import MultiheadAttention
from microtorch.nn.container import ModuleList
from microtorch.nn.dropout import Dropout
from microtorch.nn.linear import Linear
from microtorch.nn.module import Module
from microtorch.nn.normalization import LayerNorm

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _activation(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _square_subsequent_mask(size, dtype=np.float32):
    """A (size, size) float mask: -inf above the diagonal (future positions), 0 elsewhere."""
    return tensor(np.triu(np.full((size, size), -np.inf), 1), dtype=dtype)


class _FeedForwardBlock(Module):
    """What the encoder and decoder layers share: the feed-forward block and the residual wiring."""

    def _build_feed_forward(self, d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias,
                            dtype, norms):
        # assignment order is torch's state_dict order
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for k in range(1, norms + 1):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for k in range(1, norms + 1):
            setattr(self, f"dropout{k}", Dropout(dropout))
        self.activation = _activation(activation)

    def _ff_block(self, x):
        return self.linear2(self.dropout(self.activation(self.linear1(x))))

    def _residual(self, x, k, block):
        """x + block(x) around norm k: the norm first (pre-norm) or after the sum (post-norm, torch's default)."""
        norm, dropout = getattr(self, f"norm{k}"), getattr(self, f"dropout{k}")
        if self.norm_first:
            return x + dropout(block(norm(x)))
        return norm(x + dropout(block(x)))


class TransformerEncoderLayer(_FeedForwardBlock):
    """Self-attention then a feed-forward block, each with a residual connection and a LayerNorm.

    Parameters
    ----------
    d_model : int
    nhead : int
    dim_feedforward : int
    dropout : float
    activation : 'relu', 'gelu' or a callable
    layer_norm_eps : float
    batch_first : bool
        (N, S, E) rather than (S, N, E).
    norm_first : bool
        LayerNorm before each block (pre-norm) rather than after the residual sum.
    bias : bool
        Biases in the linear layers and the norms.
    dtype : numpy dtype

    Shape
    -----
    src (S, N, E), (N, S, E) with batch_first, or (S, E); the output has src's shape.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=np.float32):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self._build_feed_forward(d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias,
                                 dtype, norms=2)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """src_mask (S, S) or (N * nhead, S, S) and src_key_padding_mask (N, S) as MultiheadAttention's."""
        def attend(x):
            return self.self_attn(x, x, x, attn_mask=src_mask, key_padding_mask=src_key_padding_mask,
                                  need_weights=False, is_causal=is_causal)[0]
        x = self._residual(src, 1, attend)
        return self._residual(x, 2, self._ff_block)


class TransformerDecoderLayer(_FeedForwardBlock):
    """Self-attention, attention over the encoder's output (memory), then a feed-forward block.

    Parameters as TransformerEncoderLayer.

    Shape
    -----
    tgt (T, N, E) and memory (S, N, E) (batch first with batch_first, or unbatched); the output has tgt's shape.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=np.float32):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype)
        self._build_feed_forward(d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias,
                                 dtype, norms=3)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        def attend_self(x):
            return self.self_attn(x, x, x, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                                  need_weights=False, is_causal=tgt_is_causal)[0]

        def attend_memory(x):
            return self.multihead_attn(x, memory, memory, attn_mask=memory_mask,
                                       key_padding_mask=memory_key_padding_mask, need_weights=False,
                                       is_causal=memory_is_causal)[0]
        x = self._residual(tgt, 1, attend_self)
        x = self._residual(x, 2, attend_memory)
        return self._residual(x, 3, self._ff_block)


def _clones(layer, num_layers):
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """num_layers copies of an encoder layer, then an optional final norm.

    Parameters
    ----------
    encoder_layer : TransformerEncoderLayer
        Copied num_layers times (the copies do not share parameters).
    num_layers : int
    norm : Module, optional
    enable_nested_tensor, mask_check : bool
        Accepted for torch's signature; microtorch has no nested tensors.
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """num_layers copies of a decoder layer, then an optional final norm. Parameters as TransformerEncoder."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """An encoder-decoder transformer, as torch.nn.Transformer; parameters of 2 or more dims start xavier-uniform.

    Parameters
    ----------
    d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward : int
    dropout : float
    activation : 'relu', 'gelu' or a callable
    custom_encoder, custom_decoder : Module, optional
    layer_norm_eps : float
    batch_first, norm_first, bias : bool
    dtype : numpy dtype

    Shape
    -----
    src (S, N, E), tgt (T, N, E) (batch first with batch_first); the output is (T, N, E).
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=np.float32):
        super().__init__()
        options = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                       layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias,
                       dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(d_model, nhead, **options), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(d_model, nhead, **options), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """A (sz, sz) float mask, -inf above the diagonal: each position attends to itself and the past."""
        return _square_subsequent_mask(sz, np.float32 if dtype is None else dtype)
