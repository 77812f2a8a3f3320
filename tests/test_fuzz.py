"""Differential fuzzing against PyTorch: Hypothesis writes random programs of up to 12 ops over
float64 leaves (broadcasting arithmetic, unary math, reductions with dims and keepdim, indexing,
reshapes, matmul, elementwise max/min/where, setitem and in-place ops on non-leaves, in-place
updates of leaves under no_grad), runs each in microtorch and in torch, and compares the output
and the gradient of every leaf.

The default run tries 200 programs (reproducible), and 100 of them again differentiated twice
(create_graph, a Hessian-vector product of every leaf); the long one, 10,000 random programs:
    MICROTORCH_FUZZ_EXAMPLES=10000 python -m pytest -q tests/test_fuzz.py
It builds on the op vocabulary of tests/test_properties.py (draw_step, Program) and adds its own.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import microtorch as mt
from test_properties import MAX_DIMS, Pair, Program, _assert_close, _broadcast_partner, _dim, _has_ties
from test_properties import _index, _indexed_shape, _reduction_dims, draw_step

torch = pytest.importorskip("torch")

EXAMPLES = int(os.environ.get("MICROTORCH_FUZZ_EXAMPLES", "200"))
F64 = (np.float64,)


@st.composite
def fuzz_programs(draw):
    """(start shape, steps): up to 12 ops, each drawn to fit the shape the previous one made."""
    shape = start = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    steps = []
    for _ in range(draw(st.integers(1, 12))):
        step, shape = (_draw_more(draw, shape) if draw(st.booleans()) else draw_step(draw, shape, F64))
        if step is not None:
            steps.append(step)
    return start, steps


def _draw_more(draw, shape):
    """The ops test_properties does not draw: (step, result shape), or (None, shape)."""
    ndim = len(shape)
    kinds = ["math", "math", "extremum", "where", "leaf_update", "in_place"]
    if ndim >= 1:
        kinds += ["statistic", "statistic", "setitem", "unsqueeze", "flatten", "expand"]
    if ndim >= 2:
        kinds += ["triangle"]
    kind = draw(st.sampled_from(kinds))
    if kind == "math":
        name = draw(st.sampled_from(["abs", "sqrt", "clamp", "sigmoid", "relu", "tanh"]))
        bounds = sorted(draw(st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=2)))
        return ("math", name, tuple(bounds)), shape
    if kind == "statistic":
        dims, keepdim = _reduction_dims(draw, ndim), draw(st.booleans())
        name = draw(st.sampled_from(["var", "std", "min", "mean", "sum"]))
        return ("statistic", name, dims, keepdim, draw(st.sampled_from([0, 1]))), \
            np.empty(shape).sum(axis=dims, keepdims=keepdim).shape
    if kind in ("extremum", "where"):
        other = _broadcast_partner(draw, shape)
        name = draw(st.sampled_from(["maximum", "minimum"])) if kind == "extremum" else "where"
        return (kind, name, other), np.broadcast_shapes(shape, other)
    if kind == "leaf_update":
        return ("leaf_update", shape, draw(st.floats(0.5, 2.0))), shape
    if kind == "in_place":
        other = _broadcast_partner(draw, shape)
        if np.broadcast_shapes(shape, other) != shape:
            other = shape   # x += y keeps x's shape
        return ("in_place", draw(st.sampled_from(["+=", "-=", "*="])), other), shape
    if kind == "setitem":
        index = _index(draw, shape)
        target = _indexed_shape(shape, index)
        if 0 in target or any(isinstance(p, list) for p in index):
            return None, shape   # repeated integer indices make the assigned value ambiguous
        return ("setitem", index, target), shape
    if kind == "unsqueeze":
        if ndim >= MAX_DIMS:
            return None, shape
        dim = _dim(draw, ndim + 1)
        return ("unsqueeze", dim), np.expand_dims(np.empty(shape), dim).shape
    if kind == "flatten":
        return ("flatten",), (int(np.prod(shape)),)
    if kind == "expand":
        if ndim >= MAX_DIMS:
            return None, shape
        new = (draw(st.integers(1, 3)),) + tuple(draw(st.sampled_from([n, -1])) for n in shape)
        return ("expand", new), (new[0],) + shape
    return ("triangle", draw(st.sampled_from(["tril", "triu"])), draw(st.integers(-2, 2))), shape


class FuzzProgram(Program):
    """test_properties' Program, with the ops of _draw_more."""

    def apply(self, x, step):
        kind = step[0]
        if kind == "math":
            _, name, (low, high) = step
            if name == "sqrt":
                return self.positive(x).map(lambda t: t.sqrt())
            if name == "clamp":
                return x.map(lambda t: t.clamp(low, high))
            return x.map(lambda t: getattr(t, name)())
        if kind == "statistic":
            return self._statistic(x, *step[1:])
        if kind in ("extremum", "where"):
            other = self.leaf(step[2], np.float64)
            if kind == "where":
                mask = self.rng.random(np.broadcast_shapes(x.ours.shape, step[2])) > 0.5
                return Pair(mt.where(mt.tensor(mask), x.ours, other.ours),
                            torch.where(torch.tensor(mask), x.theirs, other.theirs))
            return x.map(lambda a, b: getattr(a, step[1])(b), other)
        if kind == "leaf_update":
            # a leaf changed in place where autograd does not look, then used
            leaf = self.leaf(step[1], np.float64)
            with mt.no_grad():
                leaf.ours.mul_(step[2])
            with torch.no_grad():
                leaf.theirs.mul_(step[2])
            return x.map(lambda a, b: a * b, leaf)
        if kind == "in_place":
            other = self.leaf(step[2], np.float64)
            return x.map(lambda a, b: _in_place(a * 1.0, step[1], b), other)
        if kind == "setitem":
            _, index, target = step
            value = self.leaf(target, np.float64)
            return x.map(lambda a, b: _set(a * 1.0, index, b), value)
        if kind == "unsqueeze":
            return x.map(lambda t: t.unsqueeze(step[1]))
        if kind == "flatten":
            return x.map(lambda t: t.flatten())
        if kind == "expand":
            return x.map(lambda t: t.expand(*step[1]))
        if kind == "triangle":
            return x.map(lambda t: getattr(t, step[1])(step[2]))
        return super().apply(x, step)

    def _statistic(self, x, name, dims, keepdim, correction):
        data = x.ours.numpy()
        count = data.size // max(np.empty(data.shape).sum(axis=dims).size, 1)
        if name in ("var", "std") and count <= correction + 1:
            name = "mean"   # too few values for a variance: nan on both sides, nothing to compare
        if name == "std" and np.any(data.max(axis=dims) == data.min(axis=dims)):
            name = "var"    # std's slope at zero spread is undefined: torch's depends on its rounding
        if name == "min" and _has_ties(-data, dims):
            name = "sum"    # at a tie, which element gets the gradient is a convention
        if name in ("var", "std"):
            ours = getattr(x.ours, name)(dims, keepdim=keepdim, correction=correction)
            theirs = getattr(x.theirs, name)(dims, keepdim=keepdim, correction=correction)
        elif name == "min" and dims is not None:
            ours = x.ours.min(dims, keepdim)
            theirs = torch.amin(x.theirs, dims, keepdim=keepdim)
        elif name == "min":
            ours = x.ours.min() if not keepdim else x.ours.min(tuple(range(x.ours.ndim)), True)
            theirs = torch.amin(x.theirs, tuple(range(x.theirs.ndim)), keepdim=keepdim)
        else:
            ours = getattr(x.ours, name)(dims, keepdim)
            theirs = getattr(x.theirs, name)(dims, keepdim=keepdim) if dims is not None else \
                getattr(x.theirs, name)(tuple(range(x.theirs.ndim)), keepdim=keepdim)
        return Pair(ours, theirs)


def _in_place(target, op, other):
    if op == "+=":
        target += other
    elif op == "-=":
        target -= other
    else:
        target *= other
    return target


def _set(target, index, value):
    if not isinstance(target, mt.Tensor):
        index = tuple(torch.tensor(p) if isinstance(p, list) else p for p in index)
    target[index] = value
    return target


def _run_program(program, seed):
    """Run a drawn program in both libraries: (the FuzzProgram with its leaves, the result pair)."""
    start, steps = program
    run = FuzzProgram(seed)
    x = run.leaf(start, np.float64)
    for step in steps:
        x = run.apply(x, step)
        note(f"{step} -> {x.ours.shape}")
    return run, x


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=fuzz_programs(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_of_up_to_12_ops_match_pytorch(program, seed):
    run, x = _run_program(program, seed)
    _assert_close(x.ours.numpy(), x.theirs, np.float64, "forward")
    upstream = run.rng.standard_normal(x.ours.shape)
    x.ours.backward(mt.tensor(upstream))
    x.theirs.backward(torch.tensor(upstream))
    for i, leaf in enumerate(run.leaves):
        if leaf.theirs.grad is None:
            assert leaf.ours.grad is None or not np.any(leaf.ours.grad.numpy()), f"leaf {i}: unexpected gradient"
            continue
        assert leaf.ours.grad is not None, f"leaf {i}: no gradient, torch has one"
        _assert_close(leaf.ours.grad.numpy(), leaf.theirs.grad, np.float64, f"gradient of leaf {i}")


def _second_order(lib, out, leaves, upstream, directions):
    """d/d(leaves) of sum_i <d(out . upstream)/d(leaf_i), direction_i>: a Hessian-vector product of
    the program, through a create_graph backward. Unused gradients count as zeros."""
    grads = lib.autograd.grad(out, leaves, upstream, create_graph=True, allow_unused=True)
    used = [(g * v).sum() for g, v in zip(grads, directions) if g is not None and g.requires_grad]
    first = [None if g is None else g.detach() for g in grads]
    if not used:
        return first, [None] * len(leaves)
    return first, list(lib.autograd.grad(sum(used), leaves, allow_unused=True))


def _as_array(gradient, like):
    # torch gives some zero second derivatives as ZeroTensors, which its numpy() refuses (or crashes on)
    if gradient is None or getattr(gradient, "_is_zerotensor", lambda: False)():
        return np.zeros(like.shape)
    return gradient.detach().numpy()


@settings(max_examples=max(EXAMPLES // 2, 1), deadline=None, derandomize=EXAMPLES <= 200,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=fuzz_programs(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_second_derivatives_match_pytorch(program, seed):
    """The same random programs, differentiated twice (create_graph): every leaf's Hessian-vector
    product against torch's."""
    run, x = _run_program(program, seed)
    upstream = run.rng.standard_normal(x.ours.shape)
    directions = [run.rng.standard_normal(leaf.ours.shape) for leaf in run.leaves]
    ours_first, ours_second = _second_order(mt, x.ours, [leaf.ours for leaf in run.leaves], mt.tensor(upstream),
                                            [mt.tensor(v) for v in directions])
    theirs_first, theirs_second = _second_order(torch, x.theirs, [leaf.theirs for leaf in run.leaves],
                                                torch.tensor(upstream), [torch.tensor(v) for v in directions])
    for i, leaf in enumerate(run.leaves):
        like = leaf.ours
        _assert_close(_as_array(ours_first[i], like), torch.tensor(_as_array(theirs_first[i], like)), np.float64,
                      f"gradient of leaf {i}")
        _assert_close(_as_array(ours_second[i], like), torch.tensor(_as_array(theirs_second[i], like)), np.float64,
                      f"second derivative (Hessian-vector product) of leaf {i}")
