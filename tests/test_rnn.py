"""RNN, LSTM, GRU, their cells and the packing utilities against PyTorch in float64:
outputs, final states, and the gradients of the input, the initial states and every parameter."""
import warnings

import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn.utils import rnn as our_rnn
from helpers import assert_same_grads

TR = torch.nn.utils.rnn
TOL = dict(rtol=1e-7, atol=1e-9)


def twins(kind, *args, **kwargs):
    """The torch layer (float64) and ours, holding torch's weights loaded through numpy."""
    theirs = getattr(torch.nn, kind)(*args, **kwargs).double()
    ours = getattr(nn, kind)(*args, **kwargs, dtype=np.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def leaves(arrays):
    """The same arrays as torch leaves and as our leaves, both requiring grad."""
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [microtorch.tensor(a, requires_grad=True) for a in arrays])


def flat_outputs(out):
    """output, h_n (and c_n), as a flat list of tensors."""
    if hasattr(out, "batch_sizes"):  # a PackedSequence: its data
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in flat_outputs(item)]
    return [out]


def backprop_and_compare(theirs, ours, torch_out, our_out, torch_leaves, our_leaves, rng):
    torch_flat, our_flat = flat_outputs(torch_out), flat_outputs(our_out)
    assert len(torch_flat) == len(our_flat)
    for t, o in zip(torch_flat, our_flat):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.data, t.detach().numpy(), **TOL, err_msg="forward differs")
    upstream = [rng.standard_normal(o.shape) for o in our_flat]
    torch.autograd.backward(torch_flat, [torch.tensor(u) for u in upstream])
    sum((o * microtorch.tensor(u)).sum() for o, u in zip(our_flat, upstream)).backward()
    assert_same_grads(torch_leaves, our_leaves, theirs, ours, **TOL)


# ---------------------------------------------------------------- layers

LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]


@pytest.mark.parametrize("kind, extra", LAYERS)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, False), (1, True), (2, True)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
def test_layers_match_torch(kind, extra, num_layers, bidirectional, batch_first, bias, with_state):
    rng = np.random.default_rng(0)
    theirs, ours = twins(kind, 3, 4, num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional,
                         **extra)
    batch, steps = 2, 5
    x = rng.standard_normal((batch, steps, 3) if batch_first else (steps, batch, 3))
    arrays = [x]
    state_shape = (num_layers * (2 if bidirectional else 1), batch, 4)
    if with_state:
        arrays += [rng.standard_normal(state_shape) for _ in range(2 if kind == "LSTM" else 1)]
    torch_leaves, our_leaves = leaves(arrays)

    def call(module, inputs):
        if not with_state:
            return module(inputs[0])
        return module(inputs[0], tuple(inputs[1:]) if kind == "LSTM" else inputs[1])

    backprop_and_compare(theirs, ours, call(theirs, torch_leaves), call(ours, our_leaves), torch_leaves,
                         our_leaves, rng)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_input(kind, with_state):
    rng = np.random.default_rng(1)
    theirs, ours = twins(kind, 3, 4, 2, bidirectional=True)
    arrays = [rng.standard_normal((6, 3))]
    if with_state:
        arrays += [rng.standard_normal((4, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    torch_leaves, our_leaves = leaves(arrays)
    hx = (lambda s: None if not with_state else (tuple(s[1:]) if kind == "LSTM" else s[1]))
    backprop_and_compare(theirs, ours, theirs(torch_leaves[0], hx(torch_leaves)), ours(our_leaves[0], hx(our_leaves)),
                         torch_leaves, our_leaves, rng)


def test_state_dict_keys_shapes_and_init_match_torch():
    theirs = torch.nn.LSTM(3, 5, 2, bidirectional=True)
    ours = nn.LSTM(3, 5, 2, bidirectional=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        assert ours.state_dict()[name].shape == tuple(value.shape)
        assert ours.state_dict()[name].dtype == np.float32
        assert np.abs(ours.state_dict()[name]).max() <= 1 / np.sqrt(5)
    assert list(nn.GRU(2, 3, bias=False).state_dict()) == list(torch.nn.GRU(2, 3, bias=False).state_dict())
    assert list(nn.GRUCell(2, 3).state_dict()) == list(torch.nn.GRUCell(2, 3).state_dict())


def test_float32_layer_tracks_torch():
    theirs = torch.nn.LSTM(3, 4)
    ours = nn.LSTM(3, 4)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((7, 2, 3)).astype(np.float32)
    out, (h, c) = ours(microtorch.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, theirs(torch.tensor(x))[0].detach().numpy(), atol=1e-5)


def test_dropout_between_layers_only_in_training():
    microtorch.manual_seed(0)
    layer = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=np.float64)
    x = microtorch.tensor(np.random.default_rng(3).standard_normal((5, 2, 3)))
    first, second = layer(x)[0].data, layer(x)[0].data
    assert not np.allclose(first, second)  # a new mask each call
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].data, layer(x)[0].data)
    without = nn.GRU(3, 4, num_layers=2, dtype=np.float64)
    without.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(layer(x)[0].data, without(x)[0].data)


# ---------------------------------------------------------------- cells

@pytest.mark.parametrize("kind, extra", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                         ("GRUCell", {})])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(kind, extra, batched, with_state, bias):
    rng = np.random.default_rng(4)
    theirs, ours = twins(kind, 3, 4, bias=bias, **extra)
    lead = (2,) if batched else ()
    arrays = [rng.standard_normal(lead + (3,))]
    if with_state:
        arrays += [rng.standard_normal(lead + (4,)) for _ in range(2 if kind == "LSTMCell" else 1)]
    torch_leaves, our_leaves = leaves(arrays)
    hx = (lambda s: None if not with_state else (tuple(s[1:]) if kind == "LSTMCell" else s[1]))
    backprop_and_compare(theirs, ours, theirs(torch_leaves[0], hx(torch_leaves)), ours(our_leaves[0], hx(our_leaves)),
                         torch_leaves, our_leaves, rng)


def test_cell_steps_equal_the_layer():
    cell, layer = nn.LSTMCell(3, 4, dtype=np.float64), nn.LSTM(3, 4, dtype=np.float64)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = microtorch.tensor(np.random.default_rng(5).standard_normal((4, 2, 3)))
    h = c = microtorch.zeros(2, 4, dtype=np.float64)
    for t in range(4):
        h, c = cell(x[t], (h, c))
    out, (h_n, c_n) = layer(x)
    np.testing.assert_allclose(h.data, h_n.data[0])
    np.testing.assert_allclose(c.data, c_n.data[0])


# ---------------------------------------------------------------- packing

@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths, enforce_sorted", [([5, 3, 3, 1], True), ([2, 5, 1, 4], False)])
def test_pack_and_pad_round_trip_match_torch(batch_first, lengths, enforce_sorted):
    rng = np.random.default_rng(6)
    shape = (4, 5, 3) if batch_first else (5, 4, 3)
    torch_leaves, our_leaves = leaves([rng.standard_normal(shape)])
    theirs = TR.pack_padded_sequence(torch_leaves[0], lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    ours = our_rnn.pack_padded_sequence(our_leaves[0], lengths, batch_first=batch_first,
                                        enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(ours.batch_sizes.data, theirs.batch_sizes.numpy())
    np.testing.assert_allclose(ours.data.data, theirs.data.detach().numpy())
    if enforce_sorted:
        assert ours.sorted_indices is None and theirs.sorted_indices is None
    else:
        np.testing.assert_array_equal(ours.sorted_indices.data, theirs.sorted_indices.numpy())
        np.testing.assert_array_equal(ours.unsorted_indices.data, theirs.unsorted_indices.numpy())
    torch_padded, torch_lengths = TR.pad_packed_sequence(theirs, batch_first=batch_first, padding_value=-1.0,
                                                         total_length=6)
    our_padded, our_lengths = our_rnn.pad_packed_sequence(ours, batch_first=batch_first, padding_value=-1.0,
                                                          total_length=6)
    np.testing.assert_array_equal(our_lengths.data, torch_lengths.numpy())
    np.testing.assert_allclose(our_padded.data, torch_padded.detach().numpy())
    upstream = rng.standard_normal(our_padded.shape)
    torch_padded.backward(torch.tensor(upstream))
    our_padded.backward(upstream)
    np.testing.assert_allclose(our_leaves[0].grad.data, torch_leaves[0].grad.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    torch_leaves, our_leaves = leaves(arrays)
    theirs = TR.pad_sequence(torch_leaves, batch_first=batch_first, padding_value=2.0, padding_side=padding_side)
    ours = our_rnn.pad_sequence(our_leaves, batch_first=batch_first, padding_value=2.0, padding_side=padding_side)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy())
    upstream = rng.standard_normal(ours.shape)
    theirs.backward(torch.tensor(upstream))
    ours.backward(upstream)
    for t, o in zip(torch_leaves, our_leaves):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy())


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
def test_packed_input_matches_torch(kind, bidirectional, enforce_sorted, with_state):
    rng = np.random.default_rng(8)
    theirs, ours = twins(kind, 3, 4, 2, bidirectional=bidirectional)
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 4]
    arrays = [rng.standard_normal((6, 4, 3))]
    if with_state:
        arrays += [rng.standard_normal((4 if bidirectional else 2, 4, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    torch_leaves, our_leaves = leaves(arrays)
    hx = (lambda s: None if not with_state else (tuple(s[1:]) if kind == "LSTM" else s[1]))
    torch_out = theirs(TR.pack_padded_sequence(torch_leaves[0], lengths, enforce_sorted=enforce_sorted),
                       hx(torch_leaves))
    our_out = ours(our_rnn.pack_padded_sequence(our_leaves[0], lengths, enforce_sorted=enforce_sorted),
                   hx(our_leaves))
    assert isinstance(our_out[0], our_rnn.PackedSequence)
    np.testing.assert_array_equal(our_out[0].batch_sizes.data, torch_out[0].batch_sizes.numpy())
    backprop_and_compare(theirs, ours, torch_out, our_out, torch_leaves, our_leaves, rng)


def test_pack_sequence_matches_torch():
    arrays = [np.arange(n, dtype=np.float64) for n in (2, 4, 3)]
    theirs = TR.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    ours = our_rnn.pack_sequence([microtorch.tensor(a) for a in arrays], enforce_sorted=False)
    np.testing.assert_array_equal(ours.data.data, theirs.data.numpy())
    np.testing.assert_array_equal(ours.batch_sizes.data, theirs.batch_sizes.numpy())


# ---------------------------------------------------------------- errors

def test_constructor_errors_match_torch():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'foo'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="foo")
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="foo")
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.LSTM(3, 4, dropout=2)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.RNN(3, 4, dropout=0.5)
    assert "non-zero dropout expects num_layers greater than 1" in str(caught[0].message)


def test_forward_errors_match_torch():
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        nn.LSTM(3, 4)(microtorch.zeros(2, 3, 3, 3))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"):
        nn.RNN(3, 4)(microtorch.zeros(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
        nn.GRU(3, 4)(microtorch.zeros(2, 3, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 3, 4\), got \[2, 3, 4\]"):
        nn.GRU(3, 4)(microtorch.zeros(2, 3, 3), microtorch.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 3, 4\), got \[2, 3, 4\]"):
        nn.LSTM(3, 4)(microtorch.zeros(2, 3, 3), (microtorch.zeros(1, 3, 4), microtorch.zeros(2, 3, 4)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           r"\(3-D, 3-D\) tensors"):
        nn.LSTM(3, 4)(microtorch.zeros(2, 3), (microtorch.zeros(1, 3, 4), microtorch.zeros(1, 3, 4)))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        nn.RNN(3, 4)(microtorch.zeros(2, 3, 3), microtorch.zeros(3, 4))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        nn.LSTMCell(3, 4)(microtorch.zeros(2, 5))
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.LSTMCell(3, 4)(microtorch.zeros(2, 3, 3))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        nn.GRUCell(3, 4)(microtorch.zeros(2, 3), microtorch.zeros(3, 4))


def test_packing_errors_match_torch():
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"):
        our_rnn.pack_padded_sequence(microtorch.zeros(3, 2, 1), [1, 3])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        our_rnn.pack_padded_sequence(microtorch.zeros(3, 2, 1), [0, 3], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 1"):
        our_rnn.pack_padded_sequence(microtorch.zeros(3, 2, 1), [3])
    packed = our_rnn.pack_sequence([microtorch.ones(3), microtorch.ones(2)])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest"):
        our_rnn.pad_packed_sequence(packed, total_length=1)
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right"):
        our_rnn.pad_sequence([microtorch.ones(1)], padding_side="middle")
