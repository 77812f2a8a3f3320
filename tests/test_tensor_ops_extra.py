"""The tensor ops of issue 8 against PyTorch in float64: values and gradients."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_sqrt_abs(shape):
    check_op(torch.sqrt, microtorch.sqrt, [shape], positive=True)
    check_op(lambda x: x.sqrt(), lambda x: x.sqrt(), [shape], positive=True)
    check_op(torch.abs, microtorch.abs, [shape])
    check_op(abs, abs, [shape])


def test_abs_gradient_at_zero_is_zero_like_torch():
    x = np.array([-1.0, 0.0, 2.0])
    check_op(torch.abs, lambda t: t.abs(), arrays=[x])


@pytest.mark.parametrize("low, high", [(-0.5, 0.5), (None, 0.3), (-0.2, None), (0.0, 0.0)])
def test_clamp(low, high):
    check_op(lambda x: x.clamp(low, high), lambda x: x.clamp(low, high), [(4, 5)])
    check_op(lambda x: torch.clip(x, min=low, max=high), lambda x: microtorch.clip(x, min=low, max=high), [(4, 5)])


def test_clamp_gradient_at_the_bounds_passes_like_torch():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    check_op(lambda t: t.clamp(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5), arrays=[x])


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="at least one"):
        microtorch.ones(3).clamp()


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 4), (3, 1)]])
def test_maximum_minimum_broadcast(shapes):
    check_op(torch.maximum, microtorch.maximum, shapes)
    check_op(torch.minimum, microtorch.minimum, shapes)
    check_op(lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), shapes)


def test_maximum_minimum_ties_share_the_gradient_like_torch():
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 3.0, 5.0])
    check_op(torch.maximum, microtorch.maximum, arrays=[a, b])
    check_op(torch.minimum, microtorch.minimum, arrays=[a, b])


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (1, 4)], [(4,), (3, 1)]])
def test_where(shapes):
    condition = np.random.default_rng(1).random(np.broadcast_shapes(*shapes)) > 0.5
    check_op(lambda a, b: torch.where(torch.tensor(condition), a, b),
             lambda a, b: microtorch.where(microtorch.tensor(condition), a, b), shapes)
    check_op(lambda a: torch.where(torch.tensor(condition), a, 0.5),
             lambda a: microtorch.where(condition, a, 0.5), shapes[:1])


def test_where_needs_bool_condition():
    with pytest.raises(TypeError, match="bool"):
        microtorch.where(microtorch.ones(3), microtorch.ones(3), 0.0)


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_min(dim, keepdim):
    def torch_min(x):
        if dim is None:
            return x.min()
        if isinstance(dim, tuple):
            return torch.amin(x, dim=dim, keepdim=keepdim)
        return x.min(dim=dim, keepdim=keepdim).values
    ours = (lambda x: x.min()) if dim is None else (lambda x: x.min(dim, keepdim))
    check_op(torch_min, ours, [(3, 4, 5)])


def test_argmin():
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    for dim in (None, 0, 2):
        for keepdim in (False, True):
            ours = microtorch.tensor(x).argmin(dim, keepdim)
            theirs = torch.tensor(x).argmin(dim, keepdim) if dim is not None else torch.tensor(x).argmin()
            assert ours.dtype == np.int64
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("unbiased", [True, False])
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std(dim, unbiased, keepdim):
    correction = 1 if unbiased else 0
    check_op(lambda x: torch.var(x, dim=dim, correction=correction, keepdim=keepdim),
             lambda x: x.var(dim, unbiased, keepdim), [(3, 4, 5)])
    check_op(lambda x: torch.std(x, dim=dim, correction=correction, keepdim=keepdim),
             lambda x: x.std(dim, correction=correction, keepdim=keepdim), [(3, 4, 5)])


def test_squeeze_unsqueeze():
    check_op(lambda x: x.squeeze(), lambda x: x.squeeze(), [(1, 3, 1, 4)])
    check_op(lambda x: x.squeeze(2), lambda x: x.squeeze(2), [(1, 3, 1, 4)])
    check_op(lambda x: x.squeeze(1), lambda x: x.squeeze(1), [(1, 3, 1, 4)])  # size 3: unchanged
    check_op(lambda x: x.squeeze((0, 2)), lambda x: x.squeeze((0, 2)), [(1, 3, 1, 4)])
    for dim in (0, 1, 2, -1, -3):
        check_op(lambda x: x.unsqueeze(dim), lambda x: microtorch.unsqueeze(x, dim), [(3, 4)])
    with pytest.raises(IndexError, match="out of range"):
        microtorch.ones(3, 4).unsqueeze(3)


@pytest.mark.parametrize("dims", [(1, 0, 2), (2, 0, 1), (0, 1, 2)])
def test_permute(dims):
    check_op(lambda x: x.permute(*dims), lambda x: x.permute(*dims), [(2, 3, 4)])


@pytest.mark.parametrize("shape, sizes", [((3, 1), (3, 4)), ((1, 4), (2, 3, 4)), ((3, 1), (-1, 5)),
                                          ((2, 1, 1), (2, 3, 4))])
def test_expand(shape, sizes):
    check_op(lambda x: x.expand(*sizes), lambda x: x.expand(*sizes), [shape])


def test_expand_errors():
    with pytest.raises(RuntimeError, match="expand"):
        microtorch.ones(3, 2).expand(3, 4)
    with pytest.raises(RuntimeError, match="at least"):
        microtorch.ones(3, 2).expand(2)


@pytest.mark.parametrize("start, end", [(0, -1), (1, -1), (0, 1), (1, 2), (2, 2)])
def test_flatten(start, end):
    check_op(lambda x: torch.flatten(x, start, end), lambda x: microtorch.flatten(x, start, end), [(2, 3, 4, 2)])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_with_repeated_indices(dim):
    rng = np.random.default_rng(2)
    shape = (3, 4, 5)
    index_shape = list(shape)
    index_shape[dim] = 6  # longer than the input along dim: indices repeat
    index_shape[(dim + 1) % 3] -= 1  # smaller in another dim: only a corner is read
    index = rng.integers(0, shape[dim], size=index_shape)
    check_op(lambda x: torch.gather(x, dim, torch.tensor(index)),
             lambda x: microtorch.gather(x, dim, microtorch.tensor(index)), [shape])


def test_gather_errors():
    x = microtorch.ones(3, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        x.gather(1, microtorch.tensor([[0, 4]]))
    with pytest.raises(TypeError, match="integer"):
        x.gather(1, microtorch.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="same number of dims"):
        x.gather(1, microtorch.tensor([0]))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_with_repeated_indices(dim):
    index = np.array([2, 0, 2, 1])
    check_op(lambda x: torch.index_select(x, dim, torch.tensor(index)),
             lambda x: microtorch.index_select(x, dim, microtorch.tensor(index)), [(3, 3, 4)])


@pytest.mark.parametrize("pad, mode, value", [((1, 2), "constant", 0.0), ((1, 0, 2, 1), "constant", -1.5),
                                              ((2, 1, 1, 2), "reflect", None), ((2, 1, 1, 2), "replicate", None),
                                              ((2, 1, 1, 2), "circular", None), ((0, 0, 0, 0, 1, 1), "constant", 0),
                                              # negative sizes crop, in every mode (reflect reflects the whole
                                              # input before cropping; the other modes crop first, as torch)
                                              ((-1, 2), "constant", 0.5), ((1, -2, -1, 0), "constant", 0.0),
                                              ((-5, 0), "constant", 0.0), ((-1, 4, 2, -1), "reflect", None),
                                              ((3, -1, 0, 0), "reflect", None), ((-1, 2, 1, -2), "replicate", None),
                                              ((-1, 3, 2, -1), "circular", None)])
def test_pad(pad, mode, value):
    torch_kwargs = {"mode": mode} if value is None else {"mode": mode, "value": value}
    check_op(lambda x: TF.pad(x, pad, **torch_kwargs), lambda x: F.pad(x, pad, mode, value), [(2, 3, 4, 5)])


def test_pad_errors():
    with pytest.raises(ValueError, match="even"):
        F.pad(microtorch.ones(2, 3), (1,))
    with pytest.raises(ValueError, match="too large"):
        F.pad(microtorch.ones(2, 3), (3, 3), mode="reflect")
    with pytest.raises(ValueError, match="too large"):
        F.pad(microtorch.ones(2, 3), (-2, 2), mode="circular")   # crops to size 1 first, as torch
    with pytest.raises(RuntimeError, match=r"size 3 padded by \(-2, -2\) would have a negative size"):
        F.pad(microtorch.ones(2, 3), (-2, -2))
    with pytest.raises(ValueError, match="must be ints"):
        F.pad(microtorch.ones(2, 3), (1.5, 0))


@pytest.mark.parametrize("chunks, dim", [(2, 0), (3, 1), (4, 1), (5, -1)])
def test_chunk(chunks, dim):
    ours, theirs = check_op(lambda x: torch.chunk(x, chunks, dim), lambda x: microtorch.chunk(x, chunks, dim),
                            [(4, 7)])
    assert len(ours) == len(theirs)


@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (3, 1)])
def test_masked_fill(mask_shape):
    mask = np.random.default_rng(3).random(mask_shape) > 0.5
    check_op(lambda x: x.masked_fill(torch.tensor(mask), -7.0),
             lambda x: x.masked_fill(microtorch.tensor(mask), -7.0), [(3, 4)])


def test_masked_fill_errors():
    with pytest.raises(TypeError, match="bool"):
        microtorch.ones(3).masked_fill(microtorch.ones(3), 0.0)
    with pytest.raises(RuntimeError, match="broadcast"):
        microtorch.ones(3).masked_fill(microtorch.tensor([True, False]), 0.0)


@pytest.mark.parametrize("diagonal", [0, 1, -1, 3])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 4, 3)])
def test_tril_triu(diagonal, shape):
    check_op(lambda x: torch.tril(x, diagonal), lambda x: microtorch.tril(x, diagonal), [shape])
    check_op(lambda x: torch.triu(x, diagonal), lambda x: x.triu(diagonal), [shape])


def test_comparisons_return_bool_tensors_like_torch():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 3, size=(3, 4)).astype(np.float64)
    b = rng.integers(0, 3, size=(4,)).astype(np.float64)
    ours_a, ours_b = microtorch.tensor(a, requires_grad=True), microtorch.tensor(b)
    theirs_a, theirs_b = torch.tensor(a), torch.tensor(b)
    for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        for other_ours, other_theirs in ((ours_b, theirs_b), (1.0, 1.0), (b, theirs_b)):
            ours = getattr(ours_a, op)(other_ours)
            assert isinstance(ours, microtorch.Tensor) and ours.dtype == np.bool_
            assert not ours.requires_grad
            np.testing.assert_array_equal(ours.numpy(), getattr(theirs_a, op)(other_theirs).numpy())
    np.testing.assert_array_equal((1.0 < ours_a).numpy(), (1.0 < theirs_a).numpy())  # reflected
    np.testing.assert_array_equal(ours_a.ge(ours_b).numpy(), theirs_a.ge(theirs_b).numpy())
    assert (ours_a == None) is False  # noqa: E711  (identity fallback, as for other objects)
    with pytest.raises(RuntimeError, match="broadcast"):
        ours_a < microtorch.ones(5)


def test_tensors_stay_hashable_with_elementwise_eq():
    t = microtorch.ones(3)
    assert {t: 1}[t] == 1


def test_float32_stays_float32():
    x = microtorch.randn(3, 4, requires_grad=True)
    outs = [x.abs().sqrt(), x.clamp(-1, 1), x.var(0), x.maximum(microtorch.zeros(4)),
            x.gather(1, microtorch.tensor([[0]] * 3)), F.pad(x, (1, 1)), x.tril(), x.masked_fill(x > 0, 0.5), microtorch.where(x > 0, x, 0.0)]
    for out in outs:
        assert out.dtype == np.float32
        out.sum().backward()
    assert x.grad.dtype == np.float32
