"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with torch's parameter names and gate order.

Each layer direction is one op (microtorch.ops.rnn): the input projection of all steps is one
matmul, then the op runs the time loop forward and back. Packed input runs padded, with a mask
that carries each sequence's state past its last step.
"""
import math
import warnings

import numpy as np

from microtorch import functional as mf
from microtorch import ops
from microtorch._checks import _input
from microtorch._engine import apply as _apply
from microtorch.creation import zeros
from microtorch.nn import functional as F
from microtorch.nn import init
from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter
from microtorch.nn.utils.rnn import PackedSequence, _packed_rows, _padded_sorted

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _run_direction(mode, x, w_ih, b_ih, state, w_hh, b_hh, mask, reverse):
    """One layer direction over x (T, B, in): (outputs (T, B, H), h_n, c_n or None).

    The input projection of all steps is one matmul. RNN and LSTM hand b_ih + b_hh (one vector) to the
    time-loop op, which adds it where it passes over the projection anyway: one pass over all steps
    fewer. GRU keeps them apart (r scales b_hh's n part)."""
    steps = x.shape[0]
    if mode != "GRU" and b_ih is not None:
        gates_x, b_hh = F.linear(x, w_ih), b_ih + b_hh
    else:
        gates_x = F.linear(x, w_ih, b_ih)
    if mode == "LSTM":
        stacked = _apply(ops.LSTMSequence, gates_x, state[0], state[1], w_hh, b_hh, mask, reverse)
        return stacked[:steps], stacked[steps], stacked[steps + 1]
    if mode == "GRU":
        stacked = _apply(ops.GRUSequence, gates_x, state, w_hh, b_hh, mask, reverse)
    else:
        stacked = _apply(ops.RNNSequence, gates_x, state, w_hh, b_hh, mask, reverse, mode[4:].lower())
    return stacked[:steps], stacked[steps], None


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return "RNN_" + nonlinearity.upper()


def _shape_text(shape):
    return "[" + ", ".join(str(n) for n in shape) + "]"


class RNNBase(Module):
    """The shared body of RNN, LSTM and GRU: parameters per layer and direction, and the layer loop.

    Parameters
    ----------
    mode : {'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'}
    input_size, hidden_size : int
    num_layers : int
        Stacked layers, each reading the previous one's output.
    bias : bool
        Learn bias_ih and bias_hh.
    batch_first : bool
        Input and output are ``(B, T, *)`` rather than ``(T, B, *)``; the states are always (layers, B, H).
    dropout : float
        Dropout on each layer's output except the last, in training.
    bidirectional : bool
        A second direction per layer reads the sequence backwards; outputs are concatenated.
    proj_size : int
        Only 0: LSTM projections are not supported (a difference from PyTorch).
    dtype : numpy dtype
        The parameters' dtype (float32 by default, as torch).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size != 0:
            raise NotImplementedError(f"{name}: proj_size is not supported by microtorch (got {proj_size}); "
                                      "add a Linear after the layer instead")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                # torch's order: weight_ih, weight_hh, bias_ih, bias_hh, per layer and direction
                setattr(self, f"weight_ih_l{layer}{suffix}", Parameter(np.empty((gate_size, layer_input), dtype)))
                setattr(self, f"weight_hh_l{layer}{suffix}", Parameter(np.empty((gate_size, hidden_size), dtype)))
                if bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", Parameter(np.empty((gate_size,), dtype)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", Parameter(np.empty((gate_size,), dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in +-1/sqrt(hidden_size), as torch."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, layer, suffix):
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    # ------------------------------------------------------------ argument checks
    def _check_input(self, input):
        name = type(self).__name__
        _input(name, input)
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                             f"{'tensor ' if self.mode != 'LSTM' else ''}instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def _check_state(self, state, batch, label):
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        if tuple(state.shape) != expected:
            raise RuntimeError(f"Expected {label} size {expected}, got {_shape_text(state.shape)}")

    def _states(self, hx, batch, dtype, unbatched):
        """The initial state(s) as (layers * directions, B, H) tensors: hx, or zeros."""
        lstm = self.mode == "LSTM"
        layers = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            fresh = [zeros(layers, batch, self.hidden_size, dtype=dtype) for _ in range(2 if lstm else 1)]
            return fresh if lstm else fresh[0]
        states = list(hx) if lstm else [hx]
        wanted = 2 if unbatched else 3
        if any(s.ndim != wanted for s in states):
            kind = "unbatched 2-D" if unbatched else "batched 3-D"
            dims = ", ".join(f"{s.ndim}-D" for s in states)
            raise RuntimeError(f"For {kind} input, hx{' and cx' if lstm else ''} should also be {wanted}-D but got "
                               + (f"({dims}) tensors" if lstm else f"{dims} tensor"))
        if unbatched:
            states = [s.unsqueeze(1) for s in states]
        for k, s in enumerate(states):
            self._check_state(s, batch, f"hidden[{k}]" if lstm else "hidden")
        return states if lstm else states[0]

    # ------------------------------------------------------------ the layer loop
    def forward(self, input, hx=None):
        """Run every layer over the sequence.

        Returns
        -------
        (output, h_n), or for LSTM (output, (h_n, c_n)); output is a PackedSequence when input is.
        """
        packed = isinstance(input, PackedSequence)
        mask = None
        if packed:
            x, lengths = _padded_sorted(input)
            self._check_input(x)
            mask = lengths[None, :] > np.arange(x.shape[0])[:, None]
            unbatched = False
        else:
            self._check_input(input)
            unbatched = input.ndim == 2
            x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        state = self._states(hx, x.shape[1], x.dtype, unbatched)
        if packed and input.sorted_indices is not None and hx is not None:
            order = input.sorted_indices
            state = [s.index_select(1, order) for s in state] if self.mode == "LSTM" else state.index_select(1, order)
        output, h_n, c_n = self._layers(x, state, mask)
        if packed:
            steps, rows = _packed_rows(np.asarray(input.batch_sizes._array))
            output = PackedSequence(output[steps, rows], input.batch_sizes, input.sorted_indices,
                                    input.unsorted_indices)
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = None if c_n is None else c_n.index_select(1, input.unsorted_indices)
        elif unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def _layers(self, x, state, mask):
        lstm = self.mode == "LSTM"
        directions = ("", "_reverse") if self.bidirectional else ("",)
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(directions):
                index = layer * len(directions) + d
                start = (state[0][index], state[1][index]) if lstm else state[index]
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, suffix)
                out, h_n, c_n = _run_direction(self.mode, x, w_ih, b_ih, start, w_hh, b_hh, mask,
                                               suffix == "_reverse")
                outputs.append(out)
                finals_h.append(h_n)
                finals_c.append(c_n)
            x = outputs[0] if len(outputs) == 1 else mf.cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, mf.stack(finals_h), (mf.stack(finals_c) if lstm else None)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh), act tanh or relu.

    Parameters
    ----------
    input_size, hidden_size, num_layers : int
    nonlinearity : {'tanh', 'relu'}
    bias, batch_first, dropout, bidirectional, dtype
        As RNNBase.

    Shape
    -----
    input (T, B, input_size), (B, T, input_size) if batch_first, or unbatched (T, input_size), or a
    PackedSequence; hx (layers * directions, B, hidden_size). Returns (output, h_n), output
    (T, B, directions * hidden_size).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32):
        self.nonlinearity = nonlinearity
        super().__init__(_check_nonlinearity(nonlinearity), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o (torch's order), c_t = f * c + i * g, h_t = o * tanh(c_t).

    Parameters
    ----------
    input_size, hidden_size, num_layers : int
    bias, batch_first, dropout, bidirectional, proj_size, dtype
        As RNNBase (proj_size must be 0).

    Shape
    -----
    As RNN, with the state a pair (h_0, c_0); returns (output, (h_n, c_n)).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, dtype=np.float32):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, dtype)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n (torch's order), n = tanh(x_n + r * (h @ W_hn.T + b_hn)),
    h_t = (1 - z) * n + z * h_{t-1}.

    Parameters and Shape as RNN (without nonlinearity).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=np.float32):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype)


# ---------------------------------------------------------------- cells: one step

class RNNCellBase(Module):
    """One step of a recurrent layer: weight_ih, weight_hh, bias_ih, bias_hh as torch."""

    def __init__(self, mode, input_size, hidden_size, bias=True, dtype=np.float32):
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bias
        gate_size = _GATES[mode] * hidden_size
        self.weight_ih = Parameter(np.empty((gate_size, input_size), dtype))
        self.weight_hh = Parameter(np.empty((gate_size, hidden_size), dtype))
        self.bias_ih = Parameter(np.empty((gate_size,), dtype)) if bias else None
        self.bias_hh = Parameter(np.empty((gate_size,), dtype)) if bias else None
        RNNBase.reset_parameters(self)

    def forward(self, input, hx=None):
        """One step: h' (RNNCell, GRUCell) or (h', c') (LSTMCell), shaped like hx."""
        name = type(self).__name__
        _input(name, input)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        lstm = self.mode == "LSTM"
        if hx is None:
            states = [zeros(x.shape[0], self.hidden_size, dtype=x.dtype) for _ in range(2 if lstm else 1)]
        else:
            states = list(hx) if lstm else [hx]
            states = [s.unsqueeze(0) if unbatched else s for s in states]
            for k, s in enumerate(states):
                if s.shape[0] != x.shape[0]:
                    raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{k} batch size "
                                       f"{s.shape[0]}")
                if s.shape[-1] != self.hidden_size:
                    raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[-1]}, expected "
                                       f"{self.hidden_size}")
        _, h, c = _run_direction(self.mode, x.unsqueeze(0), self.weight_ih, self.bias_ih,
                                 states if lstm else states[0], self.weight_hh, self.bias_hh, None, False)
        if unbatched:
            h, c = h.squeeze(0), (None if c is None else c.squeeze(0))
        return (h, c) if lstm else h

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        return text + (", nonlinearity='relu'" if self.mode == "RNN_RELU" else "")


class RNNCell(RNNCellBase):
    """One Elman RNN step, h' = act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).

    Shape
    -----
    input (B, input_size) or (input_size,); hx like the output, (B, hidden_size) or (hidden_size,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float32):
        self.nonlinearity = nonlinearity
        super().__init__(_check_nonlinearity(nonlinearity), input_size, hidden_size, bias, dtype)


class LSTMCell(RNNCellBase):
    """One LSTM step; hx is a pair (h, c) and the result is (h', c'). Shape as RNNCell."""

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32):
        super().__init__("LSTM", input_size, hidden_size, bias, dtype)


class GRUCell(RNNCellBase):
    """One GRU step, torch's gate order (r, z, n). Shape as RNNCell."""

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32):
        super().__init__("GRU", input_size, hidden_size, bias, dtype)

