"""Every core op against PyTorch: forward values and the gradient of every input."""
import numpy as np
import pytest

import microtorch
import microtorch.nn.functional as F
from helpers import check_op

torch = pytest.importorskip("torch")

DTYPES = [np.float64, np.float32]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((2, 1, 4), (3, 1)), ((5,), ()),
                    ((), (5,)), ((1,), (3, 1)), ((), ())]
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}


# ---------------------------------------------------------------- arithmetic

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_tensor_tensor_broadcast(name, shapes, dtype):
    fn = BINARY[name]
    check_op(fn, fn, shapes, dtype=dtype, positive=name in ("div", "pow"))


@pytest.mark.parametrize("scalar", [2.5, -3, 0.5])
@pytest.mark.parametrize("name", BINARY)
def test_binary_with_python_scalar_on_either_side(name, scalar):
    positive = name in ("div", "pow")
    if name == "pow" and scalar < 0:
        scalar = -scalar  # scalar ** tensor needs a positive base to be real
    fn = BINARY[name]
    check_op(lambda x: fn(x, scalar), lambda x: fn(x, scalar), [(3, 4)], positive=positive)
    check_op(lambda x: fn(scalar, x), lambda x: fn(scalar, x), [(3, 4)], positive=positive)


@pytest.mark.parametrize("name", BINARY)
def test_binary_with_numpy_array_on_either_side(name):
    positive = name in ("div", "pow")
    array = np.random.default_rng(1).uniform(0.5, 2.0, size=(4,))
    fn = BINARY[name]
    check_op(lambda x: fn(x, torch.tensor(array)), lambda x: fn(x, array), [(3, 4)], positive=positive)
    check_op(lambda x: fn(torch.tensor(array), x), lambda x: fn(array, x), [(3, 4)], positive=positive)
    result = fn(array, microtorch.ones(3, 4, dtype=np.float64))
    assert isinstance(result, microtorch.Tensor), "ndarray op Tensor must give a Tensor"


@pytest.mark.parametrize("name", BINARY)
def test_binary_with_constant_tensor_gets_no_grad(name):
    constant = microtorch.tensor(np.full((4,), 1.5))
    x = microtorch.tensor(np.full((3, 4), 0.7), requires_grad=True)
    BINARY[name](x, constant).sum().backward()
    assert constant.grad is None and x.grad is not None


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 0])
def test_pow_tensor_scalar(exponent):
    fn = lambda x: x ** exponent  # noqa: E731
    check_op(fn, fn, [(3, 4)], positive=True)


def test_pow_integer_exponent_of_negative_base():
    fn = lambda x: x ** 3  # noqa: E731
    check_op(fn, fn, [(3, 4)], low=-2, high=-0.5)


def test_pow_tensor_tensor_and_scalar_tensor():
    check_op(lambda b, e: b ** e, lambda b, e: b ** e, [(3, 4), (4,)], positive=True)
    check_op(lambda e: 2.0 ** e, lambda e: 2.0 ** e, [(3, 4)])


def test_pow_zero_base_gradient_of_exponent_is_zero_as_in_torch():
    base = np.array([0.0, 1.0, 2.0])
    exponent = np.array([2.0, 2.0, 2.0])
    check_op(lambda b, e: b ** e, lambda b, e: b ** e, arrays=[base, exponent])


def test_pow_zero_exponent_at_zero_base_has_zero_gradient():
    base = np.array([0.0, 0.0, 1.5])
    with np.errstate(all="raise"):
        check_op(lambda b: b ** 0, lambda b: b ** 0, arrays=[base])
        check_op(lambda b, e: b ** e, lambda b, e: b ** e, arrays=[base, np.zeros(3)])


def test_relu_gradient_at_zero_is_zero():
    check_op(torch.relu, lambda x: x.relu(), arrays=[np.array([-1.0, 0.0, 2.0])])


@pytest.mark.parametrize("dtype", DTYPES)
def test_neg(dtype):
    check_op(lambda x: -x, lambda x: -x, [(2, 3)], dtype=dtype)
    check_op(lambda x: -x + 1, lambda x: -x + 1, [()], dtype=dtype)


def test_chained_expression():
    fn = lambda a, b: ((a * b - a / (b + 3)) ** 2).sum() * 0.5 - (-a).mean()  # noqa: E731
    check_op(fn, fn, [(3, 4), (4,)], positive=True)


MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4)),
                 ((5, 2, 3), (3,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, dtype):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, shapes, dtype=dtype)


def test_matmul_with_numpy_and_method():
    w = np.random.default_rng(2).standard_normal((3, 4))
    check_op(lambda x: x @ torch.tensor(w), lambda x: x @ w, [(2, 3)])
    check_op(lambda x: torch.tensor(w.T) @ x, lambda x: w.T @ x, [(3, 2)])
    check_op(lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), [(2, 3), (3, 2)])


def test_matmul_shape_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4, 5\)"):
        microtorch.ones(2, 3) @ microtorch.ones(4, 5)
    with pytest.raises(RuntimeError, match="matmul"):
        microtorch.ones(2, 3) @ microtorch.tensor(2.0)


def test_broadcast_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"add.*\(3, 4\).*\(3,\)"):
        microtorch.ones(3, 4) + microtorch.ones(3)


# ---------------------------------------------------------------- elementwise

ELEMENTWISE = {
    "exp": (lambda x: x.exp(), False),
    "log": (lambda x: x.log(), True),
    "sigmoid": (lambda x: x.sigmoid(), False),
    "tanh": (lambda x: x.tanh(), False),
    "relu": (lambda x: x.relu(), False),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise(name, dtype):
    fn, positive = ELEMENTWISE[name]
    check_op(fn, fn, [(3, 4)], dtype=dtype, positive=positive)
    check_op(fn, fn, [()], dtype=dtype, positive=positive)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_large_magnitudes(dtype):
    x = np.array([-1000.0, -80.0, -30.0, -1.0, 0.0, 1.0, 30.0, 80.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise", invalid="raise"):  # no overflow warnings either
        check_op(torch.sigmoid, lambda t: t.sigmoid(), arrays=[x])


def test_functional_activations_match_methods():
    check_op(torch.relu, F.relu, [(5,)])
    check_op(torch.sigmoid, F.sigmoid, [(5,)])
    check_op(torch.tanh, F.tanh, [(5,)])


# ---------------------------------------------------------------- reductions

DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, dim, keepdim):
    def theirs(x):
        return getattr(x, name)() if dim is None and not keepdim else getattr(x, name)(dim, keepdim=keepdim)

    check_op(theirs, lambda x: getattr(x, name)(dim, keepdim=keepdim), [(2, 3, 4)])


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean_float32_and_numpy_spellings(name):
    check_op(lambda x: getattr(x, name)(1, keepdim=True), lambda x: getattr(x, name)(axis=1, keepdims=True),
             [(2, 3, 4)], dtype=np.float32)
    check_op(lambda x: getattr(x, name)((0, 2)), lambda x: getattr(x, name)(axis=[0, 2]), [(2, 3, 4)])


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
def test_max(dim, keepdim):
    def theirs(x):
        if isinstance(dim, int):
            return torch.max(x, dim, keepdim=keepdim).values
        return torch.amax(x, dim=() if dim is None else dim, keepdim=keepdim)

    check_op(theirs, lambda x: x.max(dim, keepdim=keepdim), [(2, 3, 4)])


def test_max_with_ties_matches_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    # over all or a tuple of dims, torch.amax shares the gradient between ties
    check_op(lambda t: torch.amax(t), lambda t: t.max(), arrays=[x])
    check_op(lambda t: torch.amax(t, dim=(0, 1)), lambda t: t.max((0, 1)), arrays=[x])
    # over one dim the values agree and the whole gradient goes to a single maximum
    ours = microtorch.tensor(x, requires_grad=True)
    ours.max(1).sum().backward()
    assert np.allclose(ours.grad.numpy().sum(axis=1), 1.0)
    assert np.all((ours.grad.numpy() == 0) | (x == x.max(axis=1, keepdims=True)))


def test_max_float32_and_scalar_tensor():
    check_op(lambda x: torch.max(x, -1).values, lambda x: x.max(-1), [(3, 5)], dtype=np.float32)
    check_op(lambda x: x.sum(0), lambda x: x.sum(0), [()])
    check_op(lambda x: torch.amax(x), lambda x: x.max(), [()])


def test_reduction_dim_errors():
    x = microtorch.ones(2, 3)
    with pytest.raises(IndexError, match="sum.*dim 2.*range"):
        x.sum(2)
    with pytest.raises(RuntimeError, match="twice"):
        x.mean((0, -2))
    with pytest.raises(TypeError, match="dim must be an int"):
        x.max(1.0)


def test_argmax():
    x = np.random.default_rng(3).standard_normal((3, 4, 5))
    t = microtorch.tensor(x)
    tt = torch.tensor(x)
    assert t.argmax().item() == tt.argmax().item()
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            ours = microtorch.argmax(t, dim, keepdim)
            assert ours.dtype == np.int64 and not ours.requires_grad
            np.testing.assert_array_equal(ours.numpy(), tt.argmax(dim, keepdim=keepdim).numpy())


# ---------------------------------------------------------------- shapes

SHAPE_OPS = {
    "reshape": (lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6)),
    "reshape_tuple": (lambda x: x.reshape((3, 8)), lambda x: x.reshape((3, 8))),
    "reshape_infer": (lambda x: x.reshape(-1, 4), lambda x: x.reshape(-1, 4)),
    "view": (lambda x: x.view(2, 12), lambda x: x.view(2, 12)),
    "view_infer": (lambda x: x.view(-1), lambda x: x.view(-1)),
    "transpose": (lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2)),
    "transpose_neg": (lambda x: x.transpose(-1, 1), lambda x: x.transpose(-1, 1)),
    "permute": (lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1)),
    "permute_tuple": (lambda x: x.permute((1, 2, 0)), lambda x: x.permute((1, 2, 0))),
    "permute_negative": (lambda x: x.permute(-1, 0, 1), lambda x: x.permute(-1, 0, 1)),
    "flatten": (lambda x: x.flatten(), lambda x: x.flatten()),
    "T_3d": (lambda x: x.permute(2, 1, 0), lambda x: x.T),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(name):
    theirs, ours = SHAPE_OPS[name]
    check_op(theirs, ours, [(2, 3, 4)])


def test_matrix_transposes():
    check_op(lambda x: x.T, lambda x: x.T, [(3, 4)])
    check_op(lambda x: x.t(), lambda x: x.t(), [(3, 4)])
    check_op(lambda x: x.t(), lambda x: x.t(), [(3,)])
    check_op(lambda x: x.T * 2, lambda x: x.T * 2, [(3, 4)], dtype=np.float32)
    with pytest.raises(RuntimeError, match="t()"):
        microtorch.ones(2, 3, 4).t()


def test_shape_errors():
    x = microtorch.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"reshape.*\(4, 2\).*\(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="one dimension"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match="permute"):
        x.permute(0, 0)


# ---------------------------------------------------------------- indexing

INDEXES = {
    "int": (1,),
    "negative_int": (-1,),
    "slice": (slice(1, 3),),
    "two_ints": ((1, 2),),
    "column": ((slice(None), 1),),
    "newaxis": (None,),
    "ellipsis": ((Ellipsis, 1),),
    "int_ellipsis_none": ((1, Ellipsis, None),),
    "stepped_slice": ((slice(None, None, 2), slice(1, None)),),
}


@pytest.mark.parametrize("name", INDEXES)
def test_getitem_basic(name):
    (index,) = INDEXES[name]
    check_op(lambda x: x[index], lambda x: x[index], [(4, 3, 5)])


def test_getitem_integer_arrays_with_repeats_accumulate():
    rows = [0, 0, 2, 0]
    check_op(lambda x: x[rows], lambda x: x[rows], [(3, 4)])
    check_op(lambda x: x[torch.tensor(rows)], lambda x: x[np.array(rows)], [(3, 4)])
    check_op(lambda x: x[[0, 1, 1], [2, 2, 2]], lambda x: x[[0, 1, 1], [2, 2, 2]], [(3, 4)])
    check_op(lambda x: x[:, [3, 3]], lambda x: x[:, [3, 3]], [(3, 4)], dtype=np.float32)
    x = microtorch.tensor(np.zeros(3), requires_grad=True)
    x[[1, 1, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 3.0, 0.0])


def test_getitem_tensor_indices():
    index = [2, 0, 2]
    check_op(lambda x: x[torch.tensor(index)], lambda x: x[microtorch.tensor(index)], [(3, 4)])
    check_op(lambda x: x[1, torch.tensor(index)], lambda x: x[1, microtorch.tensor(index)], [(3, 4)])


def test_getitem_boolean_masks():
    values = np.random.default_rng(4).standard_normal((3, 4))
    mask = values > 0
    check_op(lambda x: x[torch.tensor(mask)], lambda x: x[mask], arrays=[values])
    check_op(lambda x: x[torch.tensor(mask)], lambda x: x[microtorch.tensor(mask)], arrays=[values])
    rows = np.array([True, False, True])
    check_op(lambda x: x[torch.tensor(rows)], lambda x: x[rows], arrays=[values])


def test_getitem_errors_name_the_shape():
    x = microtorch.ones(3, 4)
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        x[5]
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        x[[0, 7]]


def test_setitem_without_grad_is_in_place():
    t = microtorch.zeros(3, 4)
    data = t.numpy()
    t[1] = 5.0
    t[:, 0] = np.array([1.0, 2.0, 3.0])
    t[2, 1:3] = microtorch.tensor([7.0, 8.0])
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[1] = 5
    expected[:, 0] = [1, 2, 3]
    expected[2, 1:3] = [7, 8]
    np.testing.assert_array_equal(t.numpy(), expected)
    assert t.numpy() is data and t.grad_fn is None and t.dtype == np.float32


@pytest.mark.parametrize("index", [1, (slice(1, 3),), (slice(None), 2), (0, slice(None, 2))], ids=str)
def test_setitem_with_grad_matches_torch_clone(index):
    def fn(x, v):
        y = x.clone()
        y[index] = v
        return y * 1.5

    check_op(fn, fn, [(3, 4), (1,) if index == 1 else ()])
    check_op(fn, fn, [(3, 4), (4,)] if index in (1, (slice(1, 3),)) else [(3, 4), ()], dtype=np.float32)


def test_setitem_value_requires_grad_into_plain_tensor():
    def theirs(v):
        y = torch.zeros(3, 4, dtype=torch.float64)
        y[1] = v
        return y * y

    def ours(v):
        y = microtorch.zeros(3, 4, dtype=np.float64)
        y[1] = v
        return y * y

    check_op(theirs, ours, [(4,)])


def test_setitem_on_leaf_requiring_grad_raises_and_leaves_it_unchanged():
    x = microtorch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 5.0
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    with microtorch.no_grad():
        x[0] = 5.0
    np.testing.assert_array_equal(x.numpy(), [5.0, 2.0])
    assert x.is_leaf and x.requires_grad


def test_setitem_shape_mismatch_raises_before_change():
    t = microtorch.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"setitem.*\(3,\).*\(4,\)"):
        t[0] = np.ones(3)
    assert np.all(t.numpy() == 0)


# ---------------------------------------------------------------- split, cat, stack

def test_split_default_dim_is_last():
    x = microtorch.ones(4, 6)
    assert [c.shape for c in x.split(4)] == [(4, 4), (4, 2)]


@pytest.mark.parametrize("size,dim", [(2, -1), (3, 0), (1, 1), ([1, 3], 0), ([2, 1, 2], -1)], ids=str)
def test_split_matches_torch(size, dim):
    check_op(lambda x: torch.split(x, size, dim=dim), lambda x: x.split(size, dim), [(4, 5)])
    check_op(lambda x: torch.split(x, size, dim=dim), lambda x: microtorch.split(x, size, dim=dim), [(4, 5)])


def test_split_errors():
    with pytest.raises(RuntimeError, match="add up"):
        microtorch.ones(4).split([1, 2])
    with pytest.raises(RuntimeError, match="positive"):
        microtorch.ones(4).split(0)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    shapes = {0: [(2, 3), (4, 3), (1, 3)], 1: [(2, 3), (2, 1), (2, 2)], -1: [(2, 3), (2, 1), (2, 2)]}[dim]
    check_op(lambda *xs: torch.cat(xs, dim), lambda *xs: microtorch.cat(xs, dim), shapes)
    check_op(lambda *xs: torch.cat(xs, dim), lambda *xs: microtorch.concat(list(xs), axis=dim), shapes,
             dtype=np.float32)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    check_op(lambda *xs: torch.stack(xs, dim), lambda *xs: microtorch.stack(xs, dim), [(2, 3)] * 3)


def test_cat_stack_errors():
    with pytest.raises(RuntimeError, match=r"cat.*\(2, 3\).*\(3, 2\)"):
        microtorch.cat([microtorch.ones(2, 3), microtorch.ones(3, 2)], dim=0)
    with pytest.raises(RuntimeError, match="stack"):
        microtorch.stack([microtorch.ones(2), microtorch.ones(3)])
    with pytest.raises(RuntimeError, match="non-empty"):
        microtorch.cat([])


# ---------------------------------------------------------------- nn functions

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax(dim, dtype):
    check_op(lambda x: torch.softmax(x, dim), lambda x: x.softmax(dim), [(3, 4)], dtype=dtype)
    check_op(lambda x: torch.softmax(x, dim), lambda x: F.softmax(x, dim), [(2, 3, 4)], dtype=dtype)


def test_softmax_large_inputs_are_stable():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1001.0]])
    check_op(lambda t: torch.softmax(t, -1), lambda t: t.softmax(-1), arrays=[x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spread", [1.0, 30.0, 3000.0])
def test_softmax_rows_of_different_scales_match_torch(spread, dtype):
    # softmax shifts by the overall maximum when every row lies near it, by each row's maximum otherwise
    x = np.random.default_rng(3).standard_normal((4, 5, 6)) + spread * np.arange(4)[:, None, None]
    for dim in (-1, 0):
        check_op(lambda t: torch.softmax(t, dim), lambda t: t.softmax(dim), arrays=[x.astype(dtype)], dtype=dtype)
        check_op(lambda t: torch.log_softmax(t, dim), lambda t: F.log_softmax(t, dim), arrays=[x.astype(dtype)],
                 dtype=dtype)


def test_softmax_non_finite_rows_match_torch():
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0],
                  [2.0, 3.0, 4.0]])
    with np.errstate(invalid="ignore"):
        ours = microtorch.tensor(x).softmax(-1).numpy()
    np.testing.assert_allclose(ours, torch.softmax(torch.tensor(x), -1).numpy(), rtol=1e-12, equal_nan=True)


def test_dropout_training_scales_and_gradient_uses_same_mask():
    x = microtorch.tensor(np.ones((200, 50)), requires_grad=True)
    y = F.dropout(x, p=0.3, training=True)
    kept = y.numpy() != 0
    assert set(np.unique(np.round(y.numpy(), 12))) == {0.0, round(1 / 0.7, 12)}
    assert abs(kept.mean() - 0.7) < 0.02  # 10000 draws: std of the fraction is ~0.005
    upstream = np.random.default_rng(5).standard_normal(x.shape)
    y.backward(upstream)
    np.testing.assert_allclose(x.grad.numpy(), upstream * kept / 0.7, rtol=1e-12)


def test_dropout_identity_cases():
    x = microtorch.tensor(np.arange(6.0), requires_grad=True)
    for y in (F.dropout(x, p=0.0, training=True), F.dropout(x, p=0.5, training=False)):
        np.testing.assert_array_equal(y.numpy(), x.numpy())
    y = F.dropout(x, p=1.0)
    np.testing.assert_array_equal(y.numpy(), 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, p=1.5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (3, 4))], ids=str)
def test_mse_loss(shapes, reduction, dtype):
    import warnings

    def theirs(a, b):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about broadcasting targets
            return torch.nn.functional.mse_loss(a, b, reduction=reduction)

    check_op(theirs, lambda a, b: F.mse_loss(a, b, reduction=reduction), shapes, dtype=dtype)


def test_mse_loss_with_constant_targets():
    target = np.random.default_rng(6).standard_normal((3, 4))
    check_op(lambda a: torch.nn.functional.mse_loss(a, torch.tensor(target)),
             lambda a: microtorch.mse_loss(a, target), [(3, 4)])
    check_op(lambda a: torch.nn.functional.mse_loss(a, torch.full_like(a, 1.0)),
             lambda a: microtorch.mse_loss(a, 1.0), [(3, 4)], dtype=np.float32)
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(microtorch.ones(2), microtorch.ones(2), reduction="avg")
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        F.mse_loss(microtorch.ones(3), microtorch.ones(2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(reduction, dtype):
    target = np.array([0, 2, 1, 2, 4])
    check_op(lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), reduction=reduction),
             lambda x: F.cross_entropy(x, microtorch.tensor(target), reduction=reduction), [(5, 5)], dtype=dtype)
    check_op(lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), reduction=reduction),
             lambda x: microtorch.cross_entropy(x, target, reduction=reduction), [(5, 5)], dtype=dtype,
             low=-50, high=50)


def test_cross_entropy_errors():
    logits = microtorch.ones(3, 4)
    with pytest.raises(RuntimeError, match="integer"):  # torch's exception types
        F.cross_entropy(logits, microtorch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(logits, [0, 1, 4])
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(logits, [0, 1])


# ---------------------------------------------------------------- conversions and properties

def test_detach_clone_and_casts():
    x = microtorch.tensor([[1.5, -2.0], [3.0, 4.0]], requires_grad=True)
    d = x.detach()
    assert isinstance(d, microtorch.Tensor) and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), x.numpy())
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.numpy(), x.numpy())
    (c * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2.0)
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    long = x.long()
    assert long.dtype == np.int64 and not long.requires_grad
    np.testing.assert_array_equal(long.numpy(), [[1, -2], [3, 4]])


def test_cast_gradient_flows_back_in_the_input_dtype():
    check_op(lambda x: x.float() * 2, lambda x: x.float() * 2, [(3,)], atol=1e-5)
    x = microtorch.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), 3.0)


def test_item_len_shape_size_ndim():
    x = microtorch.ones(2, 3, 4)
    assert len(x) == 2 and x.shape == (2, 3, 4) and x.size() == (2, 3, 4)
    assert x.size(1) == 3 and x.size(-1) == 4 and x.ndim == 3 and x.dim() == 3 and x.numel() == 24
    s = microtorch.tensor(2.5)
    assert s.item() == 2.5 and isinstance(s.item(), float) and float(s) == 2.5
    assert microtorch.tensor([7]).item() == 7 and isinstance(microtorch.tensor([7]).item(), int)
    with pytest.raises(TypeError, match="0-d"):
        len(s)
    with pytest.raises(RuntimeError, match="6 elements"):
        microtorch.ones(2, 3).item()


def test_repr():
    assert repr(microtorch.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(microtorch.tensor([1.0], requires_grad=True))
    assert "dtype=microtorch.float64" in repr(microtorch.tensor(np.zeros(2)))
    y = microtorch.tensor([1.0], requires_grad=True) * 2
    assert "grad_fn=<MulBackward0>" in repr(y)
