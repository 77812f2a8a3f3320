"""Property tests: Hypothesis writes random programs (compositions of ops over random shapes,
broadcasts, dims and dtypes), and each runs in microtorch and in PyTorch with the same inputs;
forward values and every input's gradient must agree.

CI runs the "ci" profile (60 examples, reproducible); a long run:
    MICROTORCH_HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py
"""
import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import microtorch as mt

torch = pytest.importorskip("torch")

FLOATS = (np.float32, np.float64)
TOLERANCE = {np.float32: 2e-4, np.float64: 1e-9}
MAX_DIMS = 4


# ---------------------------------------------------------------- programs

def _shape(draw, ndim_min=0, ndim_max=3):
    return tuple(draw(st.lists(st.integers(1, 4), min_size=ndim_min, max_size=ndim_max)))


def _broadcast_partner(draw, shape):
    """A shape that broadcasts with `shape`: some dims set to 1, leading dims dropped or added."""
    dims = []
    for size in shape:
        dims.append(draw(st.sampled_from([size, 1])) if size != 1 else draw(st.sampled_from([1, 1, 2, 3])))
    dropped = draw(st.integers(0, len(dims)))
    dims = dims[dropped:]
    if dropped == 0 and len(shape) < MAX_DIMS and draw(st.booleans()):
        dims = [draw(st.integers(1, 3))] + dims  # an extra leading dim
    return tuple(dims)


def _dim(draw, ndim):
    return draw(st.integers(-ndim, ndim - 1))


def _reduction_dims(draw, ndim):
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["all", "one", "tuple"]))
    if kind == "all":
        return None
    if kind == "one":
        return _dim(draw, ndim)
    dims = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in dims)


def _index(draw, shape):
    """Integers, negative integers, slices with steps, an integer list (repeats allowed) and None."""
    parts = []
    for size in shape[:draw(st.integers(1, len(shape)))]:
        kind = draw(st.sampled_from(["list", "int", "slice", "slice"] if not parts else ["int", "slice", "slice"]))
        if kind == "int":
            parts.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start = draw(st.integers(0, size - 1))
            stop = draw(st.integers(start + 1, size))
            parts.append(slice(start, stop, draw(st.integers(1, 2))))
        else:
            parts.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=4)))
    if draw(st.booleans()) and len(shape) < MAX_DIMS:
        parts.insert(draw(st.integers(0, len(parts))), None)
    return tuple(parts)


def _indexed_shape(shape, index):
    return np.empty(shape)[tuple(np.asarray(p) if isinstance(p, list) else p for p in index)].shape


@st.composite
def programs(draw):
    """(input dtype, input shape, steps): each step one op, with its arguments chosen to fit the shape."""
    dtype = draw(st.sampled_from(FLOATS))
    shape = start = _shape(draw, 0, 3)
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        ndim = len(shape)
        choices = ["unary", "unary", "binary", "binary", "scalar", "pow"]
        if ndim >= 1:
            choices += ["matmul", "reduce", "reduce", "softmax", "reshape", "getitem", "cat", "stack"]
        if ndim >= 2:
            choices += ["permute", "transpose"]
        kind = draw(st.sampled_from(choices))
        if kind == "unary":
            step = (kind, draw(st.sampled_from(["exp", "log", "sigmoid", "tanh", "relu", "neg"])))
        elif kind == "binary":
            other = _broadcast_partner(draw, shape)
            step = (kind, draw(st.sampled_from(["add", "sub", "mul", "div"])), other,
                    draw(st.sampled_from(FLOATS)), draw(st.booleans()))
            shape = np.broadcast_shapes(shape, other)
        elif kind == "scalar":
            step = (kind, draw(st.sampled_from(["add", "sub", "mul", "div"])),
                    draw(st.floats(-3, 3).filter(lambda v: abs(v) > 0.1)), draw(st.booleans()))
        elif kind == "pow":
            step = (kind, draw(st.sampled_from([2, 3, 0.5, -1.0, 1.5, "rpow"])))
        elif kind == "matmul":
            left = ndim >= 2 and draw(st.booleans())
            k = draw(st.integers(1, 3))
            other = (k, shape[-2]) if left else ((shape[-1],) if draw(st.booleans()) else (shape[-1], k))
            step = (kind, left, other)  # torch's matmul needs equal dtypes
            shape = np.matmul(np.empty(other), np.empty(shape)).shape if left else \
                np.matmul(np.empty(shape), np.empty(other)).shape
        elif kind == "reduce":
            dims, keepdim = _reduction_dims(draw, ndim), draw(st.booleans())
            step = (kind, draw(st.sampled_from(["sum", "mean", "max"])), dims, keepdim)
            shape = np.empty(shape).sum(axis=dims, keepdims=keepdim).shape
        elif kind == "softmax":
            step = (kind, _dim(draw, ndim))
        elif kind == "reshape":
            size = int(np.prod(shape))
            divisors = [d for d in range(1, size + 1) if size % d == 0]
            new = draw(st.sampled_from([(-1,), (draw(st.sampled_from(divisors)), -1), (1,) + shape + (1,)]))
            if len(new) > MAX_DIMS:
                new = (-1,)
            step = (kind, new)
            shape = np.empty(shape).reshape(new).shape
        elif kind == "getitem":
            index = _index(draw, shape)
            step = (kind, index)
            shape = _indexed_shape(shape, index)
        elif kind == "cat":
            dim = _dim(draw, ndim)
            other = list(shape)
            other[dim] = draw(st.integers(1, 3))
            step = (kind, dim, tuple(other), draw(st.sampled_from(FLOATS)))
            shape = tuple(other[:dim % ndim]) + (shape[dim] + other[dim],) + tuple(other[dim % ndim + 1:])
        elif kind == "stack":
            if ndim >= MAX_DIMS:
                continue
            dim = _dim(draw, ndim + 1)
            step = (kind, dim)
            shape = np.stack([np.empty(shape)] * 2, axis=dim).shape
        elif kind == "permute":
            step = (kind, tuple(draw(st.permutations(range(ndim)))))
            shape = tuple(shape[d] for d in step[1])
        else:
            d0, d1 = _dim(draw, ndim), _dim(draw, ndim)
            step = (kind, d0, d1)
            shape = np.swapaxes(np.empty(shape), d0, d1).shape
        steps.append(step)
        shape = tuple(shape)
    return dtype, start, steps


# ---------------------------------------------------------------- running a program in both libraries

class Pair:
    """The same value in microtorch and in torch; ops apply to both sides."""

    def __init__(self, ours, theirs):
        self.ours, self.theirs = ours, theirs

    def map(self, fn, other=None):
        if other is None:
            return Pair(fn(self.ours), fn(self.theirs))
        return Pair(fn(self.ours, other.ours), fn(self.theirs, other.theirs))


class Program:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.leaves = []

    def leaf(self, shape, dtype):
        array = self.rng.uniform(-2, 2, size=shape).astype(dtype)
        pair = Pair(mt.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True))
        self.leaves.append(pair)
        return pair

    def positive(self, x):
        return x.map(lambda t: t * t + 0.5)

    def run(self, dtype, steps, shape):
        x = self.leaf(shape, dtype)
        for step in steps:
            x = self.apply(x, step)
            note(f"{step} -> {x.ours.shape} {x.ours.dtype}")
        return x

    def apply(self, x, step):
        kind = step[0]
        if kind == "unary":
            name = step[1]
            if name == "exp" and np.abs(x.ours.numpy()).max() > 8:
                name = "tanh"  # keep values finite and comparable
            if name == "log":
                return self.positive(x).map(lambda t: t.log())
            if name == "neg":
                return x.map(lambda t: -t)
            return x.map(lambda t: getattr(t, name)())
        if kind == "binary":
            _, name, shape, dtype, swap = step
            other = self.leaf(shape, dtype)
            a, b = (other, x) if swap else (x, other)
            if name == "div":
                b = self.positive(b)
            return a.map(_BINARY[name], b)
        if kind == "scalar":
            _, name, value, swap = step
            if name == "div" and swap:
                return self.positive(x).map(lambda t: value / t)
            fn = _BINARY[name]
            return x.map(lambda t: fn(value, t) if swap else fn(t, value))
        if kind == "pow":
            exponent = step[1]
            if exponent == "rpow":
                return x.map(lambda t: 1.5 ** t)
            base = self.positive(x) if isinstance(exponent, float) else x
            return base.map(lambda t: t ** exponent)
        if kind == "matmul":
            _, left, shape = step
            other = self.leaf(shape, x.ours.dtype)
            return other.map(lambda a, b: a @ b, x) if left else x.map(lambda a, b: a @ b, other)
        if kind == "reduce":
            _, name, dims, keepdim = step
            if name == "max" and _has_ties(x.ours.numpy(), dims):
                name = "sum"  # at a tie, which element gets the gradient is a convention
            return Pair(_reduce_ours(x.ours, name, dims, keepdim), _reduce_torch(x.theirs, name, dims, keepdim))
        if kind == "softmax":
            return x.map(lambda t: t.softmax(step[1]))
        if kind == "reshape":
            return x.map(lambda t: t.reshape(step[1]))
        if kind == "getitem":
            index = step[1]
            return Pair(x.ours[index], x.theirs[tuple(torch.tensor(p) if isinstance(p, list) else p
                                                      for p in index)])
        if kind == "cat":
            _, dim, shape, dtype = step
            other = self.leaf(shape, dtype)
            return Pair(mt.cat([x.ours, other.ours], dim), torch.cat([x.theirs, other.theirs], dim))
        if kind == "stack":
            other = self.leaf(x.ours.shape, x.ours.dtype)
            return Pair(mt.stack([other.ours, x.ours], step[1]), torch.stack([other.theirs, x.theirs], step[1]))
        if kind == "permute":
            return x.map(lambda t: t.permute(*step[1]))
        if kind == "transpose":
            return x.map(lambda t: t.transpose(step[1], step[2]))
        raise AssertionError(step)


_BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
}


def _has_ties(array, dims):
    reduced = array.max(axis=dims, keepdims=True)
    return bool(((array == reduced).sum(axis=dims) > 1).any())


def _reduce_ours(t, name, dims, keepdim):
    return getattr(t, name)(dims, keepdim)


def _reduce_torch(t, name, dims, keepdim):
    if dims is None:
        return getattr(t, name)() if not keepdim else getattr(t, name if name != "max" else "amax")(
            tuple(range(t.ndim)), keepdim=True)
    if name == "max":
        return torch.amax(t, dims, keepdim=keepdim)
    return getattr(t, name)(dims, keepdim=keepdim)


def _assert_close(ours, theirs, dtype, what):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} != torch {theirs.dtype}"
    tol = TOLERANCE[np.dtype(dtype).type]
    scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol * scale, err_msg=what)


# ---------------------------------------------------------------- the properties

@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_match_pytorch(program, seed):
    dtype, start, steps = program
    run = Program(seed)
    out = run.run(dtype, steps, start)
    # Tolerances follow the least precise dtype that took part.
    lowest = np.float32 if any(leaf.ours.dtype == np.float32 for leaf in run.leaves) else np.float64
    _assert_close(out.ours.numpy(), out.theirs, lowest, "forward")
    upstream = run.rng.standard_normal(out.ours.shape).astype(out.ours.dtype)
    out.ours.backward(mt.tensor(upstream))
    out.theirs.backward(torch.tensor(upstream))
    for i, leaf in enumerate(run.leaves):
        if leaf.theirs.grad is None:
            assert leaf.ours.grad is None or not np.any(leaf.ours.grad.numpy()), f"leaf {i}: unexpected gradient"
            continue
        assert leaf.ours.grad is not None, f"leaf {i}: no gradient, torch has one"
        _assert_close(leaf.ours.grad.numpy(), leaf.theirs.grad, lowest, f"gradient of leaf {i}")



_SHAPES = st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple)


@given(shape_a=_SHAPES, shape_b=_SHAPES, op=st.sampled_from(["add", "mul", "matmul"]))
def test_shape_errors_match_pytorch(shape_a, shape_b, op):
    """An op fails exactly when PyTorch's does, and then the message names both shapes."""
    fn = (lambda a, b: a @ b) if op == "matmul" else _BINARY[op]
    try:
        expected = tuple(fn(torch.ones(shape_a), torch.ones(shape_b)).shape)
    except RuntimeError:
        expected = None
    a, b = mt.ones(*shape_a), mt.ones(*shape_b)
    if expected is not None:
        assert fn(a, b).shape == expected
        return
    with pytest.raises(RuntimeError) as error:
        fn(a, b)
    message = str(error.value)
    assert message.startswith(f"{op}:") and str(shape_a) in message and str(shape_b) in message
