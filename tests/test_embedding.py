"""Embedding (padding_idx, max_norm, scale_grad_by_freq, from_pretrained), F.embedding, F.one_hot and gelu's
options, against PyTorch in float64."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional
INDICES = np.array([[1, 3, 1], [0, 1, 4]])


@pytest.mark.parametrize("padding_idx", [None, 0, 1, -1])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
@pytest.mark.parametrize("indices", [INDICES, INDICES[0], np.array(2)])
def test_embedding_function(padding_idx, scale_grad_by_freq, indices):
    kwargs = dict(padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)
    check_op(lambda w: TF.embedding(torch.tensor(indices), w, **kwargs),
             lambda w: F.embedding(microtorch.tensor(indices), w, **kwargs), [(5, 3)])


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (10.0, 2.0), (0.8, 3.0)])
def test_embedding_max_norm_renormalises_the_rows_it_reads_like_torch(max_norm, norm_type):
    rng = np.random.default_rng(0)
    table = rng.uniform(-1, 1, (5, 3))
    ours, theirs = microtorch.tensor(table.copy(), requires_grad=True), torch.tensor(table.copy(), requires_grad=True)
    with torch.no_grad():  # torch renormalises in place, which autograd refuses on a leaf that requires grad
        expected = TF.embedding(torch.tensor(INDICES), theirs, max_norm=max_norm, norm_type=norm_type)
    out = F.embedding(microtorch.tensor(INDICES), ours, max_norm=max_norm, norm_type=norm_type)
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)  # the table itself changed
    out.sum().backward()
    np.testing.assert_array_equal(ours.grad.data[:, 0], [1, 3, 0, 1, 1])


def test_embedding_layer_options_match_torch():
    theirs = torch.nn.Embedding(6, 4, padding_idx=2, max_norm=1.5, scale_grad_by_freq=True).double()
    ours = nn.Embedding(6, 4, padding_idx=2, max_norm=1.5, scale_grad_by_freq=True, dtype=np.float64)
    np.testing.assert_array_equal(ours.weight.data[2], 0)
    ours.weight.data[...] = theirs.weight.detach().numpy()
    indices = np.array([[2, 5, 5], [0, 2, 1]])
    out, expected = ours(microtorch.tensor(indices)), theirs(torch.tensor(indices))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(microtorch.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained(freeze):
    table = np.random.default_rng(2).standard_normal((4, 3))
    ours = nn.Embedding.from_pretrained(microtorch.tensor(table), freeze=freeze, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze, padding_idx=1)
    assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
    np.testing.assert_array_equal(ours.weight.data, table)  # the padding row too: the table is used as given
    assert repr(ours) == repr(theirs) and ours.weight.dtype == np.float64
    indices = np.array([3, 1, 1])
    out, expected = ours(microtorch.tensor(indices)), theirs(torch.tensor(indices))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    if not freeze:
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(ours.weight.grad.data, theirs.weight.grad.numpy())


def test_embedding_errors():
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=5)
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        F.embedding(microtorch.tensor([1]), microtorch.ones(3, 2), padding_idx=-4)
    with pytest.raises(ValueError, match="expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(microtorch.ones(3))
    with pytest.raises(ValueError, match="sparse"):
        nn.Embedding(3, 2, sparse=True)
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(microtorch.tensor([1, 5]), microtorch.ones(3, 2))
    with pytest.raises(TypeError, match="integers"):
        F.embedding(microtorch.tensor([1.0]), microtorch.ones(3, 2))
    table = microtorch.tensor(np.full((3, 2), 5.0))
    with pytest.raises(IndexError):  # checked before max_norm changes the table
        F.embedding(microtorch.tensor([0, 7]), table, max_norm=1.0)
    np.testing.assert_array_equal(table.data, 5.0)


# ---------------------------------------------------------------- one_hot

@pytest.mark.parametrize("values, num_classes", [([1, 0, 3], -1), ([[1, 2], [0, 0]], 5), (2, 3), ([], 3),
                                                 ([0, 0], 1)])
def test_one_hot_matches_torch(values, num_classes):
    ours = F.one_hot(microtorch.tensor(np.array(values, dtype=np.int64)), num_classes)
    theirs = TF.one_hot(torch.tensor(values, dtype=torch.long), num_classes)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape) and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_one_hot_errors_are_torchs():
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(microtorch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="class values must be non-negative"):
        F.one_hot(microtorch.tensor([1, -2]))
    with pytest.raises(RuntimeError, match="class values must be smaller than num_classes"):
        F.one_hot(microtorch.tensor([1, 5]), 3)
    with pytest.raises(RuntimeError, match="can not infer total number of classes from empty tensor"):
        F.one_hot(microtorch.tensor(np.array([], dtype=np.int64)))


# ---------------------------------------------------------------- gelu and silu

@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gelu_both_forms_and_silu(approximate, dtype):
    check_op(lambda x: TF.gelu(x, approximate=approximate), lambda x: F.gelu(x, approximate=approximate),
             [(4, 5)], dtype=dtype, low=-6, high=6)
    check_op(torch.nn.GELU(approximate), nn.GELU(approximate), [(3, 2, 2)], dtype=dtype)
    check_op(torch.nn.SiLU(), nn.SiLU(), [(3, 4)], dtype=dtype)
    check_op(TF.silu, F.silu, [(7,)], dtype=dtype)
    assert repr(nn.GELU(approximate)) == repr(torch.nn.GELU(approximate))


def test_gelu_error_is_torchs():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(microtorch.ones(2), approximate="fast")


@pytest.mark.parametrize("rows", [[0, -1, 4, 2, -5, 0, 4, 4], [3], [-1, -1], []])
def test_rows_picked_several_times_get_the_sum_of_their_gradients_as_in_torch(rows):
    # the backward of x[rows] and of embedding adds the gradients of repeated rows (-1 and 4 are one row)
    rng = np.random.default_rng(0)
    values, upstream = rng.standard_normal((5, 3)), rng.standard_normal((len(rows), 3))
    index = np.array(rows, dtype=np.int64)
    ours, theirs = microtorch.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours[microtorch.tensor(index)].backward(microtorch.tensor(upstream))
    theirs[torch.tensor(index)].backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
    weight = microtorch.tensor(values, requires_grad=True)
    positive = index % 5
    microtorch.nn.functional.embedding(microtorch.tensor(positive), weight).backward(microtorch.tensor(upstream))
    np.testing.assert_allclose(weight.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
