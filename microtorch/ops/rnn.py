"""Recurrent time loops: one Function runs a whole layer direction (RNN, LSTM or GRU) over time.

The input projection x @ W_ih.T of every step is one matmul made outside, by the layer (RNN and
LSTM layers pass b_ih + b_hh as the op's b_hh; GRU adds b_ih to the projection, since r scales
b_hh's n part); these ops take it as `gates_x` (T, B, G*H) and run the recurrence: one h @ W_hh.T per step
forward, and back through time one grad @ W_hh per step, with W_hh's gradient a single matmul
over all steps at the end. One node per layer direction keeps the engine out of the time loop.

`mask` (T, B) bool, or None, marks valid steps of padded sequences (packed input): where a step
is not valid the state is carried unchanged and the output is 0, so the last state is each
sequence's last valid step. `reverse` runs the loop from the last step to the first.

A Function returns one array, so the outputs are stacked along the first axis:
(T + 1, B, H) = outputs, then h_n (RNN, GRU); (T + 2, B, H) = outputs, h_n, c_n (LSTM).

Each op also has a `decomposition`: the same recurrence written step by step with recorded ops
(matmul, slices, sigmoid, tanh, where, stack), which a create_graph backward differentiates.
"""
import numpy as np

from microtorch.autograd.function import Function


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # stable for any x, and one ufunc chain


def _in_order(array, reverse):
    return array[::-1] if reverse and array is not None else array


def _valid(mask, t):
    """The (B, 1) mask of step t, or None when every step is valid."""
    return None if mask is None else mask[t][:, None]


def _carry(valid, new, old):
    """The new state where the step is valid, the old one elsewhere."""
    return new if valid is None else np.where(valid, new, old)


def _start(gates_x, h0, mask, reverse, b_hh=None):
    """The loop's inputs in processing order (b_hh folded into gates_x if given), and the states
    array: states[t] is the state before step t, states[0] = h0."""
    gates_x, mask = _in_order(gates_x, reverse), _in_order(mask, reverse)
    if b_hh is not None:
        gates_x = gates_x + b_hh
    return gates_x, mask, _states(h0, gates_x.shape[0])


def _states(start, steps):
    """The (steps + 1, B, H) array of a state over the loop: [t] is the state before step t."""
    states = np.empty((steps + 1,) + start.shape, dtype=start.dtype)
    states[0] = start
    return states


def _keep_state(valid, states, t):
    """Where a sequence has ended (valid[b] False at step t), its state stays the one before the step."""
    np.copyto(states[t + 1], states[t], where=~valid[:, None])


def _stack_outputs(outputs, mask, reverse, *finals):
    if mask is not None:
        outputs = outputs * mask[:, :, None]
    return np.concatenate([_in_order(outputs, reverse), *(f[None] for f in finals)])


def _recorded_loop(cell, gates_x, states, mask, reverse):
    """The time loop from recorded ops, for the decompositions: cell(gates_x[t], *states) gives the
    new states, h first. Returns the same stack as forward (outputs, then the final states)."""
    steps = range(gates_x.shape[0])
    outputs = []
    for t in reversed(steps) if reverse else steps:
        new = cell(gates_x[t], *states)
        valid = _valid(mask, t)
        if valid is not None:  # past a sequence's end: output 0, state carried
            new = tuple(np.where(valid, n, s) for n, s in zip(new, states))
        outputs.append(new[0] if valid is None else np.where(valid, new[0], 0))
        states = new
    if reverse:
        outputs.reverse()
    return np.concatenate([np.stack(outputs), *(s[None] for s in states)])


def _weight_grads(ctx, d_gates_h, h_prev, w_index):
    """W_hh's and b_hh's gradients, each one reduction over all steps."""
    needs = ctx.needs_input_grad
    flat = d_gates_h.reshape(-1, d_gates_h.shape[-1])
    grad_w = flat.T @ h_prev.reshape(-1, h_prev.shape[-1]) if needs[w_index] else None
    grad_b = flat.sum(axis=0) if needs[w_index + 1] else None
    return grad_w, grad_b


class RNNSequence(Function):
    """h_t = act(gates_x_t + h_{t-1} @ W_hh.T + b_hh), act tanh or relu."""

    @staticmethod
    def forward(ctx, gates_x, h0, w_hh, b_hh, mask, reverse, nonlinearity):
        inputs, mask, states = _start(gates_x, h0, mask, reverse, b_hh)
        steps = inputs.shape[0]
        outputs = np.empty_like(states[1:])
        w_t = w_hh.T
        for t in range(steps):
            pre = inputs[t] + states[t] @ w_t
            outputs[t] = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
            states[t + 1] = _carry(_valid(mask, t), outputs[t], states[t])
        ctx.save_for_backward(states, outputs, gates_x, h0, w_hh, b_hh)  # the inputs for the decomposition
        ctx.mask, ctx.reverse, ctx.nonlinearity = mask, reverse, nonlinearity
        return _stack_outputs(outputs, mask, reverse, states[-1])

    @staticmethod
    def decomposition(gates_x, h0, w_hh, b_hh, mask, reverse, nonlinearity):
        """The same recurrence from recorded ops, differentiated by a create_graph backward."""
        w_t = w_hh.T
        if b_hh is not None:
            gates_x = gates_x + b_hh

        def cell(x, h):
            pre = x + h @ w_t
            return (np.tanh(pre) if nonlinearity == "tanh" else np.where(pre > 0, pre, 0)),
        return _recorded_loop(cell, gates_x, (h0,), mask, reverse)

    @staticmethod
    def backward(ctx, grad):
        states, outputs, _, _, w_hh, _ = ctx.saved_tensors
        mask, reverse = ctx.mask, ctx.reverse
        steps = outputs.shape[0]
        grad_out = _in_order(grad[:steps], reverse)
        grad_h = grad[steps].copy()
        d_pre = np.empty_like(outputs)
        for t in reversed(range(steps)):
            valid = _valid(mask, t)
            grad_cell = grad_h + grad_out[t] if valid is None else np.where(valid, grad_h + grad_out[t], 0)
            out = outputs[t]
            d_pre[t] = grad_cell * (1 - out * out) if ctx.nonlinearity == "tanh" else grad_cell * (out > 0)
            carried = d_pre[t] @ w_hh
            grad_h = carried if valid is None else np.where(valid, carried, grad_h)
        grad_w, grad_b = _weight_grads(ctx, d_pre, states[:-1], 2)
        return _in_order(d_pre, reverse), grad_h, grad_w, grad_b, None, None, None


class LSTMSequence(Function):
    """Gates i, f, g, o (torch's order): c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t)."""

    @staticmethod
    def forward(ctx, gates_x, h0, c0, w_hh, b_hh, mask, reverse):
        inputs, mask = _in_order(gates_x, reverse), _in_order(mask, reverse)
        steps, hidden = inputs.shape[0], h0.shape[-1]
        h_states, c_states = _states(h0, steps), _states(c0, steps)
        # One sigmoid 1 / (1 + exp(-x)) over all four gates per step, its minus sign folded into the inputs
        # and weights once; tanh(x) = 2 sigmoid(2x) - 1, so g's columns are doubled too.
        fold = np.repeat(np.array([-1, -1, -2, -1], dtype=h0.dtype), hidden)
        inputs, w_t = inputs * fold, np.ascontiguousarray(w_hh.T * fold)
        if b_hh is not None:
            inputs += b_hh * fold
        gates = np.empty_like(inputs)  # the activated gates, kept for backward
        i, f, g, o = np.split(gates, 4, axis=-1)  # views
        tanh_c = np.empty_like(h_states[1:])
        with np.errstate(over="ignore"):
            for t in range(steps):
                z = gates[t]
                np.matmul(h_states[t], w_t, out=z)
                z += inputs[t]
                np.exp(z, out=z)
                z += 1
                np.reciprocal(z, out=z)
                g[t] *= 2
                g[t] -= 1
                c = c_states[t + 1]
                np.multiply(f[t], c_states[t], out=c)  # c = f * c + i * g
                c += i[t] * g[t]
                np.tanh(c, out=tanh_c[t])
                np.multiply(o[t], tanh_c[t], out=h_states[t + 1])  # h = o * tanh(c)
                if mask is not None:  # past a sequence's end its state stays
                    _keep_state(mask[t], h_states, t)
                    _keep_state(mask[t], c_states, t)
        ctx.save_for_backward(h_states, c_states, gates, tanh_c, gates_x, h0, c0, w_hh, b_hh)
        ctx.mask, ctx.reverse = mask, reverse
        return _stack_outputs(h_states[1:], mask, reverse, h_states[-1], c_states[-1])

    @staticmethod
    def decomposition(gates_x, h0, c0, w_hh, b_hh, mask, reverse):
        """The same recurrence from recorded ops, differentiated by a create_graph backward."""
        hidden, w_t = h0.shape[-1], w_hh.T
        if b_hh is not None:
            gates_x = gates_x + b_hh

        def cell(x, h, c):
            gates = x + h @ w_t
            i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            return _sigmoid(o) * np.tanh(c), c
        return _recorded_loop(cell, gates_x, (h0, c0), mask, reverse)

    @staticmethod
    def backward(ctx, grad):
        h_states, c_states, gates, tanh_c, _, _, _, w_hh, _ = ctx.saved_tensors
        mask, reverse = ctx.mask, ctx.reverse
        steps, batch, hidden = tanh_c.shape
        grad_out = _in_order(grad[:steps], reverse)
        grad_h, grad_c = grad[steps].copy(), grad[steps + 1].copy()
        # What does not depend on the incoming gradient, for all steps at once (few large numpy calls):
        # d_gates = [dc * d_i, dc * d_f, dc * d_g, dh * d_o], and dc gains dh * d_c.
        i, f, g, o = np.split(gates, 4, axis=-1)
        by_dc = np.empty((steps, batch, 3, hidden), dtype=gates.dtype)
        np.multiply(g * i, 1 - i, out=by_dc[:, :, 0])
        np.multiply(c_states[:-1] * f, 1 - f, out=by_dc[:, :, 1])
        np.multiply(i, 1 - g * g, out=by_dc[:, :, 2])
        d_o = tanh_c * o * (1 - o)
        d_c = o * (1 - tanh_c * tanh_c)
        d_gates = np.empty_like(gates)
        for t in reversed(range(steps)):
            valid = _valid(mask, t)
            dh = grad_h + grad_out[t]
            dc = dh * d_c[t]
            dc += grad_c
            step = d_gates[t]
            np.multiply(dc[:, None, :], by_dc[t], out=step[:, :3 * hidden].reshape(batch, 3, hidden))
            np.multiply(dh, d_o[t], out=step[:, 3 * hidden:])
            if valid is not None:
                step *= valid
            carried_h, carried_c = step @ w_hh, dc * f[t]
            grad_h = _carry(valid, carried_h, grad_h)
            grad_c = _carry(valid, carried_c, grad_c)
        grad_w, grad_b = _weight_grads(ctx, d_gates, h_states[:-1], 3)
        return _in_order(d_gates, reverse), grad_h, grad_c, grad_w, grad_b, None, None


class GRUSequence(Function):
    """Gates r, z, n (torch's order): n = tanh(x_n + r * (h @ W_hn.T + b_hn)), h_t = (1 - z) * n + z * h."""

    @staticmethod
    def forward(ctx, gates_x, h0, w_hh, b_hh, mask, reverse):
        inputs, mask, h_states = _start(gates_x, h0, mask, reverse)  # b_hh stays apart: r scales its n part
        steps, hidden = inputs.shape[0], h0.shape[-1]
        gates = np.empty(inputs.shape, dtype=h0.dtype)  # r, z, n after their activations
        hidden_n = np.empty_like(h_states[1:])  # h @ W_hn.T + b_hn, which r multiplies
        outputs = np.empty_like(hidden_n)
        w_t = w_hh.T
        for t in range(steps):
            gates_h = h_states[t] @ w_t
            if b_hh is not None:
                gates_h += b_hh
            step = gates[t]
            step[:, :2 * hidden] = _sigmoid(inputs[t][:, :2 * hidden] + gates_h[:, :2 * hidden])
            r, z = step[:, :hidden], step[:, hidden:2 * hidden]
            hidden_n[t] = gates_h[:, 2 * hidden:]
            n = step[:, 2 * hidden:] = np.tanh(inputs[t][:, 2 * hidden:] + r * hidden_n[t])
            outputs[t] = n + z * (h_states[t] - n)
            h_states[t + 1] = _carry(_valid(mask, t), outputs[t], h_states[t])
        ctx.save_for_backward(h_states, gates, hidden_n, gates_x, h0, w_hh, b_hh)
        ctx.mask, ctx.reverse = mask, reverse
        return _stack_outputs(outputs, mask, reverse, h_states[-1])

    @staticmethod
    def decomposition(gates_x, h0, w_hh, b_hh, mask, reverse):
        """The same recurrence from recorded ops, differentiated by a create_graph backward."""
        hidden, w_t = h0.shape[-1], w_hh.T

        def cell(x, h):
            gates_h = h @ w_t if b_hh is None else h @ w_t + b_hh
            r, z = (_sigmoid(x[:, k * hidden:(k + 1) * hidden] + gates_h[:, k * hidden:(k + 1) * hidden])
                    for k in range(2))
            n = np.tanh(x[:, 2 * hidden:] + r * gates_h[:, 2 * hidden:])
            return n + z * (h - n),
        return _recorded_loop(cell, gates_x, (h0,), mask, reverse)

    @staticmethod
    def backward(ctx, grad):
        h_states, gates, hidden_n, _, _, w_hh, _ = ctx.saved_tensors
        mask, reverse = ctx.mask, ctx.reverse
        steps, hidden = hidden_n.shape[0], hidden_n.shape[-1]
        grad_out = _in_order(grad[:steps], reverse)
        grad_h = grad[steps].copy()
        d_gates_x = np.empty_like(gates)
        d_gates_h = np.empty_like(gates)
        for t in reversed(range(steps)):
            valid = _valid(mask, t)
            r, z, n = (gates[t][:, k * hidden:(k + 1) * hidden] for k in range(3))
            dh = grad_h + grad_out[t]
            if valid is not None:
                dh = dh * valid
            dn = dh * (1 - z) * (1 - n * n)
            step_x, step_h = d_gates_x[t], d_gates_h[t]
            step_x[:, :hidden] = dn * hidden_n[t] * r * (1 - r)
            step_x[:, hidden:2 * hidden] = dh * (h_states[t] - n) * z * (1 - z)
            step_x[:, 2 * hidden:] = dn
            step_h[:, :2 * hidden] = step_x[:, :2 * hidden]
            step_h[:, 2 * hidden:] = dn * r
            carried = step_h @ w_hh + dh * z
            grad_h = _carry(valid, carried, grad_h)
        grad_w, grad_b = _weight_grads(ctx, d_gates_h, h_states[:-1], 2)
        return _in_order(d_gates_x, reverse), grad_h, grad_w, grad_b, None, None
