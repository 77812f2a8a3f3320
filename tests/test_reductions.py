"""Reductions and scans against PyTorch in float64: values, gradients, dims (negative, tuples), keepdim,
the (values, indices) named tuples, and error messages."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import microtorch
from helpers import check_op

torch = pytest.importorskip("torch")

DIMS = [None, 0, -1, (0, 2), [1, -1]]


def _dim_kwargs(dim, keepdim):
    return {} if dim is None else {"dim": tuple(dim) if isinstance(dim, list) else dim, "keepdim": keepdim}


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "std", "var", "amax", "amin", "logsumexp"])
def test_reductions_over_dims(name, dim, keepdim):
    if name == "logsumexp" and dim is None:
        dim = (0, 1, 2)
    kwargs = _dim_kwargs(dim, keepdim)
    check_op(lambda x: getattr(torch, name)(x, **kwargs), lambda x: getattr(microtorch, name)(x, **kwargs),
             [(2, 3, 4)])
    check_op(lambda x: getattr(x, name)(**kwargs), lambda x: getattr(x, name)(**kwargs), [(2, 3, 4)])


def test_sum_mean_dtype():
    x = np.array([[1, 2], [3, 4]])
    for name in ("sum", "mean"):
        ours = getattr(microtorch, name)(microtorch.tensor(x), 1, dtype=microtorch.float64)
        theirs = getattr(torch, name)(torch.tensor(x), 1, dtype=torch.float64)
        assert ours.dtype == np.float64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    check_op(lambda t: t.sum(dtype=torch.float32), lambda t: t.sum(dtype=microtorch.float32), [(3, 4)], atol=1e-5)


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std_correction_and_unbiased(correction):
    check_op(lambda x: torch.var(x, 1, correction=correction), lambda x: microtorch.var(x, 1, correction=correction),
             [(3, 5)])
    check_op(lambda x: x.std(0, unbiased=False), lambda x: x.std(0, unbiased=False), [(3, 5)])


def test_amax_amin_share_the_gradient_between_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for name in ("amax", "amin"):
        check_op(lambda t: getattr(torch, name)(t, 1), lambda t: getattr(microtorch, name)(t, 1), arrays=[x])
        check_op(lambda t: getattr(torch, name)(t), lambda t: getattr(microtorch, name)(t), arrays=[x])


def test_logsumexp_is_stable_for_large_inputs():
    x = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    check_op(lambda t: torch.logsumexp(t, 1), lambda t: microtorch.logsumexp(t, 1), arrays=[x])
    check_op(lambda t: torch.logsumexp(t, 0), lambda t: microtorch.logsumexp(t, 0),
             arrays=[np.array([-np.inf, -np.inf, 0.0])[:, None].repeat(2, 1)])


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_prod_gradient_with_zeros_matches_torch(dim, zeros):
    x = np.random.default_rng(zeros).uniform(0.5, 2, (3, 4))
    x[0, :zeros] = 0.0
    x[1, 1:1 + zeros] = 0.0
    kwargs = {} if dim is None else {"dim": dim}
    check_op(lambda t: torch.prod(t, **kwargs), lambda t: microtorch.prod(t, **kwargs), arrays=[x])
    check_op(lambda t: t.prod(**kwargs, keepdim=True) if kwargs else t.prod(),
             lambda t: t.prod(**kwargs, keepdim=True) if kwargs else t.prod(), arrays=[x])


def test_prod_of_integers_and_errors():
    assert microtorch.tensor([[1, 2], [3, 4]]).prod(1).tolist() == [2, 12]
    assert microtorch.tensor([True, True]).prod().dtype == np.int64
    with pytest.raises(TypeError, match="prod"):
        microtorch.ones(2, 3).prod((0, 1))
    with pytest.raises(IndexError, match="prod"):
        microtorch.ones(2, 3).prod(2)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_scans(name, dim):
    check_op(lambda x: getattr(torch, name)(x, dim), lambda x: getattr(microtorch, name)(x, dim), [(3, 4)])
    check_op(lambda x: getattr(x, name)(dim=dim), lambda x: getattr(x, name)(dim=dim), [(2, 3, 2)])


def test_cumprod_gradient_with_zeros_matches_torch():
    x = np.array([[2.0, 0.0, 3.0, 0.0], [1.5, 0.0, 2.0, 4.0], [1.0, 2.0, 3.0, 0.5]])
    check_op(lambda t: torch.cumprod(t, 1), lambda t: microtorch.cumprod(t, 1), arrays=[x])
    check_op(lambda t: torch.cumprod(t, 0), lambda t: microtorch.cumprod(t, 0), arrays=[x])


def test_scans_of_integers_and_0d_and_errors():
    assert microtorch.tensor([1, 2, 3]).cumsum(0).tolist() == torch.tensor([1, 2, 3]).cumsum(0).tolist()
    assert microtorch.tensor([True, True]).cumsum(0).dtype == np.int64
    assert microtorch.tensor([1, 2]).cumsum(0, dtype=microtorch.float64).dtype == np.float64
    check_op(lambda x: x.cumsum(0), lambda x: x.cumsum(0), [()])
    with pytest.raises(TypeError, match="cumsum.*dim"):
        microtorch.ones(3).cumsum(None)
    with pytest.raises(IndexError, match="cumprod"):
        microtorch.ones(3).cumprod(1)


def test_all_any():
    x = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    for name in ("all", "any"):
        for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": -1}):
            ours = getattr(microtorch, name)(microtorch.tensor(x), **kwargs)
            theirs = getattr(torch, name)(torch.tensor(x), **kwargs)
            assert ours.dtype == np.bool_ and ours.shape == tuple(theirs.shape)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------- (values, indices)

@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min", "median", "kthvalue", "mode"])
def test_values_indices_along_a_dim(name, dim, keepdim):
    args = (2, dim) if name == "kthvalue" else (dim,)
    if name == "mode":
        x = np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 1.0], [0.5, 0.5, 0.5, 2.0]])
    else:
        x = np.random.default_rng(1).permutation(12).reshape(3, 4) - 5.5  # no ties
    check_op(lambda t: getattr(torch, name)(t, *args, keepdim=keepdim),
             lambda t: getattr(microtorch, name)(t, *args, keepdim=keepdim), arrays=[x])
    out = getattr(microtorch, name)(microtorch.tensor(x), *args, keepdim=keepdim)
    expected = getattr(torch, name)(torch.tensor(x), *args, keepdim=keepdim)
    values, indices = out
    assert out.values is values and out.indices is indices and indices.dtype == np.int64
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    assert repr(out).startswith(f"microtorch.return_types.{name}(\nvalues=Tensor(")


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_topk(dim, largest):
    x = np.random.default_rng(2).permutation(20).reshape(4, 5) / 3.0
    check_op(lambda t: torch.topk(t, 3, dim=dim, largest=largest),
             lambda t: microtorch.topk(t, 3, dim=dim, largest=largest), arrays=[x])
    out, expected = microtorch.tensor(x).topk(3, dim, largest), torch.tensor(x).topk(3, dim, largest)
    np.testing.assert_array_equal(out.indices.numpy(), expected.indices.numpy())


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort(dim, descending):
    x = np.random.default_rng(3).permutation(24).reshape(2, 3, 4) * 0.5
    check_op(lambda t: torch.sort(t, dim, descending), lambda t: microtorch.sort(t, dim, descending), arrays=[x])
    np.testing.assert_array_equal(microtorch.tensor(x).argsort(dim, descending).numpy(),
                                  torch.tensor(x).argsort(dim, descending).numpy())
    np.testing.assert_array_equal(microtorch.argsort(microtorch.tensor(x), dim=dim).numpy(),
                                  torch.argsort(torch.tensor(x), dim=dim).numpy())


def test_sort_is_stable_like_torchs_stable_sort():
    x = np.array([3, 1, 3, 1, 2], dtype=np.uint8)
    for descending in (False, True):
        ours = microtorch.tensor(x).sort(descending=descending)
        theirs = torch.tensor(x).sort(descending=descending, stable=True)
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


def test_max_min_function_forms():
    x = np.random.default_rng(4).permutation(12).reshape(3, 4) * 1.0
    check_op(torch.max, microtorch.max, arrays=[x])
    check_op(lambda t: torch.min(t, dim=0).values, lambda t: microtorch.min(t, dim=0).values, arrays=[x])
    check_op(torch.max, microtorch.max, [(3, 4), (4,)])
    check_op(torch.min, microtorch.min, [(3, 4), (3, 1)])
    check_op(lambda a, b: a.max(b), lambda a, b: a.max(b), [(3, 4), (4,)])
    check_op(lambda a: torch.max(a, 1, True)[0], lambda a: microtorch.max(a, 1, True)[0], arrays=[x])


def test_tensor_max_with_dim_keeps_the_original_value_only_return():
    x = microtorch.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert isinstance(x.max(1), microtorch.Tensor) and x.max(1).tolist() == [5.0, 7.0]
    assert isinstance(x.min(dim=0), microtorch.Tensor) and x.min(dim=0).tolist() == [1.0, 2.0]
    _, predicted = microtorch.max(x, 1)
    assert predicted.tolist() == [1, 0]


def test_values_indices_of_0d_tensors():
    for name in ("max", "min", "median"):
        out, expected = getattr(microtorch, name)(microtorch.tensor(3.0), 0), getattr(torch, name)(torch.tensor(3.0), 0)
        assert out.values.shape == () == tuple(expected.values.shape) and out.indices.item() == 0


def test_median_of_all_entries_shares_ties_and_takes_the_lower_middle():
    check_op(torch.median, microtorch.median, arrays=[np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 3.0, 4.0, 4.0, 4.0]])])
    check_op(torch.median, microtorch.median, arrays=[np.array([4.0, 1.0, 3.0, 2.0])])
    assert microtorch.tensor([4, 1, 3, 2]).median().item() == torch.tensor([4, 1, 3, 2]).median().item()


def test_values_indices_errors():
    x = microtorch.ones(2, 3)
    with pytest.raises(RuntimeError, match="topk"):
        x.topk(4)
    with pytest.raises(RuntimeError, match="kthvalue"):
        x.kthvalue(0)
    with pytest.raises(IndexError, match="sort"):
        x.sort(2)
    with pytest.raises(TypeError, match="median.*dim"):
        x.median((0, 1))
    with pytest.raises(IndexError, match="non-zero size"):
        microtorch.max(microtorch.ones(0, 3), 0)


def test_unique():
    x = np.array([3, 1, 2, 3, 1, 1])
    for kwargs in ({}, {"return_inverse": True}, {"return_counts": True},
                   {"return_inverse": True, "return_counts": True}):
        ours, theirs = microtorch.unique(microtorch.tensor(x), **kwargs), torch.unique(torch.tensor(x), **kwargs)
        ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
        assert len(ours) == len(theirs)
        for mine, reference in zip(ours, theirs):
            np.testing.assert_array_equal(mine.numpy(), reference.numpy())


def test_count_nonzero():
    x = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 5.0]])
    for dim in (None, 0, 1, (0, 1)):
        np.testing.assert_array_equal(microtorch.count_nonzero(microtorch.tensor(x), dim=dim).numpy(),
                                      torch.count_nonzero(torch.tensor(x), dim=dim).numpy())


def test_nansum_nanmean():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, 3.0, 4.0]])  # (an all-nan slice: torch's gradient is nan, ours 0)
    for name in ("nansum", "nanmean"):
        for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
            check_op(lambda t: getattr(torch, name)(t, **kwargs), lambda t: getattr(microtorch, name)(t, **kwargs),
                     arrays=[x])


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_var_mean_std_mean(name):
    check_op(lambda x: getattr(torch, name)(x, 1), lambda x: getattr(microtorch, name)(x, 1), [(3, 4)])
    check_op(lambda x: getattr(torch, name)(x, 0, correction=0, keepdim=True),
             lambda x: getattr(microtorch, name)(x, 0, correction=0, keepdim=True), [(3, 4)])


@pytest.mark.parametrize("kwargs", [{}, {"n": 2}, {"dim": 0}, {"n": 3, "dim": -1}], ids=str)
def test_diff(kwargs):
    check_op(lambda x: torch.diff(x, **kwargs), lambda x: microtorch.diff(x, **kwargs), [(4, 5)])
    check_op(lambda x, p, a: torch.diff(x, dim=1, prepend=p, append=a),
             lambda x, p, a: microtorch.diff(x, dim=1, prepend=p, append=a), [(4, 5), (4, 1), (4, 2)])


def test_log_softmax_method():
    check_op(lambda x: x.log_softmax(0), lambda x: x.log_softmax(0), [(3, 4)])
    check_op(lambda x: torch.log_softmax(x, -1), lambda x: microtorch.log_softmax(x, -1), [(3, 4)])


# ---------------------------------------------------------------- random shapes and dims (Hypothesis)

_ONE_DIM = {"sum": True, "mean": True, "prod": True, "amax": True, "amin": True, "logsumexp": True, "std": True,
            "var": True, "norm": True, "cumsum": False, "cumprod": False, "max": True, "median": True, "sort": False,
            "kthvalue": True}


@pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning", "ignore:.*degrees of freedom:RuntimeWarning")
@given(data=st.data())
def test_dim_reductions_over_random_shapes(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4), label="shape"))
    name = data.draw(st.sampled_from(sorted(_ONE_DIM)), label="op")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim") if _ONE_DIM[name] else None
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    x = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 7.0 + 0.5  # distinct values
    if name == "kthvalue":
        args = (data.draw(st.integers(1, shape[dim]), label="k"), dim)
    elif name == "norm":
        args = (data.draw(st.sampled_from([1, 2, 3, np.inf]), label="p"), dim)
    else:
        args = (dim,)
    kwargs = {} if keepdim is None else {"keepdim": keepdim}
    check_op(lambda t: getattr(torch, name)(t, *args, **kwargs),
             lambda t: getattr(microtorch, name)(t, *args, **kwargs), arrays=[x])


@pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")
def test_var_without_degrees_of_freedom_is_nan_with_a_nan_gradient_as_in_torch():
    check_op(lambda x: x.var(1), lambda x: x.var(1), [(2, 1)])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_with_ties(name, dim):
    x = np.array([[1.0, 3.0, 2.0, 3.0, 0.0], [5.0, 5.0, 4.0, 6.0, 4.0], [1.0, 0.0, 0.0, 7.0, 7.0]])
    check_op(lambda t: getattr(torch, name)(t, dim), lambda t: getattr(microtorch, name)(t, dim), arrays=[x])
    ours, theirs = getattr(microtorch.tensor(x), name)(dim), getattr(torch.tensor(x), name)(dim)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_aminmax():
    x = np.array([[1.0, 3.0], [2.0, 0.0]])
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
        ours, theirs = microtorch.aminmax(microtorch.tensor(x), **kwargs), torch.aminmax(torch.tensor(x), **kwargs)
        np.testing.assert_array_equal(ours.min.numpy(), theirs.min.numpy())
        np.testing.assert_array_equal(ours.max.numpy(), theirs.max.numpy())
        low, high = ours
        assert low is ours.min and high is ours.max
    assert repr(ours).startswith("microtorch.return_types.aminmax(\nmin=")
