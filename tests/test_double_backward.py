"""Second derivatives of every op against PyTorch, in float64 (backward(create_graph=True)).

For each op f and inputs x: g = vjp(f, x, v) with create_graph, then h = grad(sum(g * u), x). Both g
and h must equal torch's. v and u are fixed random cotangents.
"""
import numpy as np
import pytest
import torch

import microtorch as mt
import microtorch.nn.functional as F
import torch.nn.functional as TF

RNG = np.random.default_rng(0)


def _values_of(result):
    """torch.max(x, dim) returns (values, indices); microtorch's Tensor.max(dim) returns the values."""
    return getattr(result, "values", result)


def _values(shape, domain):
    low, high = domain
    return RNG.uniform(low, high, shape)


# name -> (function of (library, functional module, *inputs), input shapes, value range)
# The function is written once and runs on both libraries.
OPS = {
    "add": (lambda L, f, a, b: a + b, [(2, 3), (3,)], (-2, 2)),
    "sub": (lambda L, f, a, b: a - b, [(2, 3), (2, 1)], (-2, 2)),
    "mul": (lambda L, f, a, b: a * b, [(2, 3), (3,)], (-2, 2)),
    "div": (lambda L, f, a, b: a / b, [(2, 3), (2, 3)], (0.5, 2)),
    "pow tensor": (lambda L, f, a, b: a ** b, [(2, 3), (2, 3)], (0.5, 2)),
    "pow scalar": (lambda L, f, a: a ** 3, [(4,)], (-2, 2)),
    "rpow": (lambda L, f, a: 2.0 ** a, [(4,)], (-2, 2)),
    "neg": (lambda L, f, a: -a * a, [(4,)], (-2, 2)),
    "exp": (lambda L, f, a: a.exp(), [(2, 3)], (-2, 2)),
    "log": (lambda L, f, a: a.log(), [(2, 3)], (0.5, 2)),
    "sqrt": (lambda L, f, a: a.sqrt(), [(2, 3)], (0.5, 2)),
    "abs": (lambda L, f, a: a.abs() * a, [(2, 3)], (-2, 2)),
    "clamp": (lambda L, f, a: a.clamp(-0.5, 0.7) * a, [(3, 4)], (-2, 2)),
    "maximum": (lambda L, f, a, b: L.maximum(a, b) * a, [(3, 4), (3, 4)], (-2, 2)),
    "minimum": (lambda L, f, a, b: L.minimum(a, b) * b, [(3, 4), (4,)], (-2, 2)),
    "where": (lambda L, f, a, b: L.where(a > 0, a * a, b * a), [(3, 4), (3, 4)], (-2, 2)),
    "matmul 2d": (lambda L, f, a, b: (a @ b).tanh(), [(2, 3), (3, 4)], (-1, 1)),
    "matmul batched": (lambda L, f, a, b: (a @ b).tanh(), [(2, 2, 3), (3, 4)], (-1, 1)),
    "matmul vector": (lambda L, f, a, b: (a @ b).tanh(), [(3,), (3, 2)], (-1, 1)),
    "sum dim": (lambda L, f, a: (a * a).sum(1), [(2, 3)], (-2, 2)),
    "mean": (lambda L, f, a: (a * a).mean(0, keepdim=True), [(2, 3)], (-2, 2)),
    "max dim": (lambda L, f, a: _values_of((a * a).max(1)), [(3, 4)], (-2, 2)),
    "max all": (lambda L, f, a: (a * a).max() * a, [(3, 4)], (-2, 2)),
    "var": (lambda L, f, a: a.var(1), [(3, 4)], (-2, 2)),
    "reshape": (lambda L, f, a: (a.reshape(3, 2) ** 2).tanh(), [(2, 3)], (-2, 2)),
    "permute": (lambda L, f, a: a.permute(2, 0, 1) ** 2, [(2, 3, 4)], (-2, 2)),
    "transpose": (lambda L, f, a: a.transpose(0, 1) ** 2, [(2, 3)], (-2, 2)),
    "expand": (lambda L, f, a: a.expand(3, 4) ** 2, [(1, 4)], (-2, 2)),
    "cat": (lambda L, f, a, b: L.cat([a * a, b], 0) ** 2, [(2, 3), (1, 3)], (-2, 2)),
    "stack": (lambda L, f, a, b: L.stack([a * a, b], 1) ** 2, [(2, 3), (2, 3)], (-2, 2)),
    "getitem slice": (lambda L, f, a: a[1:, ::2] ** 3, [(3, 4)], (-2, 2)),
    "getitem index": (lambda L, f, a: a[[0, 2, 0]] ** 3, [(3, 4)], (-2, 2)),
    "sigmoid": (lambda L, f, a: a.sigmoid(), [(2, 3)], (-3, 3)),
    "tanh": (lambda L, f, a: a.tanh(), [(2, 3)], (-3, 3)),
    "relu": (lambda L, f, a: a.relu() * a, [(2, 3)], (-3, 3)),
    "gelu": (lambda L, f, a: f.gelu(a), [(2, 3)], (-3, 3)),
    "gelu tanh": (lambda L, f, a: f.gelu(a, approximate="tanh"), [(2, 3)], (-3, 3)),
    "leaky_relu": (lambda L, f, a: f.leaky_relu(a, 0.1) * a, [(2, 3)], (-3, 3)),
    "elu": (lambda L, f, a: f.elu(a), [(2, 3)], (-3, 3)),
    "softplus": (lambda L, f, a: f.softplus(a, beta=2.0), [(2, 3)], (-3, 3)),
    "silu": (lambda L, f, a: f.silu(a), [(2, 3)], (-3, 3)),
    "softmax": (lambda L, f, a: f.softmax(a, dim=1), [(2, 4)], (-2, 2)),
    "log_softmax": (lambda L, f, a: f.log_softmax(a, dim=0), [(3, 4)], (-2, 2)),
    "mse_loss": (lambda L, f, a, b: f.mse_loss(a, b), [(3, 4), (3, 4)], (-2, 2)),
    "linear": (lambda L, f, x, w, b: f.linear(x, w, b).tanh(), [(2, 3), (4, 3), (4,)], (-1, 1)),
    "gather": (lambda L, f, a: L.gather(a * a, 1, L.tensor([[0, 2, 2], [1, 0, 1]])), [(2, 3)], (-2, 2)),
    "index_select": (lambda L, f, a: L.index_select(a * a, 1, L.tensor([2, 0, 2])), [(2, 3)], (-2, 2)),
    "tril": (lambda L, f, a: L.tril(a * a, -1) * a, [(3, 3)], (-2, 2)),
    "triu": (lambda L, f, a: L.triu(a * a) * a, [(3, 4)], (-2, 2)),
    "pad constant": (lambda L, f, a: f.pad(a * a, (1, 2, 0, 1)), [(2, 3)], (-2, 2)),
    "pad reflect": (lambda L, f, a: f.pad(a * a, (2, 1), mode="reflect"), [(1, 2, 4)], (-2, 2)),
    "pad replicate": (lambda L, f, a: f.pad(a * a, (2, 1), mode="replicate"), [(1, 2, 4)], (-2, 2)),
    "pad circular": (lambda L, f, a: f.pad(a * a, (2, 1), mode="circular"), [(1, 2, 4)], (-2, 2)),
    "embedding": (lambda L, f, w: f.embedding(L.tensor([[0, 2], [2, 1]]), w) ** 2, [(3, 4)], (-2, 2)),
    "conv2d": (lambda L, f, x, w, b: f.conv2d(x, w, b, stride=1, padding=1).tanh(),
               [(2, 2, 5, 5), (3, 2, 3, 3), (3,)], (-1, 1)),
    "conv2d strided groups": (lambda L, f, x, w: f.conv2d(x, w, stride=2, dilation=1, groups=2).tanh(),
                              [(1, 4, 6, 6), (2, 2, 3, 3)], (-1, 1)),
    "conv1d": (lambda L, f, x, w: f.conv1d(x, w, padding=2, dilation=2).tanh(), [(2, 2, 7), (3, 2, 3)], (-1, 1)),
    "max_pool2d": (lambda L, f, x: f.max_pool2d(x * x, 2), [(1, 2, 4, 4)], (-2, 2)),
    "avg_pool2d": (lambda L, f, x: f.avg_pool2d(x * x, 2, padding=1), [(1, 2, 4, 4)], (-2, 2)),
    "layer_norm": (lambda L, f, x, w, b: f.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)], (-2, 2)),
    "batch_norm": (lambda L, f, x, w, b: f.batch_norm(x, None, None, w, b, training=True),
                   [(5, 3), (3,), (3,)], (-2, 2)),
    "cross_entropy": (lambda L, f, x: f.cross_entropy(x, L.tensor([0, 2, 1])), [(3, 4)], (-2, 2)),
    "cross_entropy options": (lambda L, f, x: f.cross_entropy(x, L.tensor([0, 2, -100]), label_smoothing=0.1,
                                                              weight=L.tensor([1.0, 2.0, 0.5, 1.5], dtype=L.float64)),
                              [(3, 4)], (-2, 2)),
    "cross_entropy probabilities": (lambda L, f, x, t: f.cross_entropy(x, t.softmax(1)), [(3, 4), (3, 4)], (-2, 2)),
    "nll_loss": (lambda L, f, x: f.nll_loss((x * x).log_softmax(1), L.tensor([0, 2, 1])), [(3, 4)], (-2, 2)),
    "binary_cross_entropy": (lambda L, f, x, t: f.binary_cross_entropy(x.sigmoid(), t), [(3, 4), (3, 4)], (0.1, 0.9)),
    "bce_with_logits": (lambda L, f, x, t: f.binary_cross_entropy_with_logits(x, t), [(3, 4), (3, 4)], (-2, 2)),
    "l1_loss": (lambda L, f, x, t: f.l1_loss(x * x, t), [(3, 4), (3, 4)], (-2, 2)),
    "huber_loss": (lambda L, f, x, t: f.huber_loss(x * x, t, delta=0.5), [(3, 4), (3, 4)], (-2, 2)),
    "smooth_l1_loss": (lambda L, f, x, t: f.smooth_l1_loss(x * x, t, beta=0.5), [(3, 4), (3, 4)], (-2, 2)),
    "setitem": (lambda L, f, a, b: _setitem(a * a, b), [(3, 4), (4,)], (-2, 2)),
}


def _setitem(x, value):
    x = x.clone()
    x[1] = value * value
    return x * x


def _run(library, functional, fn, arrays, grad_out_seed):
    inputs = [library.tensor(a, dtype=library.float64, requires_grad=True) for a in arrays]
    out = fn(library, functional, *inputs)
    v = library.tensor(np.random.default_rng(grad_out_seed).uniform(-1, 1, tuple(out.shape)),
                       dtype=library.float64)
    first = library.autograd.grad(out, inputs, grad_outputs=v, create_graph=True)
    us = [library.tensor(np.random.default_rng(grad_out_seed + 1 + i).uniform(-1, 1, a.shape), dtype=library.float64)
          for i, a in enumerate(arrays)]
    total = sum((g * u).sum() for g, u in zip(first, us))
    if not total.requires_grad:   # the first derivative is constant (add, sub): no second derivative
        return out, first, [None] * len(inputs)
    second = library.autograd.grad(total, inputs, allow_unused=True)
    return out, first, second


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivative_matches_torch(name):
    fn, shapes, domain = OPS[name]
    arrays = [_values(shape, domain) for shape in shapes]
    ours = _run(mt, F, fn, arrays, 7)
    theirs = _run(torch, TF, fn, arrays, 7)
    np.testing.assert_allclose(np.asarray(ours[0]), theirs[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    for kind, mine, ref in (("first", ours[1], theirs[1]), ("second", ours[2], theirs[2])):
        for i, (a, b) in enumerate(zip(mine, ref)):
            if b is None:
                assert a is None or not np.any(np.asarray(a)), f"{name}: {kind} derivative of input {i}"
                continue
            assert a is not None, f"{name}: {kind} derivative of input {i} is missing"
            np.testing.assert_allclose(np.asarray(a.detach()), b.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name}: {kind} derivative of input {i}")
