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
    "linear batched": (lambda L, f, x, w, b: f.linear(x, w, b).tanh(), [(2, 5, 3), (4, 3), (4,)], (-1, 1)),
    "linear no bias": (lambda L, f, x, w: f.linear(x, w).tanh(), [(2, 5, 3), (4, 3)], (-1, 1)),
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
    "layer_norm 2-d shape": (lambda L, f, x, w, b: f.layer_norm(x * x, (2, 3), w, b), [(2, 2, 3), (2, 3), (2, 3)],
                             (-2, 2)),
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
    "sin cos": (lambda L, f, a: a.sin() * a.cos(), [(2, 3)], (-2, 2)),
    "log1p expm1": (lambda L, f, a: (a * a).log1p() + a.expm1(), [(2, 3)], (-1, 1)),
    "erf": (lambda L, f, a: (a * a).erf() * a, [(2, 3)], (-1, 1)),
    "atan2": (lambda L, f, a, b: L.atan2(a, b), [(2, 3), (2, 3)], (0.5, 2)),
    "hypot": (lambda L, f, a, b: L.hypot(a, b), [(2, 3), (2, 3)], (0.5, 2)),
    "sinh tanh": (lambda L, f, a: a.sinh() * a.tanh(), [(2, 3)], (-1, 1)),
    "rsqrt": (lambda L, f, a: a.rsqrt(), [(2, 3)], (0.5, 2)),
    "lerp": (lambda L, f, a, b: L.lerp(a, b, 0.3) ** 2, [(2, 3), (2, 3)], (-1, 1)),
    "prod": (lambda L, f, a: a.prod(1), [(2, 3)], (0.5, 2)),
    "cumsum": (lambda L, f, a: (a * a).cumsum(1), [(2, 3)], (-1, 1)),
    "cumprod": (lambda L, f, a: a.cumprod(1), [(2, 3)], (0.5, 2)),
    "logsumexp": (lambda L, f, a: a.logsumexp(1), [(2, 3)], (-1, 1)),
    "norm": (lambda L, f, a: a.norm(dim=1), [(2, 3)], (0.5, 2)),
    "amax": (lambda L, f, a: (a * a).amax(1), [(2, 3)], (-1, 1)),
    "einsum": (lambda L, f, a, b: L.einsum("ij,jk->ik", a, b).tanh(), [(2, 3), (3, 4)], (-1, 1)),
    "flip roll": (lambda L, f, a: (a.flip(0).roll(1, 1)) ** 3, [(2, 3)], (-1, 1)),
    "repeat": (lambda L, f, a: a.repeat(2, 1) ** 3, [(2, 3)], (-1, 1)),
    "sort values": (lambda L, f, a: (a * a).sort(1).values * 1.0, [(2, 3)], (-1, 1)),
    "topk values": (lambda L, f, a: (a * a).topk(2, 1).values * 1.0, [(2, 3)], (-1, 1)),
    # torch has no double backward for its fused CPU attention kernel: its reference is the formula
    "scaled_dot_product_attention": (lambda L, f, q, k, v: f.scaled_dot_product_attention(q, k, v, is_causal=True)
                                     if L is mt else _causal_attention(q, k, v),
                                     [(1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)], (-1, 1)),
    "conv_transpose2d": (lambda L, f, x, w: f.conv_transpose2d(x, w, stride=2).tanh(),
                         [(1, 2, 3, 3), (2, 3, 2, 2)], (-1, 1)),
    "adaptive_avg_pool2d": (lambda L, f, x: f.adaptive_avg_pool2d(x * x, (2, 3)), [(1, 2, 5, 4)], (-1, 1)),
    "interpolate bilinear": (lambda L, f, x: f.interpolate(x * x, scale_factor=2, mode="bilinear"),
                             [(1, 1, 2, 3)], (-1, 1)),
    "group_norm": (lambda L, f, x, w, b: f.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)], (-2, 2)),
    "rms_norm": (lambda L, f, x, w: f.rms_norm(x, (4,), w), [(3, 4), (4,)], (-2, 2)),
    "one_hot embedding": (lambda L, f, w: f.embedding(L.tensor([1, 1, 0]), w, padding_idx=0) ** 2,
                          [(3, 2)], (-2, 2)),
}


def _causal_attention(q, k, v):
    scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
    scores = scores.masked_fill(torch.ones(3, 3, dtype=torch.bool).triu(1), float("-inf"))
    return scores.softmax(-1) @ v


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
            if a is None:   # no graph reached it: torch may still return zeros there
                assert not np.any(b.detach().numpy()), f"{name}: {kind} derivative of input {i} is missing"
                continue
            np.testing.assert_allclose(np.asarray(a.detach()), b.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name}: {kind} derivative of input {i}")


# ---------------------------------------------------------------- gradgradcheck

@pytest.mark.parametrize("name", ["mul", "div", "matmul batched", "tanh", "softmax", "log_softmax", "gather",
                                  "conv2d", "layer_norm", "cross_entropy", "max_pool2d", "silu"])
def test_gradgradcheck_passes_on_library_ops(name):
    fn, shapes, domain = OPS[name]
    inputs = [mt.tensor(_values(shape, domain), dtype=mt.float64, requires_grad=True) for shape in shapes]
    assert mt.autograd.gradgradcheck(lambda *xs: fn(mt, F, *xs), inputs)


class _DetachingCube(mt.Function):
    """x ** 3 whose backward reads x through np.asarray, which cuts it from the graph: the first
    derivative is right, the second is not."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * np.asarray(x) ** 2


def test_a_backward_that_cuts_the_graph_is_refused_not_wrong():
    x = mt.tensor([0.5, -1.0, 2.0], dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradcheck(_DetachingCube.apply, (x,))
    with pytest.raises(TypeError, match="_DetachingCube: its backward turned a Tensor that requires grad into a numpy"):
        mt.autograd.gradgradcheck(_DetachingCube.apply, (x,))


class _WrongSecondDerivative(mt.Function):
    """x ** 3 whose backward is right in value but says the slope 3 x^2 is 3 x * (its value at the start)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.start = x.copy()   # a ctx attribute: a constant to the second pass
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * ctx.start


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = mt.tensor([0.5, -1.0, 2.0], dtype=mt.float64, requires_grad=True)
    assert not mt.autograd.gradgradcheck(_WrongSecondDerivative.apply, (x,), raise_exception=False)
    with pytest.raises(mt.autograd.GradcheckError, match="disagrees with finite differences"):
        mt.autograd.gradgradcheck(_WrongSecondDerivative.apply, (x,))


# ---------------------------------------------------------------- autograd.grad and backward's options

def test_grad_leaves_dot_grad_alone_and_matches_torch():
    for L in (mt, torch):
        x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad((x ** 3).sum(), x)
        assert x.grad is None
        np.testing.assert_allclose(np.asarray(g), [3.0, 12.0])


def test_third_derivative():
    results = []
    for L in (mt, torch):
        x = L.tensor([0.3, -1.2], dtype=L.float64, requires_grad=True)
        (g1,) = L.autograd.grad((x.tanh() * x).sum(), x, create_graph=True)
        (g2,) = L.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = L.autograd.grad(g2.sum(), x)
        results.append(np.asarray(g3.detach()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_backward_create_graph_gives_grad_with_a_graph():
    results = []
    for L in (mt, torch):
        x = L.tensor([0.3, -1.2, 2.0], dtype=L.float64, requires_grad=True)
        (x.sin() if hasattr(x, "sin") and L is torch else x.tanh()).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        first = x.grad
        x.grad = None
        (first * first).sum().backward()
        results.append(np.asarray(x.grad))
    assert results[0].shape == (3,)


def test_backward_inputs_accumulates_only_into_them():
    for L in (mt, torch):
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = L.tensor([3.0, 4.0], requires_grad=True)
        (a * b).sum().backward(inputs=[a])
        assert b.grad is None
        np.testing.assert_allclose(np.asarray(a.grad), [3.0, 4.0])


def test_grad_errors_follow_torch():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = mt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        mt.autograd.grad((x * 2).sum(), [x, y])
    assert mt.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)[1] is None
    np.testing.assert_array_equal(np.asarray(mt.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)[1]), 0)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        mt.autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        mt.autograd.grad((x * 2).sum(), mt.tensor([1.0]))
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        mt.autograd.grad(mt.tensor([1.0]).sum(), x)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])


def test_second_backward_through_freed_graph_raises():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    mt.autograd.grad(y, x)   # retain_graph defaults to create_graph, False here
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        mt.autograd.grad(y, x)


def test_retain_graph_defaults_to_create_graph():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    mt.autograd.grad(y, x, create_graph=True)
    mt.autograd.grad(y, x)   # the graph was kept


def test_an_op_that_saves_a_forward_intermediate_refuses_create_graph():
    class SavesIntermediate(mt.Function):
        @staticmethod
        def forward(ctx, x):
            out = np.tanh(x)
            ctx.save_for_backward(1 - out * out)   # made inside forward: a constant to the graph
            return out

        @staticmethod
        def backward(ctx, grad):
            (slope,) = ctx.saved_tensors
            return grad * slope

    x = mt.tensor([0.5, 1.0], dtype=mt.float64, requires_grad=True)
    mt.autograd.grad(SavesIntermediate.apply(x).sum(), x)   # first order is fine
    with pytest.raises(RuntimeError, match="SavesIntermediate: its backward uses a value computed inside forward"):
        mt.autograd.grad(SavesIntermediate.apply(x).sum(), x, create_graph=True)


def test_once_differentiable_ops_refuse_create_graph():
    class Once(mt.Function):
        once_differentiable = True

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = mt.tensor([0.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="Once: its backward is not differentiable"):
        mt.autograd.grad(Once.apply(x).sum(), x, create_graph=True)
