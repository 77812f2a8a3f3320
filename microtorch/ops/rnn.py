"""Recurrent time loops: one Function runs a whole layer direction (RNN, LSTM or GRU) over time.

The input projection x @ W_ih.T + b_ih of every step is one matmul made outside, by the layer;
these ops take it as `gates_x` (T, B, G*H) and run the recurrence: one h @ W_hh.T per step
forward, and back through time one grad @ W_hh per step, with W_hh's gradient a single matmul
over all steps at the end. One node per layer direction keeps the engine out of the time loop.

`mask` (T, B) bool, or None, marks valid steps of padded sequences (packed input): where a step
is not valid the state is carried unchanged and the output is 0, so the last state is each
sequence's last valid step. `reverse` runs the loop from the last step to the first.

A Function returns one array, so the outputs are stacked along the first axis:
(T + 1, B, H) = outputs, then h_n (RNN, GRU); (T + 2, B, H) = outputs, h_n, c_n (LSTM).
"""
import numpy as np

from microtorch.autograd.function import Function


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # stable for any x, and one ufunc chain


def _sigmoid_(a):
    """sigmoid in place, as 1 / (1 + exp(-a)): numpy's float32 exp is several times faster than its tanh.
    exp may overflow to inf, giving the right limit 0 (callers silence the warning)."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    return np.reciprocal(a, out=a)


def _tanh_(a):
    """tanh in place, as 2 * sigmoid(2a) - 1."""
    a *= 2
    _sigmoid_(a)
    a *= 2
    a -= 1
    return a


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
    states = np.empty((gates_x.shape[0] + 1,) + h0.shape, dtype=h0.dtype)
    states[0] = h0
    return gates_x, mask, states


def _stack_outputs(outputs, mask, reverse, *finals):
    if mask is not None:
        outputs = outputs * mask[:, :, None]
    return np.concatenate([_in_order(outputs, reverse), *(f[None] for f in finals)])


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
        gates_x, mask, states = _start(gates_x, h0, mask, reverse, b_hh)
        steps = gates_x.shape[0]
        outputs = np.empty_like(states[1:])
        w_t = w_hh.T
        for t in range(steps):
            pre = gates_x[t] + states[t] @ w_t
            outputs[t] = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
            states[t + 1] = _carry(_valid(mask, t), outputs[t], states[t])
        ctx.save_for_backward(states, outputs, w_hh)
        ctx.mask, ctx.reverse, ctx.nonlinearity = mask, reverse, nonlinearity
        return _stack_outputs(outputs, mask, reverse, states[-1])

    @staticmethod
    def backward(ctx, grad):
        states, outputs, w_hh = ctx.saved_tensors
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
        gates_x, mask, h_states = _start(gates_x, h0, mask, reverse, b_hh)
        steps, hidden = gates_x.shape[0], h0.shape[-1]
        c_states = np.empty_like(h_states)
        c_states[0] = c0
        # One sigmoid over all four gates per step: tanh(x) = 2 sigmoid(2x) - 1, so g's columns are doubled first.
        doubled_g = np.ones(4 * hidden, dtype=h0.dtype)
        doubled_g[2 * hidden:3 * hidden] = 2
        gates_x, w_t = gates_x * doubled_g, w_hh.T * doubled_g
        gates = np.empty(gates_x.shape, dtype=h0.dtype)  # the activated gates, kept for backward
        tanh_c = np.empty_like(h_states[1:])
        outputs = np.empty_like(tanh_c)
        with np.errstate(over="ignore"):
            for t in range(steps):
                step = gates[t]
                np.matmul(h_states[t], w_t, out=step)
                step += gates_x[t]
                _sigmoid_(step)
                i, f, g, o = (step[:, k * hidden:(k + 1) * hidden] for k in range(4))
                g *= 2
                g -= 1
                c = f * c_states[t]
                c += i * g
                tanh_c[t] = c
                outputs[t] = o * _tanh_(tanh_c[t])
                valid = _valid(mask, t)
                h_states[t + 1] = _carry(valid, outputs[t], h_states[t])
                c_states[t + 1] = _carry(valid, c, c_states[t])
        ctx.save_for_backward(h_states, c_states, gates, tanh_c, w_hh)
        ctx.mask, ctx.reverse = mask, reverse
        return _stack_outputs(outputs, mask, reverse, h_states[-1], c_states[-1])

    @staticmethod
    def backward(ctx, grad):
        h_states, c_states, gates, tanh_c, w_hh = ctx.saved_tensors
        mask, reverse = ctx.mask, ctx.reverse
        steps, hidden = tanh_c.shape[0], tanh_c.shape[-1]
        grad_out = _in_order(grad[:steps], reverse)
        grad_h, grad_c = grad[steps].copy(), grad[steps + 1].copy()
        d_gates = np.empty_like(gates)
        for t in reversed(range(steps)):
            valid = _valid(mask, t)
            i, f, g, o = (gates[t][:, k * hidden:(k + 1) * hidden] for k in range(4))
            dh = grad_h + grad_out[t]
            dc = grad_c + dh * o * (1 - tanh_c[t] * tanh_c[t])
            step = d_gates[t]
            step[:, :hidden] = dc * g * i * (1 - i)
            step[:, hidden:2 * hidden] = dc * c_states[t] * f * (1 - f)
            step[:, 2 * hidden:3 * hidden] = dc * i * (1 - g * g)
            step[:, 3 * hidden:] = dh * tanh_c[t] * o * (1 - o)
            if valid is not None:
                step *= valid
            carried_h, carried_c = step @ w_hh, dc * f
            grad_h = _carry(valid, carried_h, grad_h)
            grad_c = _carry(valid, carried_c, grad_c)
        grad_w, grad_b = _weight_grads(ctx, d_gates, h_states[:-1], 3)
        return _in_order(d_gates, reverse), grad_h, grad_c, grad_w, grad_b, None, None


class GRUSequence(Function):
    """Gates r, z, n (torch's order): n = tanh(x_n + r * (h @ W_hn.T + b_hn)), h_t = (1 - z) * n + z * h."""

    @staticmethod
    def forward(ctx, gates_x, h0, w_hh, b_hh, mask, reverse):
        gates_x, mask, h_states = _start(gates_x, h0, mask, reverse)  # b_hh stays apart: r scales its n part
        steps, hidden = gates_x.shape[0], h0.shape[-1]
        gates = np.empty(gates_x.shape, dtype=h0.dtype)  # r, z, n after their activations
        hidden_n = np.empty_like(h_states[1:])  # h @ W_hn.T + b_hn, which r multiplies
        outputs = np.empty_like(hidden_n)
        w_t = w_hh.T
        for t in range(steps):
            gates_h = h_states[t] @ w_t
            if b_hh is not None:
                gates_h += b_hh
            step = gates[t]
            step[:, :2 * hidden] = _sigmoid(gates_x[t][:, :2 * hidden] + gates_h[:, :2 * hidden])
            r, z = step[:, :hidden], step[:, hidden:2 * hidden]
            hidden_n[t] = gates_h[:, 2 * hidden:]
            n = step[:, 2 * hidden:] = np.tanh(gates_x[t][:, 2 * hidden:] + r * hidden_n[t])
            outputs[t] = n + z * (h_states[t] - n)
            h_states[t + 1] = _carry(_valid(mask, t), outputs[t], h_states[t])
        ctx.save_for_backward(h_states, gates, hidden_n, w_hh)
        ctx.mask, ctx.reverse = mask, reverse
        return _stack_outputs(outputs, mask, reverse, h_states[-1])

    @staticmethod
    def backward(ctx, grad):
        h_states, gates, hidden_n, w_hh = ctx.saved_tensors
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
