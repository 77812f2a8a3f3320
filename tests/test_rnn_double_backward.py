"""Second derivatives of RNN, LSTM, GRU and their cells against PyTorch in float64.

The time-loop ops (microtorch.ops.rnn) run fused numpy loops; under create_graph=True the engine
differentiates their `decomposition` instead, the same recurrence from recorded ops. Here: g = the
gradients of sum(outputs * u) with create_graph, then the gradients of sum(g * w) (and a
Hessian-vector product); both must equal torch's. gradgradcheck checks the ops by finite differences.
"""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn, ops
from microtorch._engine import apply
from microtorch.nn.utils import rnn as our_rnn
from test_rnn import LAYERS, flat_outputs as flat, twins

TR = torch.nn.utils.rnn
TOL = dict(rtol=1e-7, atol=1e-9)


def as_array(t, lib):
    return t.detach().numpy() if lib is torch else t.numpy()


def second_derivatives(lib, module, arrays, call, rng_seed):
    """First derivatives (with create_graph) of sum(outputs * u), then the derivatives of sum(g * w),
    both with respect to the input arrays (as leaves) and every parameter. Returns both as arrays."""
    rng = np.random.default_rng(rng_seed)
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    outputs = flat(call(module, leaves))
    weights = leaves + [p for _, p in sorted(module.named_parameters())]
    loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)))).sum() for o in outputs)
    first = lib.autograd.grad(loss, weights, create_graph=True)
    outer = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in first)
    # allow_unused: with relu, a bias's second derivative is 0; torch links it by a zero-valued node,
    # microtorch's relu (like its F.relu) leaves it out of the graph of the gradient
    second = lib.autograd.grad(outer, weights, allow_unused=True)
    return ([as_array(g, lib) for g in first],
            [np.zeros(tuple(w.shape)) if g is None else as_array(g, lib) for g, w in zip(second, weights)])


def assert_same_second_derivatives(theirs, ours, arrays, call):
    torch_first, torch_second = second_derivatives(torch, theirs, arrays, call, 1)
    our_first, our_second = second_derivatives(microtorch, ours, arrays, call, 1)
    for k, (t, o) in enumerate(zip(torch_first, our_first)):
        np.testing.assert_allclose(o, t, **TOL, err_msg=f"first derivative {k}")
    for k, (t, o) in enumerate(zip(torch_second, our_second)):
        np.testing.assert_allclose(o, t, **TOL, err_msg=f"second derivative {k}")


def with_state(kind, wanted):
    """call(module, leaves): leaves[0] the input, then h0 (and c0) when wanted."""
    def call(module, leaves):
        if not wanted:
            return module(leaves[0])
        return module(leaves[0], tuple(leaves[1:]) if kind in ("LSTM", "LSTMCell") else leaves[1])
    return call


# ---------------------------------------------------------------- layers

@pytest.mark.parametrize("kind, extra", LAYERS)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state", [False, True])
def test_layer_second_derivatives_match_torch(kind, extra, num_layers, bidirectional, batch_first, bias, state):
    rng = np.random.default_rng(0)
    theirs, ours = twins(kind, 3, 4, num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional,
                         **extra)
    batch, steps = 2, 4
    arrays = [rng.standard_normal((batch, steps, 3) if batch_first else (steps, batch, 3))]
    if state:
        shape = (num_layers * (2 if bidirectional else 1), batch, 4)
        arrays += [rng.standard_normal(shape) for _ in range(2 if kind == "LSTM" else 1)]
    assert_same_second_derivatives(theirs, ours, arrays, with_state(kind, state))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_layer_second_derivatives_match_torch(kind):
    rng = np.random.default_rng(2)
    theirs, ours = twins(kind, 3, 4, 2, bidirectional=True)
    arrays = [rng.standard_normal((5, 3))] + [rng.standard_normal((4, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    assert_same_second_derivatives(theirs, ours, arrays, with_state(kind, True))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_second_derivatives_match_torch(kind, enforce_sorted, bidirectional):
    rng = np.random.default_rng(3)
    theirs, ours = twins(kind, 3, 4, 2, bidirectional=bidirectional)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 4]
    layers = 4 if bidirectional else 2
    arrays = [rng.standard_normal((5, 4, 3))] + [rng.standard_normal((layers, 4, 4))
                                                  for _ in range(2 if kind == "LSTM" else 1)]
    state = with_state(kind, True)

    def call(module, leaves):
        pack = TR.pack_padded_sequence if isinstance(module, torch.nn.Module) else our_rnn.pack_padded_sequence
        return state(module, [pack(leaves[0], lengths, enforce_sorted=enforce_sorted)] + leaves[1:])
    assert_same_second_derivatives(theirs, ours, arrays, call)


@pytest.mark.parametrize("kind, extra", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                         ("GRUCell", {})])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state", [False, True])
def test_cell_second_derivatives_match_torch(kind, extra, bias, state):
    rng = np.random.default_rng(4)
    theirs, ours = twins(kind, 3, 4, bias=bias, **extra)
    arrays = [rng.standard_normal((2, 3))]
    if state:
        arrays += [rng.standard_normal((2, 4)) for _ in range(2 if kind == "LSTMCell" else 1)]
    assert_same_second_derivatives(theirs, ours, arrays, with_state(kind, state))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_hessian_vector_product_matches_torch(kind):
    """autograd.functional.hvp of a loss of the input sequence, and a parameter Hessian-vector product."""
    rng = np.random.default_rng(5)
    theirs, ours = twins(kind, 3, 4, 2, batch_first=True)
    x, v = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3))

    def loss_of(module):
        return lambda inputs: (module(inputs)[0] ** 2).sum() + module(inputs)[0].tanh().sum()

    torch_value, torch_hvp = torch.autograd.functional.hvp(loss_of(theirs), torch.tensor(x), torch.tensor(v))
    our_value, our_hvp = microtorch.autograd.functional.hvp(loss_of(ours), microtorch.tensor(x),
                                                            microtorch.tensor(v))
    np.testing.assert_allclose(our_value.numpy(), torch_value.numpy(), **TOL)
    np.testing.assert_allclose(our_hvp.numpy(), torch_hvp.numpy(), **TOL)

    # H v for the parameters: grad of (grad(loss) . v)
    products = []
    for lib, module in ((torch, theirs), (microtorch, ours)):
        params = [p for _, p in sorted(module.named_parameters())]
        directions = [lib.tensor(np.random.default_rng(6 + k).standard_normal(tuple(p.shape)))
                      for k, p in enumerate(params)]
        grads = lib.autograd.grad(loss_of(module)(lib.tensor(x)), params, create_graph=True)
        dot = sum((g * d).sum() for g, d in zip(grads, directions))
        products.append([as_array(h, lib) for h in lib.autograd.grad(dot, params)])
    for t, o in zip(*products):
        np.testing.assert_allclose(o, t, **TOL)


# ---------------------------------------------------------------- the ops themselves

def op_inputs(kind, rng, steps=3, batch=2, hidden=2):
    """gates_x, the initial state(s), w_hh and b_hh of a small time-loop op, as float64 arrays."""
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind] * hidden
    states = [rng.standard_normal((batch, hidden)) for _ in range(2 if kind == "LSTM" else 1)]
    return [rng.standard_normal((steps, batch, gates)), *states, rng.standard_normal((gates, hidden)) * 0.5,
            rng.standard_normal(gates)]


def run_op(kind, *args, mask=None, reverse=False, nonlinearity="tanh"):
    op = getattr(ops, kind + "Sequence")
    extra = (nonlinearity,) if kind == "RNN" else ()
    return apply(op, *args, mask, reverse, *extra)


KINDS = [("RNN", "tanh"), ("RNN", "relu"), ("LSTM", None), ("GRU", None)]
MASK = np.array([[1, 1], [1, 0], [0, 0]], dtype=bool)   # (T, B): the second sequence is one step long


@pytest.mark.parametrize("kind, nonlinearity", KINDS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mask", [None, MASK])
def test_decomposition_equals_forward(kind, nonlinearity, reverse, mask):
    arrays = op_inputs(kind, np.random.default_rng(7))
    op = getattr(ops, kind + "Sequence")
    extra = (nonlinearity,) if kind == "RNN" else ()
    fused = run_op(kind, *[microtorch.tensor(a) for a in arrays], mask=mask, reverse=reverse,
                   nonlinearity=nonlinearity or "tanh")
    np.testing.assert_allclose(op.decomposition(*arrays, mask, reverse, *extra), fused.numpy(), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("kind, nonlinearity", KINDS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mask", [None, MASK])
@pytest.mark.parametrize("bias", [True, False])
def test_gradgradcheck_of_the_ops(kind, nonlinearity, reverse, mask, bias):
    arrays = op_inputs(kind, np.random.default_rng(8))
    if not bias:
        arrays = arrays[:-1]
    inputs = [microtorch.tensor(a, requires_grad=True) for a in arrays]

    def fn(*tensors):
        return run_op(kind, *tensors, *(() if bias else (None,)), mask=mask, reverse=reverse,
                      nonlinearity=nonlinearity or "tanh")
    assert microtorch.autograd.gradgradcheck(fn, inputs)


def test_gradgradcheck_of_a_stacked_lstm_with_constant_parts():
    """Some inputs need no gradient (constants inside the decomposition), others do."""
    rng = np.random.default_rng(9)
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=np.float64)
    h0 = microtorch.tensor(rng.standard_normal((4, 2, 3)))   # a constant
    x, c0 = rng.standard_normal((3, 2, 2)), rng.standard_normal((4, 2, 3))
    assert microtorch.autograd.gradgradcheck(lambda x, c0: layer(x, (h0, c0))[0].tanh(),
                                             [microtorch.tensor(x, requires_grad=True),
                                              microtorch.tensor(c0, requires_grad=True)])
