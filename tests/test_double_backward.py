"""Second derivatives of every op against PyTorch, in float64 (backward(create_graph=True)).

For each op f and inputs x: g = vjp(f, x, v) with create_graph, then h = grad(sum(g * u), x). Both g
and h must equal torch's. v and u are fixed random cotangents. Each case runs twice: as written, and with
its output squared, so that the gradient reaching the op's own backward depends on the inputs (that
backward then runs recorded, and is differentiated too). LAYERS does the same for every nn layer, with
respect to its input and every parameter. Inputs stay away from kinks (relu at 0, ties of max); where
torch's second derivative is zero (piecewise-linear ops) ours must be too.
"""
import zlib

import numpy as np
import pytest
import torch

import microtorch as mt
import microtorch.nn.functional as F
import torch.nn.functional as TF



def _values_of(result):
    """torch.max(x, dim) returns (values, indices); microtorch's Tensor.max(dim) returns the values."""
    return getattr(result, "values", result)


def _values(shape, domain, case=""):
    """Uniform values in domain, the same for a case however the tests are ordered or split between workers."""
    low, high = domain
    return np.random.default_rng([zlib.crc32(case.encode()), *shape]).uniform(low, high, shape)


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

# ---------------------------------------------------------------- every other op, by family

_MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
_WITH_ZEROS = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])   # rows: one zero, two zeros, none
_INDEX = np.array([[0, 2, 2], [1, 0, 1]])
_FLOAT_MASK = np.random.default_rng(1).uniform(-1, 1, (3, 5))
_WEIGHT = np.array([0.5, 2.0, 1.5, 0.8])   # class weights, pos_weight, running statistics: constants (torch
                                           # refuses them requires_grad)


def _t(L, array, **kwargs):
    """A constant tensor of library L (float arrays become float64, as the inputs are)."""
    array = np.asarray(array)
    return L.tensor(array, dtype=L.float64 if array.dtype.kind == "f" else None, **kwargs)


def _dropout(L, f, x):
    """dropout with microtorch's mask, replayed on torch: the mask is drawn from microtorch's generator."""
    mt.manual_seed(3)
    kept = np.asarray(F.dropout(mt.ones(tuple(x.shape), dtype=mt.float64), p=0.4)) != 0
    if L is mt:
        mt.manual_seed(3)
        return f.dropout(x * x, p=0.4)
    return x * x * _t(L, kept) / 0.6


MORE_OPS = {
    # pointwise math
    "asin acos atan": (lambda L, f, a: a.asin() + a.acos() * a + a.atan(), [(2, 3)], (-0.9, 0.9)),
    "cos tan cosh": (lambda L, f, a: a.cos() * a + a.tan() + a.cosh(), [(2, 3)], (-1, 1)),
    "asinh acosh atanh": (lambda L, f, a: (a * a + 1.5).acosh() + a.asinh() * a + (a * 0.5).atanh(),
                          [(2, 3)], (-1, 1)),
    "exp2 log2 log10": (lambda L, f, a: a.exp2() + (a * a + 0.5).log2() + (a * a + 0.5).log10(), [(2, 3)], (-1, 1)),
    "erfc": (lambda L, f, a: a.erfc() * a, [(2, 3)], (-1, 1)),
    "square reciprocal": (lambda L, f, a: a.square() * a + a.reciprocal(), [(2, 3)], (0.5, 2)),
    "frac": (lambda L, f, a: a.frac() * a, [(2, 3)], (-2, 2)),
    "nan_to_num": (lambda L, f, a: (a * a).nan_to_num() * a, [(2, 3)], (-2, 2)),
    "fmod remainder": (lambda L, f, a, b: L.fmod(a * a, b) * a + L.remainder(a, b) * b, [(2, 3), (2, 3)], (0.5, 2)),
    "logaddexp": (lambda L, f, a, b: L.logaddexp(a * a, b), [(2, 3), (2, 3)], (-2, 2)),
    "xlogy": (lambda L, f, a, b: L.xlogy(a * a, b), [(2, 3), (2, 3)], (0.5, 2)),
    "logit": (lambda L, f, a: a.logit(), [(2, 3)], (0.1, 0.9)),
    "addcmul addcdiv": (lambda L, f, a, b, c: L.addcmul(a, b, c * c, value=0.5) * a + L.addcdiv(a, b * b, c, value=2.0),
                        [(2, 3), (2, 3), (3,)], (0.5, 2)),
    "rsub": (lambda L, f, a, b: L.rsub(a * a, b * b), [(2, 3), (2, 3)], (-2, 2)),
    "pow negative exponent": (lambda L, f, a, b: a ** (b - 2.5), [(2, 3), (2, 3)], (0.5, 2)),
    "pow broadcast": (lambda L, f, a, b: L.pow(a, b * b), [(2, 3), (3,)], (0.5, 2)),
    "pow scalar base tensor": (lambda L, f, a: L.pow(1.7, a * a), [(2, 3)], (-1, 1)),
    "lerp tensor weight": (lambda L, f, a, b, w: L.lerp(a * a, b, w * w), [(2, 3), (2, 3), (3,)], (-1, 1)),
    "clamp tensor bounds": (lambda L, f, a, low, high: (a * a).clamp(low - 1, high + 1) * a,
                            [(3, 4), (3, 4), (4,)], (-2, 2)),
    "clamp_min clamp_max": (lambda L, f, a: L.clamp_min(a * a, 0.5) * a + L.clamp_max(a, 0.3) * a, [(3, 4)], (-2, 2)),
    "where scalar": (lambda L, f, a: L.where(a > 0, a * a, 0.5) * a, [(3, 4)], (-2, 2)),
    "where broadcast": (lambda L, f, a, b: L.where(b > 0, a * b, b * b), [(3, 4), (4,)], (-2, 2)),
    "masked_fill": (lambda L, f, a: (a * a).masked_fill(_t(L, _MASK), 2.0) * a, [(3, 4)], (-2, 2)),
    "masked_select": (lambda L, f, a: L.masked_select(a * a, _t(L, _MASK)) ** 2, [(3, 4)], (-2, 2)),
    "inplace": (lambda L, f, a, b: _inplace(a, b), [(2, 3), (2, 3)], (-1, 1)),
    "inplace methods": (lambda L, f, a, b: _inplace_methods(L, a, b), [(2, 3), (2, 3)], (-1, 1)),
    "aliases": (lambda L, f, a, b: a.absolute() * a + L.arcsin(a) + L.arccos(a) * a + L.arctan(a) + L.arcsinh(a)
                + L.arctanh(a * 0.5) + L.arccosh(a * a + 1.5) + L.arctan2(a, b + 2) + a.clip(-0.5, 0.7) * a,
                [(2, 3), (2, 3)], (-0.9, 0.9)),
    "function forms": (lambda L, f, a, b: L.add(a, b, alpha=2) * L.sub(a, b, alpha=0.5) + L.mul(a, b) * L.neg(a)
                       + L.div(a, b + 3) + L.divide(a * a, b + 3) + L.true_divide(a, b - 3) + L.multiply(a, a)
                       - L.subtract(b, a * a) + L.matmul(a, b.T).sum(1, keepdim=True), [(2, 3), (2, 3)], (-1, 1)),
    "T mT swapdims moveaxis": (lambda L, f, a: a.T.mT.swapdims(0, 2) ** 3 + L.moveaxis(a, 0, -1).sum(), [(2, 3, 4)],
                               (-1, 1)),
    "concat row_stack": (lambda L, f, a, b: L.concat([a * a, b]) * L.concatenate([b, a], 0) + L.row_stack([a, b * a]),
                         [(2, 3), (2, 3)], (-1, 1)),
    "aminmax": (lambda L, f, a: _product(L.aminmax(a * a, dim=1)) + _product(L.aminmax(a)), [(3, 4)], (-1, 1)),
    "clone view_as type_as": (lambda L, f, a, b: a.clone() * b.view_as(a) ** 2 + a.type_as(b) * a, [(2, 3), (3, 2)],
                              (-1, 1)),
    "cast to float32 and back": (lambda L, f, a: (a.float() * 2).to(L.float64) * a + (a * a).double(), [(2, 3)],
                                 (-1, 1)),
    # matrix products
    "mm": (lambda L, f, a, b: L.mm(a, b * b), [(2, 3), (3, 4)], (-1, 1)),
    "bmm": (lambda L, f, a, b: L.bmm(a * a, b).tanh(), [(2, 2, 3), (2, 3, 4)], (-1, 1)),
    "mv": (lambda L, f, a, b: L.mv(a, b * b), [(2, 3), (3,)], (-1, 1)),
    "addmm": (lambda L, f, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2.0).tanh(), [(4,), (2, 3), (3, 4)], (-1, 1)),
    "baddbmm": (lambda L, f, c, a, b: L.baddbmm(c, a, b, beta=0.5, alpha=2.0).tanh(),
                [(2, 2, 4), (2, 2, 3), (2, 3, 4)], (-1, 1)),
    "dot vdot inner": (lambda L, f, a, b: L.dot(a, b) * L.vdot(a, a) + L.inner(a * a, b), [(3,), (3,)], (-1, 1)),
    "outer ger": (lambda L, f, a, b: L.outer(a * a, b) + L.ger(a, b * b), [(3,), (4,)], (-1, 1)),
    "tensordot": (lambda L, f, a, b: L.tensordot(a, b, dims=([1, 2], [0, 1])).tanh(), [(2, 3, 4), (3, 4, 2)], (-1, 1)),
    "einsum three operands": (lambda L, f, a, b, c: L.einsum("ij,jk,k->i", a, b * b, c).tanh(),
                              [(2, 3), (3, 4), (4,)], (-1, 1)),
    "einsum diagonal": (lambda L, f, a, b: L.einsum("ii,i->i", a * a, b), [(3, 3), (3,)], (-1, 1)),
    # torch has no double backward for its cdist kernel: its reference is the formula
    "cdist": (lambda L, f, a, b: L.cdist(a, b) if L is mt else ((a[:, None] - b[None]) ** 2).sum(-1).sqrt(),
              [(3, 2), (4, 2)], (-2, 2)),
    # linear algebra
    "linalg inv": (lambda L, f, a: L.linalg.inv(a + _t(L, 3 * np.eye(3))), [(2, 3, 3)], (-1, 1)),
    "inverse": (lambda L, f, a: L.inverse(a + _t(L, 3 * np.eye(3))), [(3, 3)], (-1, 1)),
    "linalg det": (lambda L, f, a: L.linalg.det(a + _t(L, 2 * np.eye(3))), [(2, 3, 3)], (-1, 1)),
    "det": (lambda L, f, a: L.det(a), [(3, 3)], (-1, 1)),
    "linalg solve": (lambda L, f, a, b: L.linalg.solve(a + _t(L, 3 * np.eye(3)), b), [(2, 3, 3), (2, 3, 2)], (-1, 1)),
    "matrix_norm fro": (lambda L, f, a: L.linalg.matrix_norm(a), [(2, 3, 4)], (-1, 1)),
    "matrix_norm nuc": (lambda L, f, a: L.linalg.matrix_norm(a, "nuc"), [(2, 3, 4)], (-1, 1)),
    "matrix_norm nuc wide": (lambda L, f, a: L.linalg.matrix_norm(a, "nuc"), [(4, 3)], (-1, 1)),
    "matrix_norm 1 -1": (lambda L, f, a: L.linalg.matrix_norm(a, 1) * L.linalg.matrix_norm(a, -1), [(3, 4)], (-1, 1)),
    "matrix_norm inf -inf": (lambda L, f, a: L.linalg.matrix_norm(a, float("inf")) ** 2
                             + L.linalg.matrix_norm(a, -float("inf"), keepdim=True) ** 3, [(2, 3, 4)], (-1, 1)),
    "linalg norm": (lambda L, f, a: L.linalg.norm(a) * L.linalg.norm(a, dim=(0, 1)) + L.linalg.norm(a, 3, dim=1).sum(),
                    [(3, 4)], (-1, 1)),
    "vector_norm ords": (lambda L, f, a: L.linalg.vector_norm(a, 3, dim=1) + L.linalg.vector_norm(a, 1, dim=1) ** 2
                         + L.linalg.vector_norm(a, 0.5, dim=1), [(2, 4)], (-1, 1)),
    "vector_norm inf": (lambda L, f, a: L.linalg.vector_norm(a, float("inf"), dim=1) ** 2
                        + L.linalg.vector_norm(a, -float("inf"), dim=1) ** 3, [(2, 4)], (-1, 1)),
    "norm p": (lambda L, f, a: a.norm(p=3, dim=0) * a.norm(p=1) + a.norm(), [(3, 4)], (0.5, 2)),
    # reductions and scans
    "sum all": (lambda L, f, a: (a * a).sum() * a, [(2, 3)], (-2, 2)),
    "sum dims": (lambda L, f, a: (a * a).sum((0, 2), keepdim=True) * a, [(2, 3, 4)], (-2, 2)),
    "mean all": (lambda L, f, a: (a * a).mean() * a, [(2, 3)], (-2, 2)),
    "nansum nanmean": (lambda L, f, a: (a * a).nansum(1) * (a * a).nanmean(1), [(2, 3)], (-2, 2)),
    "min dim": (lambda L, f, a: _values_of((a * a).min(0)) * 1.0, [(3, 4)], (-2, 2)),
    "min all": (lambda L, f, a: (a * a).min() * a, [(3, 4)], (-2, 2)),
    "amin": (lambda L, f, a: (a * a).amin((0, 1)) * a, [(3, 4)], (-2, 2)),
    "max keepdim": (lambda L, f, a: _values_of((a * a).max(1, keepdim=True)) * a, [(3, 4)], (-2, 2)),
    "median": (lambda L, f, a: _values_of((a * a).median(1)) * (a * a).median(), [(3, 5)], (-2, 2)),
    "kthvalue": (lambda L, f, a: _values_of((a * a).kthvalue(2, 1)) * 1.0, [(3, 4)], (-2, 2)),
    "mode": (lambda L, f, a: _values_of((a * a).mode(1)) * 1.0, [(3, 4)], (-2, 2)),
    "cummax cummin": (lambda L, f, a: _values_of((a * a).cummax(1)) * _values_of(a.cummin(1)), [(3, 4)], (-2, 2)),
    "var correction": (lambda L, f, a: a.var(0, correction=0, keepdim=True) * a + a.var(), [(3, 4)], (-2, 2)),
    "var unbiased false": (lambda L, f, a: a.var(1, unbiased=False), [(3, 4)], (-2, 2)),
    "std": (lambda L, f, a: a.std(1), [(3, 4)], (-2, 2)),
    "std correction": (lambda L, f, a: a.std(0, correction=0, keepdim=True) * a + a.std() + a.var() * a.std((0, 1)),
                       [(3, 4)], (-2, 2)),
    "std_mean var_mean": (lambda L, f, a: _product(L.std_mean(a, 1)) + _product(L.var_mean(a, 0)).sum(),
                          [(3, 4)], (-2, 2)),
    "prod all": (lambda L, f, a: a.prod() * a, [(2, 3)], (0.5, 2)),
    "prod keepdim": (lambda L, f, a: a.prod(0, keepdim=True) * a, [(2, 3)], (-2, 2)),
    "prod with zeros": (lambda L, f, a: (a * _t(L, _WITH_ZEROS)).prod(1), [(3, 3)], (-2, 2)),
    "prod all with a zero": (lambda L, f, a: (a * _t(L, _WITH_ZEROS[0])).prod(), [(3,)], (-2, 2)),
    "cumprod with zeros": (lambda L, f, a: (a * _t(L, _WITH_ZEROS)).cumprod(1), [(3, 3)], (-2, 2)),
    "cumsum dim 0": (lambda L, f, a: a.cumsum(0) * a, [(3, 2)], (-2, 2)),
    "logsumexp all keepdim": (lambda L, f, a: a.logsumexp((0, 1)) * a.logsumexp(0, keepdim=True), [(2, 3)], (-1, 1)),
    "diff": (lambda L, f, a: L.diff(a * a, dim=1) * 1.0, [(2, 4)], (-2, 2)),
    "diag diagonal": (lambda L, f, a, b: L.diag(b * b) + L.diag(a * a).sum() + L.diagonal(a * a, 1).sum(),
                      [(3, 3), (3,)], (-2, 2)),
    "diag offset": (lambda L, f, a: L.diag(a * a, -1) * 1.0, [(3,)], (-2, 2)),
    # shape and indexing
    "chunk split unbind": (lambda L, f, a: _product(L.chunk(a * a, 2, 1))
                           * _product(L.split(a, [1, 3], 1)).sum(1, keepdim=True)
                           + _product(L.unbind(a, 0))[:2], [(2, 4)], (-2, 2)),
    "narrow flatten unflatten": (lambda L, f, a: L.narrow(a, 1, 1, 2).flatten().unflatten(0, (2, 2)) ** 3,
                                 [(2, 4)], (-2, 2)),
    "movedim swapaxes t": (lambda L, f, a: L.movedim(a, 0, 2).swapaxes(0, 1) ** 3 + a.sum(0).t().unsqueeze(-1),
                           [(2, 3, 4)], (-2, 2)),
    "squeeze unsqueeze view": (lambda L, f, a: a.squeeze(1).unsqueeze(0).view(3, 2) ** 3, [(2, 1, 3)], (-2, 2)),
    "expand_as reshape_as": (lambda L, f, a, b: a.expand_as(b) * b.reshape_as(b) ** 2, [(1, 3), (2, 3)], (-2, 2)),
    "take_along_dim": (lambda L, f, a: L.take_along_dim(a * a, _t(L, _INDEX), 1) ** 2, [(2, 3)], (-2, 2)),
    "gather repeated dim 0": (lambda L, f, a: L.gather(a ** 3, 0, _t(L, [[1, 0, 1], [1, 1, 0]])) * a[:2],
                              [(2, 3)], (-2, 2)),
    "scatter": (lambda L, f, a, b: L.scatter(a * a, 1, _t(L, [[0, 2], [1, 0]]), b * b) * a, [(2, 3), (2, 2)], (-2, 2)),
    "scatter value": (lambda L, f, a: (a * a).scatter(0, _t(L, [[1, 0, 1]]), 0.5) * a, [(2, 3)], (-2, 2)),
    "scatter_add": (lambda L, f, a, b: L.scatter_add(a * a, 1, _t(L, [[0, 0, 2], [1, 1, 1]]), b * a) * b,
                    [(2, 3), (2, 3)], (-2, 2)),
    "index_select dim 0": (lambda L, f, a: L.index_select(a ** 3, 0, _t(L, [1, 1, 0])) * 2.0, [(2, 3)], (-2, 2)),
    "getitem boolean": (lambda L, f, a: a[_t(L, _MASK)] ** 3, [(3, 4)], (-2, 2)),
    "getitem mixed": (lambda L, f, a: a[[0, 2], 1:] ** 3 + a[None, 1, ..., -1], [(3, 4)], (-2, 2)),
    "setitem broadcast": (lambda L, f, a, b: _setitem_slice(a * a, b), [(3, 4), (1,)], (-2, 2)),
    "repeat_interleave": (lambda L, f, a: (a * a).repeat_interleave(2, dim=1) * 1.0, [(2, 3)], (-2, 2)),
    "tile": (lambda L, f, a: L.tile(a * a, (2, 2)) * 1.0, [(2, 3)], (-2, 2)),
    "hstack vstack": (lambda L, f, a, b: L.hstack([a * a, b]) * L.vstack([a, b * b]).reshape(1, 6),
                      [(1, 3), (1, 3)], (-2, 2)),
    "fliplr flipud": (lambda L, f, a: L.fliplr(a * a) * L.flipud(a), [(2, 3)], (-2, 2)),
    "roll all": (lambda L, f, a: (a * a).roll(2) * a, [(2, 3)], (-2, 2)),
    "tril offset": (lambda L, f, a: L.tril(a * a, 1) * a + L.triu(a, -1) ** 3, [(3, 4)], (-2, 2)),
    "sort descending": (lambda L, f, a: (a * a).sort(0, descending=True).values * 1.0, [(3, 4)], (-1, 1)),
    "topk smallest": (lambda L, f, a: (a * a).topk(2, 0, largest=False).values * 1.0, [(3, 4)], (-1, 1)),
    # activations
    "relu f": (lambda L, f, a: f.relu(a) * a, [(2, 3)], (-3, 3)),
    "sigmoid tanh f": (lambda L, f, a: f.sigmoid(a) * f.tanh(a), [(2, 3)], (-3, 3)),
    "relu6": (lambda L, f, a: f.relu6(a * 4) * a, [(2, 4)], (-3, 3)),
    "hardtanh": (lambda L, f, a: f.hardtanh(a, -0.5, 1.5) * a, [(2, 4)], (-3, 3)),
    "hardtanh plain": (lambda L, f, a: f.hardtanh(a * a), [(2, 4)], (-1.5, 1.5)),
    # torch has no double backward for hardsigmoid: its reference is relu6(x + 3) / 6 (the same function)
    "hardsigmoid": (lambda L, f, a: (f.hardsigmoid(a * 2) if L is mt else f.relu6(a * 2 + 3) / 6) * a,
                    [(2, 4)], (-4, 4)),
    "softsign": (lambda L, f, a: f.softsign(a), [(2, 3)], (-3, 3)),
    "tanhshrink": (lambda L, f, a: f.tanhshrink(a), [(2, 3)], (-3, 3)),
    "logsigmoid": (lambda L, f, a: f.logsigmoid(a), [(2, 3)], (-3, 3)),
    "softmin": (lambda L, f, a: f.softmin(a, dim=1), [(2, 4)], (-2, 2)),
    "threshold": (lambda L, f, a: f.threshold(a, 0.3, -1.0) * a, [(2, 4)], (-2, 2)),
    "elu alpha": (lambda L, f, a: f.elu(a, alpha=0.7) * a, [(2, 3)], (-3, 3)),
    "softplus threshold": (lambda L, f, a: f.softplus(a, beta=2.0, threshold=1.0), [(3, 4)], (-3, 3)),
    "leaky_relu default": (lambda L, f, a: f.leaky_relu(a * a - 1), [(2, 3)], (-2, 2)),
    "prelu": (lambda L, f, x, w: f.prelu(x, w) * x, [(2, 3, 4), (3,)], (-2, 2)),
    "prelu shared": (lambda L, f, x, w: f.prelu(x * x - 1, w), [(2, 3), (1,)], (-2, 2)),
    "softmax dim 0": (lambda L, f, a: f.softmax(a * a, dim=0), [(3, 2)], (-2, 2)),
    "tensor softmax log_softmax": (lambda L, f, a: a.softmax(-1) * a.log_softmax(0), [(3, 4)], (-2, 2)),
    "dropout": (_dropout, [(4, 5)], (-2, 2)),
    # losses, every reduction and option
    "mse_loss sum": (lambda L, f, a, b: f.mse_loss(a * a, b, reduction="sum"), [(3, 4), (3, 4)], (-2, 2)),
    "mse_loss none": (lambda L, f, a, b: f.mse_loss(a * a, b, reduction="none"), [(3, 4), (3, 4)], (-2, 2)),
    "l1_loss sum none": (lambda L, f, a, b: f.l1_loss(a * a, b, reduction="sum")
                         * f.l1_loss(a, b * b, reduction="none"),
                         [(3, 4), (3, 4)], (-2, 2)),
    "huber_loss sum none": (lambda L, f, a, b: f.huber_loss(a * a, b, reduction="sum", delta=0.5)
                            + f.huber_loss(a, b, reduction="none"), [(3, 4), (3, 4)], (-2, 2)),
    "smooth_l1_loss sum none": (lambda L, f, a, b: f.smooth_l1_loss(a * a, b, reduction="sum")
                                + f.smooth_l1_loss(a, b, reduction="none", beta=0.3), [(3, 4), (3, 4)], (-2, 2)),
    "nll_loss weight": (lambda L, f, x: f.nll_loss(x.log_softmax(1), _t(L, [0, 2, 1, 2]), weight=_t(L, _WEIGHT[:3])),
                        [(4, 3)], (-2, 2)),
    "nll_loss ignore_index sum": (lambda L, f, x: f.nll_loss(x * x, _t(L, [0, 2, 1, 2]), ignore_index=2,
                                                             reduction="sum"),
                                  [(4, 3)], (-2, 2)),
    "nll_loss none": (lambda L, f, x: f.nll_loss(x * x, _t(L, [0, 2, 1, 2]), reduction="none"), [(4, 3)], (-2, 2)),
    "nll_loss spatial": (lambda L, f, x: f.nll_loss(x.log_softmax(1), _t(L, [[0, 2], [1, 1]])), [(2, 3, 2)], (-2, 2)),
    "cross_entropy sum": (lambda L, f, x: f.cross_entropy(x, _t(L, [0, 2, 1]), reduction="sum"), [(3, 4)], (-2, 2)),
    "cross_entropy none weight": (lambda L, f, x: f.cross_entropy(x, _t(L, [0, 2, 1]), weight=_t(L, _WEIGHT),
                                                                  reduction="none"), [(3, 4)], (-2, 2)),
    "cross_entropy ignore_index": (lambda L, f, x: f.cross_entropy(x, _t(L, [0, 2, 1]), ignore_index=2),
                                   [(3, 4)], (-2, 2)),
    "cross_entropy label_smoothing": (lambda L, f, x: f.cross_entropy(x, _t(L, [0, 2, 1]), label_smoothing=0.2),
                                      [(3, 4)], (-2, 2)),
    "cross_entropy label_smoothing sum weight": (lambda L, f, x: f.cross_entropy(
        x, _t(L, [0, 2, 1]), weight=_t(L, _WEIGHT), label_smoothing=0.2, reduction="sum"), [(3, 4)], (-2, 2)),
    "cross_entropy probabilities smoothing": (lambda L, f, x, t: f.cross_entropy(
        x, t.softmax(1), label_smoothing=0.3, reduction="none"), [(3, 4), (3, 4)], (-2, 2)),
    "cross_entropy spatial": (lambda L, f, x: f.cross_entropy(x, _t(L, [[0, 2], [1, 1]])), [(2, 3, 2)], (-2, 2)),
    "binary_cross_entropy weight sum": (lambda L, f, x, t: f.binary_cross_entropy(x.sigmoid(), t, weight=_t(L, _WEIGHT),
                                                                                    reduction="sum"),
                                        [(3, 4), (3, 4)], (0.1, 0.9)),
    "binary_cross_entropy none": (lambda L, f, x, t: f.binary_cross_entropy(x, t, reduction="none"),
                                  [(3, 4), (3, 4)], (0.1, 0.9)),
    "bce_with_logits pos_weight": (lambda L, f, x, t: f.binary_cross_entropy_with_logits(
        x, t, pos_weight=_t(L, _WEIGHT)),
                                   [(3, 4), (3, 4)], (-2, 2)),
    "bce_with_logits weight none": (lambda L, f, x, t: f.binary_cross_entropy_with_logits(
        x, t, weight=_t(L, _WEIGHT[:3, None]), reduction="none"), [(3, 4), (3, 4)], (-2, 2)),
    "bce_with_logits sum both": (lambda L, f, x, t: f.binary_cross_entropy_with_logits(
        x, t, weight=_t(L, _WEIGHT[::-1].copy()), pos_weight=_t(L, _WEIGHT), reduction="sum"),
        [(3, 4), (3, 4)], (-2, 2)),
    # normalization
    "batch_norm eval": (lambda L, f, x, w, b: f.batch_norm(x, _t(L, _WEIGHT[:3] - 1), _t(L, _WEIGHT[1:]), w, b,
                                                           training=False), [(4, 3), (3,), (3,)], (-2, 2)),
    "batch_norm train 4d no affine": (lambda L, f, x: f.batch_norm(x, None, None, training=True, eps=1e-3),
                                      [(3, 2, 2, 2)], (-2, 2)),
    "batch_norm train running stats": (lambda L, f, x, w: f.batch_norm(x, _t(L, np.zeros(2)), _t(L, np.ones(2)), w,
                                                                       training=True), [(4, 2, 3), (2,)], (-2, 2)),
    "instance_norm": (lambda L, f, x, w, b: f.instance_norm(x, weight=w, bias=b), [(2, 3, 4), (3,), (3,)], (-2, 2)),
    "instance_norm 2d running": (lambda L, f, x: f.instance_norm(x * x, _t(L, np.zeros(2)), _t(L, np.ones(2))),
                                 [(2, 2, 2, 3)], (-2, 2)),
    "instance_norm eval stats": (lambda L, f, x: f.instance_norm(x * x, _t(L, _WEIGHT[:3] - 1), _t(L, _WEIGHT[1:]),
                                                                 use_input_stats=False), [(2, 3, 4)], (-2, 2)),
    "layer_norm no affine": (lambda L, f, x: f.layer_norm(x * x, (3, 4), eps=1e-3), [(2, 3, 4)], (-2, 2)),
    "group_norm no affine": (lambda L, f, x: f.group_norm(x, 3, eps=1e-3), [(2, 6, 2, 2)], (-2, 2)),
    "rms_norm no weight": (lambda L, f, x: f.rms_norm(x * x, (2, 3), eps=1e-3), [(2, 2, 3)], (-2, 2)),
    # pooling
    "max_pool2d options": (lambda L, f, x: f.max_pool2d(x * x, 3, stride=2, padding=1, dilation=1, ceil_mode=True),
                           [(1, 2, 5, 6)], (-2, 2)),
    "max_pool2d dilation": (lambda L, f, x: f.max_pool2d(x * x, 2, stride=1, dilation=2), [(1, 1, 5, 5)], (-2, 2)),
    "max_pool1d": (lambda L, f, x: f.max_pool1d(x * x, 3, stride=2, padding=1), [(2, 2, 7)], (-2, 2)),
    "max_unpool2d": (lambda L, f, x: _unpool(f, x), [(1, 2, 4, 4)], (-2, 2)),
    "avg_pool2d ceil_mode": (lambda L, f, x: f.avg_pool2d(x * x, 2, stride=2, ceil_mode=True), [(1, 2, 5, 5)], (-2, 2)),
    "avg_pool2d no pad count": (lambda L, f, x: f.avg_pool2d(x * x, 3, stride=2, padding=1, count_include_pad=False),
                                [(1, 2, 5, 5)], (-2, 2)),
    "avg_pool2d ceil no pad count": (lambda L, f, x: f.avg_pool2d(x * x, 3, stride=2, padding=1, ceil_mode=True,
                                                                   count_include_pad=False), [(1, 1, 6, 6)], (-2, 2)),
    "avg_pool2d divisor_override": (lambda L, f, x: f.avg_pool2d(x * x, 2, divisor_override=3),
                                    [(1, 2, 4, 4)], (-2, 2)),
    "avg_pool1d": (lambda L, f, x: f.avg_pool1d(x * x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                   [(2, 2, 6)], (-2, 2)),
    "adaptive_avg_pool1d": (lambda L, f, x: f.adaptive_avg_pool1d(x * x, 3), [(2, 2, 7)], (-2, 2)),
    "adaptive_max_pool2d": (lambda L, f, x: f.adaptive_max_pool2d(x * x, (2, 3)), [(1, 2, 5, 4)], (-2, 2)),
    "adaptive_max_pool1d": (lambda L, f, x: f.adaptive_max_pool1d(x * x, 3), [(2, 2, 7)], (-2, 2)),
    # convolution
    "conv1d groups stride": (lambda L, f, x, w, b: f.conv1d(x, w, b, stride=2, padding=1, groups=2).tanh(),
                             [(2, 4, 7), (2, 2, 3), (2,)], (-1, 1)),
    "conv2d rectangular dilation": (lambda L, f, x, w: f.conv2d(x, w, stride=(1, 2), padding=(2, 1),
                                                                dilation=(2, 1)).tanh(),
                                    [(1, 2, 5, 6), (3, 2, 2, 3)], (-1, 1)),
    "conv_transpose2d options": (lambda L, f, x, w, b: f.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                                          output_padding=1,
                                                                          groups=2, dilation=1).tanh(),
                                 [(1, 4, 3, 3), (4, 1, 3, 3), (2,)], (-1, 1)),
    "conv_transpose2d dilation": (lambda L, f, x, w: f.conv_transpose2d(x, w, dilation=2).tanh(),
                                  [(1, 2, 3, 3), (2, 1, 2, 2)], (-1, 1)),
    "conv_transpose1d": (lambda L, f, x, w, b: f.conv_transpose1d(x, w, b, stride=2, padding=1).tanh(),
                         [(2, 2, 4), (2, 3, 3), (3,)], (-1, 1)),
    "linear no bias": (lambda L, f, x, w: f.linear(x, w).tanh(), [(2, 2, 3), (4, 3)], (-1, 1)),
    "linear batched, parameters not leaves": (lambda L, f, x, w, b: f.linear(x, w * w, b[1:] * 2).tanh(),
                                              [(2, 2, 3), (4, 3), (5,)], (-1, 1)),
    # resampling and vision
    "interpolate nearest": (lambda L, f, x: f.interpolate(x * x, scale_factor=2, mode="nearest"),
                            [(1, 2, 2, 3)], (-1, 1)),
    "interpolate nearest size": (lambda L, f, x: f.interpolate(x * x, size=(3, 5)), [(1, 1, 2, 3)], (-1, 1)),
    "interpolate nearest-exact": (lambda L, f, x: f.interpolate(x * x, size=(5, 2), mode="nearest-exact"),
                                  [(1, 1, 3, 3)], (-1, 1)),
    "interpolate bilinear align_corners": (lambda L, f, x: f.interpolate(x * x, size=(4, 5), mode="bilinear",
                                                                         align_corners=True), [(1, 2, 2, 3)], (-1, 1)),
    "interpolate bilinear downsample": (lambda L, f, x: f.interpolate(x * x, size=(2, 3), mode="bilinear",
                                                                      align_corners=False), [(1, 1, 5, 4)], (-1, 1)),
    "interpolate linear": (lambda L, f, x: f.interpolate(x * x, scale_factor=2.5, mode="linear"), [(2, 1, 3)], (-1, 1)),
    "interpolate linear align_corners": (lambda L, f, x: f.interpolate(x * x, size=7, mode="linear",
                                                                       align_corners=True),
                                         [(2, 1, 3)], (-1, 1)),
    "interpolate nearest 1d": (lambda L, f, x: f.interpolate(x * x, size=5), [(2, 1, 3)], (-1, 1)),
    "interpolate area": (lambda L, f, x: f.interpolate(x * x, size=(2, 3), mode="area"), [(1, 2, 5, 4)], (-1, 1)),
    "pixel_shuffle": (lambda L, f, x: f.pixel_shuffle(x * x, 2) * 1.0, [(1, 8, 2, 3)], (-1, 1)),
    "pixel_unshuffle": (lambda L, f, x: f.pixel_unshuffle(x * x, 2) * 1.0, [(1, 2, 4, 6)], (-1, 1)),
    "pad negative": (lambda L, f, a: f.pad(a * a, (-1, 2, 1, -1)), [(3, 4)], (-2, 2)),
    "pad reflect 2d": (lambda L, f, a: f.pad(a * a, (1, 2, 2, 1), mode="reflect"), [(1, 1, 4, 4)], (-2, 2)),
    "pad replicate 2d": (lambda L, f, a: f.pad(a * a, (1, 2, 2, 1), mode="replicate"), [(1, 1, 3, 4)], (-2, 2)),
    "embedding weight": (lambda L, f, w: f.embedding(_t(L, [[0, 2, 0], [3, 3, 1]]), w * w) ** 2, [(4, 3)], (-2, 2)),
    "embedding padding_idx": (lambda L, f, w: f.embedding(_t(L, [[0, 2, 0], [3, 3, 1]]), w, padding_idx=3) ** 3,
                              [(4, 3)], (-2, 2)),
    # attention
    "attention bool mask scale": (lambda L, f, q, k, v: _sdpa(L, f, q, k, v, _t(L, _MASK[:3, :4]), 0.7),
                                  [(2, 3, 4), (2, 4, 4), (2, 4, 2)], (-1, 1)),
    "attention float mask": (lambda L, f, q, k, v: _sdpa(L, f, q, k, v, _t(L, _FLOAT_MASK), None),
                             [(1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3)], (-1, 1)),
}


def _product(parts):
    result = parts[0]
    for part in parts[1:]:
        result = result * part
    return result


def _inplace(a, b):
    x = a * 1.0
    x.add_(a * a)
    x.sub_(b, alpha=0.5)
    x.mul_(b)   # saves x: the last in-place op on it
    y = b * 1.0
    y.exp_()
    return x * y


def _inplace_methods(L, a, b):
    """Every in-place method; one that saves its tensor is the last to change it (torch keeps a copy of what an
    in-place op overwrites, microtorch refuses a later change)."""
    x = a * 1.0
    x.addcmul_(b, b, value=0.5)
    x.addcdiv_(a, b * b + 1, value=2.0)
    x.lerp_(b, 0.3)
    x.neg_()
    x.clamp_(-1.0, 1.0)
    y = b * 1.0
    y.t_()
    y.unsqueeze_(0)
    y.squeeze_(0)
    y.transpose_(0, 1)
    y.masked_fill_(_t(L, _MASK[:2, :3]), 0.5)
    y.index_fill_(1, _t(L, [1]), 0.25)
    y.sigmoid_()
    z = a * b
    z.copy_(a * a)
    z.abs_()
    w, u, r, q, t, d, c = a + 2, a * a + 0.5, a * 1.0, a + 3, a * 1.0, a * 1.0, a * 1.0
    w.log_()
    u.sqrt_()
    r.relu_()
    q.pow_(b)
    t.tanh_()
    d.div_(b + 3)
    c.clip_(max=0.2)
    e = a * 1.0
    e.remainder_(0.7)
    zeroed, filled = a * b, a * b
    zeroed.zero_()
    filled.fill_(2.0)
    return x * y * z + w * u + r * q + t * d + c * e + (zeroed + filled) * a


def _setitem_slice(x, value):
    x = x.clone()
    x[:, 1:3] = value * value
    x[0, [0, 3]] = value.exp()
    return x * x


def _unpool(f, x):
    pooled, indices = f.max_pool2d(x * x, 2, return_indices=True)
    return f.max_unpool2d(pooled * pooled, indices, 2) * 1.0


def _sdpa(L, f, q, k, v, mask, scale):
    """scaled_dot_product_attention with a mask; torch's reference is the formula (no fused double backward)."""
    if L is mt:
        return f.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    scores = q @ k.transpose(-1, -2) * (scale if scale is not None else q.shape[-1] ** -0.5)
    if mask.dtype == torch.bool:
        scores = scores.masked_fill(~mask, float("-inf"))
    else:
        scores = scores + mask
    return scores.softmax(-1) @ v


OPS.update(MORE_OPS)
OPS.update({
    "hardswish": (lambda L, f, a: f.hardswish(a * 2) * a, [(2, 4)], (-3, 3)),
    "mish": (lambda L, f, a: f.mish(a * 2) * a, [(2, 4)], (-3, 3)),
    # piecewise constant: zero derivatives, so the product's second derivative comes from a * a alone
    "piecewise constant": (lambda L, f, a: (L.sign(a) + L.sgn(a) + L.floor(a) + L.ceil(a) + L.trunc(a) + L.fix(a)
                                            + L.round(a * 3)) * a * a, [(2, 4)], (-2, 2)),
    "trace": (lambda L, f, a: L.trace(a * a) * a, [(3, 3)], (-2, 2)),
})


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


def _assert_close(mine, ref, rtol, atol, message):
    """mine equals torch's ref to rtol, and to atol times ref's largest magnitude: where large terms cancel (as
    1 / (p (1 - p)) in a second derivative) what is left is their rounding."""
    ref = ref.detach().numpy()
    scale = max(1.0, float(np.abs(ref).max(initial=0)))
    np.testing.assert_allclose(np.asarray(mine.detach()), ref, rtol=rtol, atol=atol * scale, err_msg=message)


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivative_matches_torch(name):
    fn, shapes, domain = OPS[name]
    arrays = [_values(shape, domain, name + str(i)) for i, shape in enumerate(shapes)]
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
            _assert_close(a, b, 1e-9, 1e-11, f"{name}: {kind} derivative of input {i}")


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivative_with_the_output_squared(name):
    """The same with the op's output squared, so that the gradient reaching the op's backward depends on the
    inputs: the backward then runs on recorded Tensors, and is itself differentiated."""
    fn, shapes, domain = OPS[name]
    arrays = [_values(shape, domain, name + str(i)) for i, shape in enumerate(shapes)]
    squared = lambda L, f, *xs: fn(L, f, *xs) ** 2
    ours = _run(mt, F, squared, arrays, 11)
    theirs = _run(torch, TF, squared, arrays, 11)
    for kind, mine, ref in (("first", ours[1], theirs[1]), ("second", ours[2], theirs[2])):
        for i, (a, b) in enumerate(zip(mine, ref)):
            _assert_close(a, b, 1e-9, 1e-11, f"{name}: {kind} derivative of input {i}")


# ---------------------------------------------------------------- gradgradcheck

@pytest.mark.parametrize("name", [
    "mul", "div", "matmul batched", "tanh", "softmax", "log_softmax", "gather", "conv2d", "layer_norm", "cross_entropy",
    "max_pool2d", "silu",
    "linalg inv", "det", "linalg det", "linalg solve", "matrix_norm nuc", "matrix_norm nuc wide", "einsum diagonal",
    "scatter", "scatter_add", "cumprod with zeros", "prod with zeros", "std", "std correction", "var correction",
    "norm p", "logsumexp all keepdim", "gather repeated dim 0", "index_select dim 0", "masked_select",
    "setitem broadcast", "getitem boolean", "softplus threshold", "hardtanh", "batch_norm eval", "instance_norm",
    "group_norm no affine", "avg_pool2d ceil no pad count", "interpolate bilinear align_corners",
    "conv_transpose2d options", "bce_with_logits sum both", "cross_entropy label_smoothing sum weight",
    "huber_loss sum none", "attention bool mask scale", "pixel_shuffle", "embedding weight", "prelu", "cdist",
    "hardswish", "mish", "nll_loss weight", "max_unpool2d", "trace", "diag diagonal", "adaptive_max_pool2d"])
def test_gradgradcheck_passes_on_library_ops(name):
    fn, shapes, domain = OPS[name]
    inputs = [mt.tensor(_values(shape, domain, name + str(i)), dtype=mt.float64, requires_grad=True)
              for i, shape in enumerate(shapes)]
    assert mt.autograd.gradgradcheck(lambda *xs: fn(mt, F, *xs), inputs)



def test_nuclear_norm_third_derivative_is_refused_not_wrong():
    """The nuclear norm's second derivative is a PolarFactor op whose backward uses its SVD as constants: a third
    derivative would be wrong, so it is refused (torch differentiates its SVD again)."""
    a = mt.tensor(_values((3, 2), (-1, 1)), dtype=mt.float64, requires_grad=True)
    (g,) = mt.autograd.grad(mt.linalg.matrix_norm(a, "nuc"), a, create_graph=True)
    (h,) = mt.autograd.grad((g * g.detach()).sum(), a, retain_graph=True)   # the second derivative is fine
    assert h.shape == (3, 2)
    with pytest.raises(RuntimeError, match="PolarFactor: its backward is not differentiable"):
        mt.autograd.grad((g * g.detach()).sum(), a, create_graph=True)


def test_det_of_one_matrix_keeps_its_output_in_the_graph():
    """np.linalg.det of one matrix is a numpy scalar, not the array the engine tracks as the output: it must still
    be the recorded output to a create_graph backward (else the second derivative silently loses a term)."""
    results = []
    for L in (mt, torch):
        a = L.tensor([[2.0, 0.5], [0.3, 1.5]], dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad(L.linalg.det(a), a, create_graph=True)
        results.append(np.asarray(L.autograd.grad(g[0, 0], a)[0]))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)

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


# ---------------------------------------------------------------- layers: input and every parameter

# name -> (the layer, built from a library's nn, input shape, value range). The layer is built in microtorch,
# its parameters and buffers are copied into torch's; both then differentiate twice with respect to the input
# and every parameter.
LAYERS = {
    "Linear": (lambda nn: nn.Linear(3, 4), (2, 3), (-1, 1)),
    "MLP": (lambda nn: nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2), nn.Softplus()),
                          (4, 3), (-1, 1)),
    "Conv1d": (lambda nn: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 7), (-1, 1)),
    "Conv2d": (lambda nn: nn.Conv2d(2, 4, 3, padding=1, groups=2, bias=False), (1, 2, 4, 5), (-1, 1)),
    "ConvTranspose1d": (lambda nn: nn.ConvTranspose1d(2, 3, 3, stride=2), (2, 2, 4), (-1, 1)),
    "ConvTranspose2d": (lambda nn: nn.ConvTranspose2d(2, 2, 2, stride=2, padding=1), (1, 2, 3, 3), (-1, 1)),
    "BatchNorm1d train": (lambda nn: nn.BatchNorm1d(3), (5, 3), (-2, 2)),
    "BatchNorm2d train": (lambda nn: nn.BatchNorm2d(2), (3, 2, 2, 2), (-2, 2)),
    "BatchNorm1d eval": (lambda nn: _eval(nn.BatchNorm1d(3)), (5, 3, 2), (-2, 2)),
    "InstanceNorm1d affine": (lambda nn: nn.InstanceNorm1d(3, affine=True), (2, 3, 4), (-2, 2)),
    "InstanceNorm2d tracked eval": (lambda nn: _eval(nn.InstanceNorm2d(2, affine=True, track_running_stats=True)),
                                    (2, 2, 2, 3), (-2, 2)),
    "LayerNorm": (lambda nn: nn.LayerNorm((2, 3)), (4, 2, 3), (-2, 2)),
    "LayerNorm no bias": (lambda nn: nn.LayerNorm(3, bias=False), (4, 3), (-2, 2)),
    "GroupNorm": (lambda nn: nn.GroupNorm(2, 4), (2, 4, 3), (-2, 2)),
    "RMSNorm": (lambda nn: nn.RMSNorm(4), (3, 4), (-2, 2)),
    "PReLU": (lambda nn: nn.PReLU(3), (2, 3, 4), (-2, 2)),
    "PReLU shared": (lambda nn: nn.PReLU(), (2, 3), (-2, 2)),
    "Embedding then Linear": (lambda nn: _embedding_model(nn), None, (-1, 1)),
    "MultiheadAttention": (lambda nn: _first(nn.MultiheadAttention(4, 2)), (3, 2, 4), (-1, 1)),
    "MultiheadAttention batch_first cross": (lambda nn: _cross_attention(nn), (2, 3, 4), (-1, 1)),
    "TransformerEncoderLayer": (lambda nn: nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0),
                                (3, 2, 4), (-1, 1)),
    "TransformerEncoderLayer norm_first gelu": (lambda nn: nn.TransformerEncoderLayer(
        4, 2, dim_feedforward=6, dropout=0.0, activation="gelu", norm_first=True, batch_first=True),
        (2, 3, 4), (-1, 1)),
    "TransformerDecoderLayer": (lambda nn: _self_decoder(nn), (3, 2, 4), (-1, 1)),
    "Transformer": (lambda nn: _transformer(nn), (3, 2, 4), (-1, 1)),
    "activations": (lambda nn: nn.Sequential(nn.ELU(0.5), nn.LeakyReLU(0.2), nn.SiLU(), nn.GELU(), nn.Sigmoid(),
                                             nn.Softsign(), nn.Tanhshrink(), nn.LogSigmoid()), (2, 3), (-3, 3)),
    "piecewise activations": (lambda nn: nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3), nn.ReLU6(),
                                                       nn.Linear(3, 3), nn.Hardtanh(-0.5, 0.5), nn.Linear(3, 3),
                                                       nn.Threshold(0.1, -1.0), nn.Linear(3, 3)), (4, 3), (-2, 2)),
    "softmaxes": (lambda nn: nn.Sequential(nn.Softmax(1), nn.Linear(3, 3), nn.LogSoftmax(0), nn.Linear(3, 3),
                                           nn.Softmin(1)), (4, 3), (-2, 2)),
    "pools": (lambda nn: nn.Sequential(nn.Conv2d(1, 2, 2), nn.MaxPool2d(2, 1), nn.AvgPool2d(2, 1),
                                       nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Unflatten(1, (2, 4)),
                                       nn.MaxPool1d(2), nn.AvgPool1d(2), nn.AdaptiveMaxPool1d(1)),
              (2, 1, 5, 5), (-1, 1)),
    "adaptive pools": (lambda nn: nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(0, 1), nn.AdaptiveAvgPool1d(2),
                                                nn.Tanh(), nn.AdaptiveMaxPool2d((2, 3))), (1, 1, 5, 6), (-1, 1)),
    "adaptive max pool then tanh": (lambda nn: nn.Sequential(nn.Conv2d(1, 2, 2), nn.AdaptiveMaxPool2d((2, 3)),
                                                             nn.Tanh()), (1, 1, 5, 6), (-1, 1)),
    "upsampling": (lambda nn: nn.Sequential(nn.Conv2d(1, 4, 2), nn.Upsample(scale_factor=2, mode="bilinear"),
                                            nn.PixelUnshuffle(2), nn.UpsamplingNearest2d(scale_factor=2),
                                            nn.Tanh(), nn.UpsamplingBilinear2d(size=(5, 4)), nn.PixelShuffle(2)),
                   (1, 1, 3, 3), (-1, 1)),
    "dropout eval and identity": (lambda nn: _eval(nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.Identity(),
                                                                 nn.Tanh())), (2, 3), (-1, 1)),
}


def _eval(module):
    module.eval()
    return module


class _Apply:
    """A callable module wrapper: fn(module, x)."""

    def __init__(self, module, fn):
        self.module, self.fn = module, fn

    def __call__(self, x):
        return self.fn(self.module, x)


def _first(attention):
    return _Apply(attention, lambda m, x: m(x, x * x, x)[0])


def _cross_attention(nn):
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    return _Apply(attention, lambda m, x: m(x, x[:, :2].tanh(), x[:, 1:], need_weights=False)[0])


def _self_decoder(nn):
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0)
    return _Apply(layer, lambda m, x: m(x, x[:2].tanh()))


def _transformer(nn):
    model = nn.Transformer(4, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=6, dropout=0.0)
    return _Apply(model, lambda m, x: m(x, x[1:] * x[1:]))


def _embedding_model(nn):
    model = nn.Sequential(nn.Embedding(5, 3, padding_idx=1), nn.Linear(3, 2))
    return _Apply(model, lambda m, _: m[1](m[0].weight[[0, 2, 1, 2]].tanh()) + m(_LAYER_TOKENS[type(m[0].weight)]))


_LAYER_TOKENS = {}


def _module_of(layer):
    return layer.module if isinstance(layer, _Apply) else layer


def _run_layer(L, layer, x_array, state):
    module = _module_of(layer)
    module.double()
    if state is not None:
        module.load_state_dict({k: L.tensor(v, dtype=L.float64 if v.dtype.kind == "f" else None)
                                for k, v in state.items()})
    params = [p for p in module.parameters()]
    inputs = ([] if x_array is None else [L.tensor(x_array, dtype=L.float64, requires_grad=True)]) + params
    x = inputs[0] if x_array is not None else None
    out = layer(x)
    v = L.tensor(np.random.default_rng(5).uniform(-1, 1, tuple(out.shape)), dtype=L.float64)
    first = L.autograd.grad(out, inputs, grad_outputs=v, create_graph=True, allow_unused=True)
    us = [L.tensor(np.random.default_rng(6 + i).uniform(-1, 1, tuple(t.shape)), dtype=L.float64)
          for i, t in enumerate(inputs)]
    total = sum((g * u).sum() for g, u in zip(first, us) if g is not None and g.requires_grad)
    second = L.autograd.grad(total, inputs, allow_unused=True)
    return out, first, second


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_second_derivatives_match_torch(name):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    build, shape, domain = LAYERS[name]
    _LAYER_TOKENS.update({mt.nn.Parameter: mt.tensor([3, 1, 0, 4]), torch.nn.Parameter: torch.tensor([3, 1, 0, 4])})
    mt.manual_seed(0)
    ours = build(mt.nn)
    state = {k: np.asarray(v.detach()) for k, v in _module_of(ours).state_dict().items()}
    x = None if shape is None else _values(shape, domain, name)
    mine = _run_layer(mt, ours, x, None)
    with sdpa_kernel(SDPBackend.MATH):   # torch's fused attention kernels have no double backward
        theirs = _run_layer(torch, build(torch.nn), x, state)
    np.testing.assert_allclose(np.asarray(mine[0].detach()), theirs[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    for kind, a_list, b_list in (("first", mine[1], theirs[1]), ("second", mine[2], theirs[2])):
        for i, (a, b) in enumerate(zip(a_list, b_list)):
            if a is None or b is None:
                other = b if a is None else a
                assert other is None or not np.any(np.asarray(other.detach())), f"{name}: {kind} derivative {i}"
                continue
            _assert_close(a, b, 1e-8, 1e-11, f"{name}: {kind} derivative of input {i}")
