"""scaled_dot_product_attention and MultiheadAttention against PyTorch in float64: outputs, attention
weights, and the gradients of query, key, value and every parameter."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import assert_same_grads, check_op

TF = torch.nn.functional
TOL = dict(rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------- scaled_dot_product_attention

@pytest.mark.parametrize("q_shape, k_shape, v_shape", [((3, 4), (5, 4), (5, 2)), ((2, 3, 4), (2, 5, 4), (2, 5, 6)),
                                                       ((2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4)),
                                                       ((2, 2, 3, 4), (1, 5, 4), (1, 5, 3))])
@pytest.mark.parametrize("scale", [None, 0.3])
@pytest.mark.parametrize("is_causal", [False, True])
def test_sdpa_matches_torch(q_shape, k_shape, v_shape, scale, is_causal):
    check_op(lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=is_causal, scale=scale),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, scale=scale),
             [q_shape, k_shape, v_shape])


@pytest.mark.parametrize("mask_shape", [(3, 5), (2, 1, 5), (2, 3, 5)])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_masks_match_torch(mask_shape, kind):
    rng = np.random.default_rng(0)
    if kind == "bool":
        mask = rng.random(mask_shape) < 0.7
        mask[..., 0] = True
    else:
        mask = rng.standard_normal(mask_shape)
    check_op(lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=microtorch.tensor(mask)),
             [(2, 3, 4), (2, 5, 4), (2, 5, 6)])


@pytest.mark.parametrize("spread", [1.0, 100.0])
def test_sdpa_rows_of_different_scales_match_torch(spread):
    # the softmax inside shifts by the overall maximum score, or by each row's when the rows lie far apart
    rng = np.random.default_rng(4)
    query = rng.standard_normal((2, 4, 3)) * (1 + spread * np.arange(4))[:, None]
    arrays = [query, rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))]
    check_op(lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), arrays=arrays)


def test_sdpa_fully_masked_rows_give_zeros_as_torch():
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    check_op(lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
             [(2, 3, 4), (2, 5, 4), (2, 5, 6)])


def test_sdpa_dropout_keeps_expected_mass_and_gradients_flow():
    microtorch.manual_seed(0)
    q, k, v = (microtorch.tensor(np.ones((1, 200, 4)), requires_grad=True) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert abs(out.data.mean() - 1) < 0.1  # uniform weights, half dropped, the rest doubled
    out.sum().backward()
    assert v.grad is not None and np.isfinite(v.grad.data).all()
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(out.data, again.data)


def test_sdpa_errors_match_torch():
    q, k, v = microtorch.zeros(2, 3, 4), microtorch.zeros(2, 5, 4), microtorch.zeros(2, 5, 6)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float or to match query dtype"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=microtorch.tensor(np.ones((3, 5), np.int64)))
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same dtype"):
        F.scaled_dot_product_attention(q, k.double(), v)
    with pytest.raises(RuntimeError, match="to all be  at least 2 dimensional"):
        F.scaled_dot_product_attention(microtorch.zeros(4), k, v)
    with pytest.raises(RuntimeError, match="same last dim"):
        F.scaled_dot_product_attention(q, microtorch.zeros(2, 5, 3), v)
    with pytest.raises(RuntimeError, match="same sequence length"):
        F.scaled_dot_product_attention(q, k, microtorch.zeros(2, 4, 6))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 5), bool))


# ---------------------------------------------------------------- MultiheadAttention

def mha_twins(*args, **kwargs):
    theirs = torch.nn.MultiheadAttention(*args, **kwargs).double()
    ours = nn.MultiheadAttention(*args, **kwargs, dtype=np.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def compare_mha(theirs, ours, arrays, rng, **call):
    """Call both on the same arrays (self-attention if one array), compare outputs, weights and gradients."""
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    our_in = [microtorch.tensor(a, requires_grad=True) for a in arrays]
    torch_args = torch_in * 3 if len(arrays) == 1 else torch_in
    our_args = our_in * 3 if len(arrays) == 1 else our_in
    torch_call = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    t_out, t_weights = theirs(*torch_args, **torch_call)
    o_out, o_weights = ours(*our_args, **call)
    np.testing.assert_allclose(o_out.data, t_out.detach().numpy(), **TOL)
    if t_weights is None:
        assert o_weights is None
    else:
        np.testing.assert_allclose(o_weights.data, t_weights.detach().numpy(), **TOL)
    upstream = rng.standard_normal(o_out.shape)
    t_out.backward(torch.tensor(upstream))
    o_out.backward(upstream)
    assert_same_grads(torch_in, our_in, theirs, ours, **TOL)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("self_attention", [True, False])
@pytest.mark.parametrize("bias, add_bias_kv, add_zero_attn", [(True, False, False), (False, False, False),
                                                              (True, True, False), (True, False, True)])
def test_mha_matches_torch(batch_first, need_weights, average, self_attention, bias, add_bias_kv, add_zero_attn):
    rng = np.random.default_rng(1)
    theirs, ours = mha_twins(8, 2, bias=bias, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn,
                             batch_first=batch_first)
    shape = lambda length: (3, length, 8) if batch_first else (length, 3, 8)  # noqa: E731
    arrays = [rng.standard_normal(shape(4))] if self_attention else \
        [rng.standard_normal(shape(4)), rng.standard_normal(shape(5)), rng.standard_normal(shape(5))]
    compare_mha(theirs, ours, arrays, rng, need_weights=need_weights, average_attn_weights=average)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask_kind", ["bool", "float", "bool3d", None])
@pytest.mark.parametrize("padding_kind", ["bool", "float", None])
def test_mha_masks_match_torch(need_weights, mask_kind, padding_kind):
    rng = np.random.default_rng(2)
    theirs, ours = mha_twins(8, 2)
    call = {"need_weights": need_weights}
    if mask_kind == "bool":
        call["attn_mask"] = np.triu(np.ones((4, 4), bool), 1)
    elif mask_kind == "float":
        call["attn_mask"] = rng.standard_normal((4, 4))
    elif mask_kind == "bool3d":
        call["attn_mask"] = np.triu(np.ones((6, 4, 4), bool), 1)
    padding = np.array([[False, False, False, True], [False] * 4, [False, False, True, True]])
    if padding_kind == "bool":
        call["key_padding_mask"] = padding
    elif padding_kind == "float":
        call["key_padding_mask"] = np.where(padding, -1e9, 0.0)
    if mask_kind is not None and padding_kind is not None and mask_kind.startswith("bool") != (padding_kind == "bool"):
        pytest.skip("torch deprecates mixing bool and float masks")
    compare_mha(theirs, ours, [rng.standard_normal((4, 3, 8))], rng, **call)


def test_mha_unbatched_and_causal_hint():
    rng = np.random.default_rng(3)
    theirs, ours = mha_twins(8, 4)
    mask = np.triu(np.ones((5, 5), bool), 1)
    compare_mha(theirs, ours, [rng.standard_normal((5, 8))], rng, attn_mask=mask, is_causal=True,
                need_weights=False)
    compare_mha(theirs, ours, [rng.standard_normal((5, 8))], rng, average_attn_weights=False)


def test_mha_state_dict_and_init_match_torch():
    theirs, ours = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True), nn.MultiheadAttention(8, 2, add_bias_kv=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        assert ours.state_dict()[name].shape == tuple(value.shape)
    assert np.all(ours.in_proj_bias.data == 0) and np.all(ours.out_proj.bias.data == 0)
    assert np.abs(ours.in_proj_weight.data).max() <= np.sqrt(6 / (8 + 24))


def test_mha_errors_match_torch():
    x = microtorch.zeros(3, 2, 8)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(NotImplementedError, match="kdim=4"):
        nn.MultiheadAttention(8, 2, kdim=4)
    mha = nn.MultiheadAttention(8, 2)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is torch.Size\(\[4, 4\]\), but should be "
                                           r"\(3, 3\)."):
        mha(x, x, x, attn_mask=np.ones((4, 4), bool))
    with pytest.raises(RuntimeError, match=r"The shape of the 3D attn_mask is .*, but should be \(4, 3, 3\)."):
        mha(x, x, x, attn_mask=np.ones((3, 3, 3), bool))
    with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[0\\] to be 2, but got 3"):
        mha(x, x, x, key_padding_mask=np.ones((3, 3), bool))
    with pytest.raises(AssertionError, match="For unbatched \\(2-D\\) `query`, expected `key` and `value` to be 2-D"):
        mha(x[0], x, x)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 4"):
        mha(microtorch.zeros(3, 2, 4), x, x)
