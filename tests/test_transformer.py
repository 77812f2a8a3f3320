"""Transformer layers against PyTorch in float64 (dropout 0): a torch state_dict loads unchanged and
gives torch's outputs and the gradients of the inputs and of every parameter."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from helpers import assert_same_grads

TOL = dict(rtol=1e-6, atol=1e-8)


def twins(kind, *args, **kwargs):
    theirs = getattr(torch.nn, kind)(*args, **kwargs).double()
    ours = getattr(nn, kind)(*args, **kwargs, dtype=np.float64)
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    return theirs, ours


def stack_twins(kind, layer_kind, num_layers, with_norm, **kwargs):
    torch_layer = getattr(torch.nn, layer_kind)(8, 2, dim_feedforward=16, dropout=0.0, **kwargs).double()
    our_layer = getattr(nn, layer_kind)(8, 2, dim_feedforward=16, dropout=0.0, **kwargs, dtype=np.float64)
    theirs = getattr(torch.nn, kind)(torch_layer, num_layers,
                                     norm=torch.nn.LayerNorm(8).double() if with_norm else None)
    ours = getattr(nn, kind)(our_layer, num_layers, norm=nn.LayerNorm(8, dtype=np.float64) if with_norm else None)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def run_both(theirs, ours, arrays, rng, **masks):
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    our_in = [microtorch.tensor(a, requires_grad=True) for a in arrays]
    torch_masks = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()}
    t_out, o_out = theirs(*torch_in, **torch_masks), ours(*our_in, **masks)
    np.testing.assert_allclose(o_out.data, t_out.detach().numpy(), **TOL)
    upstream = rng.standard_normal(o_out.shape)
    t_out.backward(torch.tensor(upstream))
    o_out.backward(upstream)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert_same_grads(torch_in, our_in, theirs, ours, **TOL)


def causal(n):
    return np.triu(np.full((n, n), -np.inf), 1)


ACTIVATIONS = ["relu", "gelu", "callable"]


def activation_of(name, lib):
    return (lambda x: lib.tanh(x)) if name == "callable" else name


def layer_twins(kind, activation, **options):
    """A torch encoder/decoder layer (d_model 8, 2 heads, no dropout) and ours holding its weights."""
    theirs = getattr(torch.nn, kind)(8, 2, 16, 0.0, activation=activation_of(activation, torch), **options).double()
    ours = getattr(nn, kind)(8, 2, 16, 0.0, activation=activation_of(activation, microtorch), **options,
                             dtype=np.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("masks", ["none", "causal", "padding", "both"])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first, bias, masks):
    rng = np.random.default_rng(0)
    theirs, ours = layer_twins("TransformerEncoderLayer", activation, norm_first=norm_first, batch_first=batch_first,
                               bias=bias)
    call = {}
    if masks in ("causal", "both"):
        call["src_mask"] = causal(5)
    if masks in ("padding", "both"):
        call["src_key_padding_mask"] = np.array([[False] * 5, [False, False, False, True, True], [False] * 5])
    shape = (3, 5, 8) if batch_first else (5, 3, 8)
    run_both(theirs, ours, [rng.standard_normal(shape)], rng, **call)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "all"])
def test_decoder_layer_matches_torch(norm_first, activation, batch_first, masks):
    rng = np.random.default_rng(1)
    theirs, ours = layer_twins("TransformerDecoderLayer", activation, norm_first=norm_first, batch_first=batch_first)
    call = {}
    if masks == "all":
        call = dict(tgt_mask=causal(4), memory_mask=rng.standard_normal((4, 6)),
                    tgt_key_padding_mask=np.array([[False] * 4, [False, False, True, True]]),
                    memory_key_padding_mask=np.array([[False] * 5 + [True], [False] * 6]))
    tgt, memory = ((2, 4, 8), (2, 6, 8)) if batch_first else ((4, 2, 8), (6, 2, 8))
    run_both(theirs, ours, [rng.standard_normal(tgt), rng.standard_normal(memory)], rng, **call)


@pytest.mark.parametrize("with_norm", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_and_decoder_stacks_match_torch(with_norm, norm_first):
    rng = np.random.default_rng(2)
    theirs, ours = stack_twins("TransformerEncoder", "TransformerEncoderLayer", 2, with_norm, norm_first=norm_first)
    run_both(theirs, ours, [rng.standard_normal((5, 2, 8))], rng, mask=causal(5), is_causal=True)
    theirs, ours = stack_twins("TransformerDecoder", "TransformerDecoderLayer", 2, with_norm, norm_first=norm_first)
    run_both(theirs, ours, [rng.standard_normal((4, 2, 8)), rng.standard_normal((5, 2, 8))], rng,
             tgt_mask=causal(4))


def test_layers_are_copies_not_shared():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    stack = nn.TransformerEncoder(layer, 3)
    weights = [m.linear1.weight for m in stack.layers]
    assert len({id(w) for w in weights}) == 3
    assert len(stack.parameters()) == 3 * len(layer.parameters())


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer_matches_torch(batch_first):
    rng = np.random.default_rng(3)
    theirs, ours = twins("Transformer", d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                         dim_feedforward=16, dropout=0.0, batch_first=batch_first)
    src, tgt = ((2, 5, 8), (2, 4, 8)) if batch_first else ((5, 2, 8), (4, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64)
    np.testing.assert_array_equal(mask.data, torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    run_both(theirs, ours, [rng.standard_normal(src), rng.standard_normal(tgt)], rng, tgt_mask=mask.data,
             src_key_padding_mask=np.array([[False] * 5, [False] * 4 + [True]]))


def test_transformer_init_is_xavier_and_names_match():
    ours, theirs = nn.Transformer(16, 2, 1, 1, 32), torch.nn.Transformer(16, 2, 1, 1, 32)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    w = ours.encoder.layers[0].linear1.weight.data
    assert np.abs(w).max() <= np.sqrt(6 / (16 + 32)) and w.std() > 0.5 * np.sqrt(2 / (16 + 32))


def test_eval_disables_dropout():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, dtype=np.float64)
    x = microtorch.tensor(np.random.default_rng(4).standard_normal((5, 2, 8)))
    assert not np.allclose(layer(x).data, layer(x).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)


def test_transformer_errors_match_torch():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(microtorch.zeros(5, 2, 8), microtorch.zeros(4, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(microtorch.zeros(5, 2, 8), microtorch.zeros(4, 2, 6))
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerDecoderLayer(8, 3)
