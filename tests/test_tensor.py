"""The Tensor API: dtypes, conversions to and from numpy, creation functions, argument spellings."""
import numpy as np
import pytest

import microtorch
from microtorch import Tensor

torch = pytest.importorskip("torch")


def torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


# ---------------------------------------------------------------- dtypes

@pytest.mark.parametrize("data", [[1.0, 2.0], [[1.5], [2]], 3.5, [1, 2.5], [], 7, [1, 2], [[3]], True, [True, False]],
                         ids=repr)
def test_default_dtypes_match_torch(data):
    assert microtorch.tensor(data).dtype == np.dtype(torch_dtype_name(torch.tensor(data)))
    np.testing.assert_array_equal(microtorch.tensor(data).numpy(), torch.tensor(data).numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32, np.int64, np.uint8, np.bool_])
def test_numpy_arrays_keep_their_dtype_and_are_copied(dtype):
    array = np.ones((2, 3), dtype=dtype)
    t = microtorch.tensor(array)
    assert t.dtype == dtype
    array[0, 0] = 0
    assert t.numpy()[0, 0] == 1, "tensor() must copy its data"


def test_explicit_dtype():
    assert microtorch.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert microtorch.tensor([1.7], dtype="int64").numpy()[0] == 1
    assert microtorch.tensor(np.zeros(2), dtype=microtorch.float32).dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        microtorch.tensor([1.0], dtype="not-a-dtype")


def test_bad_data_raises_type_error():
    with pytest.raises(TypeError, match="tensor"):
        microtorch.tensor("abc")
    with pytest.raises(TypeError, match="dict"):
        microtorch.tensor({"a": 1})


PROMOTION_CASES = [
    ("float32 * float64", lambda lib, f32, f64, i64: f32 * f64),
    ("float64 + float32", lambda lib, f32, f64, i64: f64 + f32),
    ("float32 * 2.5", lambda lib, f32, f64, i64: f32 * 2.5),
    ("2.5 - float32", lambda lib, f32, f64, i64: 2.5 - f32),
    ("float32 ** 2", lambda lib, f32, f64, i64: f32 ** 2),
    ("float32 / 3", lambda lib, f32, f64, i64: f32 / 3),
    ("float32 * np.float64(2)", lambda lib, f32, f64, i64: f32 * np.float64(2.0)),
    ("np.float64(2) * float32", lambda lib, f32, f64, i64: np.float64(2.0) * f32),
    ("int64 + 1", lambda lib, f32, f64, i64: i64 + 1),
    ("int64 * 2.5", lambda lib, f32, f64, i64: i64 * 2.5),
    ("int64 / 2", lambda lib, f32, f64, i64: i64 / 2),
    ("int64 / int64", lambda lib, f32, f64, i64: i64 / i64),
    ("int64 * float32", lambda lib, f32, f64, i64: i64 * f32),
    ("float64 - int64", lambda lib, f32, f64, i64: f64 - i64),
    ("float32 * 0-d float64", lambda lib, f32, f64, i64: f32 * lib.tensor(np.float64(2.0))),
    ("int64 ** 2", lambda lib, f32, f64, i64: i64 ** 2),
]


@pytest.mark.parametrize("name,expression", PROMOTION_CASES, ids=[c[0] for c in PROMOTION_CASES])
def test_type_promotion_matches_torch(name, expression):
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    ours = expression(microtorch, microtorch.tensor(values.astype(np.float32)), microtorch.tensor(values),
                      microtorch.tensor(values.astype(np.int64)))
    theirs = expression(torch, torch.tensor(values.astype(np.float32)), torch.tensor(values),
                        torch.tensor(values.astype(np.int64)))
    assert ours.dtype == np.dtype(torch_dtype_name(theirs)), name
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_matmul_of_mixed_float_dtypes_promotes():
    # torch refuses float32 @ float64; microtorch promotes, as it does for the other binary ops
    y = microtorch.ones(2, 3) @ microtorch.ones(3, dtype=np.float64)
    assert y.dtype == np.float64 and np.allclose(y, 3.0)


def test_mixed_float_dtypes_give_gradients_in_each_inputs_dtype():
    a = microtorch.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = microtorch.tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])


def test_integer_matmul_float_takes_the_float_dtype():
    w = microtorch.tensor([[0.5], [1.5]], requires_grad=True)
    y = microtorch.tensor([[2, 3]]) @ w
    assert y.dtype == np.float32 and y.item() == 5.5
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[2.0], [3.0]])


def test_integer_tensor_times_float_parameter_keeps_parameter_dtype():
    w = microtorch.tensor([0.5, 1.5], requires_grad=True)
    y = microtorch.tensor([2, 3]) * w
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 3.0])


# ---------------------------------------------------------------- numpy interop

def test_data_and_numpy_are_ndarrays_grad_and_detach_are_tensors():
    t = microtorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert type(t.numpy()) is np.ndarray and type(t.numpy()) is np.ndarray
    assert np.shares_memory(t.numpy(), t.numpy())
    (t * t).sum().backward()
    assert isinstance(t.grad, Tensor) and isinstance(t.detach(), Tensor)
    assert np.allclose(t.grad, [2.0, 4.0, 6.0])  # via __array__
    np.testing.assert_allclose(t.grad, 2 * t.numpy())
    assert np.asarray(t).dtype == np.float32 and np.asarray(t, dtype=np.float64).dtype == np.float64


def test_ndarray_op_tensor_returns_tensor_and_records():
    t = microtorch.tensor([1.0, 2.0], requires_grad=True)
    array = np.array([10.0, 20.0], dtype=np.float32)
    for result in (array + t, array * t, array - t, array / t, array ** t):
        assert isinstance(result, Tensor) and result.grad_fn is not None
    (array * t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), array)


def test_tolist_bool_int_float_iter():
    t = microtorch.tensor([[1, 2], [3, 4]])
    assert t.tolist() == [[1, 2], [3, 4]]
    assert [row.tolist() for row in t] == [[1, 2], [3, 4]]
    assert bool(microtorch.tensor([1.0])) and not bool(microtorch.tensor(0.0))
    assert int(microtorch.tensor(3.7)) == 3
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(microtorch.ones(2))


def test_grad_setter_checks_shape():
    t = microtorch.tensor([1.0, 2.0], requires_grad=True)
    t.grad = np.array([0.5, 0.5], dtype=np.float32)
    assert isinstance(t.grad, Tensor) and np.allclose(t.grad, 0.5)
    t.grad = microtorch.tensor([1.0, 1.0])
    assert np.allclose(t.grad, 1.0)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        t.grad = np.zeros(3)
    t.grad = None
    assert t.grad is None


# ---------------------------------------------------------------- creation

def test_zeros_ones_full_and_likes():
    for shape_args in [(2, 3), ((2, 3),), ([2, 3],)]:
        assert microtorch.zeros(*shape_args).shape == (2, 3)
    z, o = microtorch.zeros(2, 3), microtorch.ones(4)
    assert z.dtype == np.float32 and np.all(z.numpy() == 0) and np.all(o.numpy() == 1) and o.shape == (4,)
    assert microtorch.zeros(2, dtype=np.float64).dtype == np.float64
    assert microtorch.ones(2, requires_grad=True).requires_grad
    f = microtorch.full((2, 2), 7.5)
    assert f.dtype == np.float32 and np.all(f.numpy() == 7.5)
    for value in (7, 7.5, True):
        assert microtorch.full((2,), value).dtype == np.dtype(torch_dtype_name(torch.full((2,), value)))
    like = microtorch.zeros_like(microtorch.ones(2, 3, dtype=np.float64))
    assert like.shape == (2, 3) and like.dtype == np.float64 and np.all(like.numpy() == 0)
    assert np.all(microtorch.ones_like(z).numpy() == 1)


def test_uniform_signature_and_bounds():
    t = microtorch.uniform(200, 50, low=-2.0, high=3.0)
    assert t.shape == (200, 50) and t.dtype == np.float32
    assert t.data.min() >= -2.0 and t.data.max() < 3.0
    assert abs(t.data.mean() - 0.5) < 0.05  # std of the mean of 10000 U(-2,3) is ~0.014
    default = microtorch.uniform(1000)
    assert default.data.min() >= 0.0 and default.data.max() < 1.0


def test_rand_randn_statistics_and_seed():
    r = microtorch.rand(10000)
    assert r.data.min() >= 0 and r.data.max() < 1 and abs(r.data.mean() - 0.5) < 0.02
    n = microtorch.randn(100, 100)
    assert n.dtype == np.float32 and abs(n.data.mean()) < 0.04 and abs(n.data.std() - 1) < 0.04
    microtorch.manual_seed(123)
    a = microtorch.randn(5)
    microtorch.manual_seed(123)
    b = microtorch.randn(5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), microtorch.randn(5).numpy())


def test_arange_matches_torch():
    for args in [(5,), (2, 7), (0, 1, 0.25), (0.0, 3), (5, 0, -2)]:
        ours, theirs = microtorch.arange(*args), torch.arange(*args)
        assert ours.dtype == np.dtype(torch_dtype_name(theirs)), args
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_requires_grad_flag_on_creation():
    t = microtorch.tensor([1.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None
    assert not microtorch.tensor([1.0]).requires_grad


# ---------------------------------------------------------------- argument spellings

def test_dim_axis_keepdim_keepdims_spellings_agree():
    x = microtorch.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
    for name in ("sum", "mean", "max"):
        a = getattr(x, name)(1, keepdim=True)
        b = getattr(x, name)(axis=1, keepdims=True)
        c = getattr(x, name)(dim=1, keepdim=True)
        assert a.shape == b.shape == c.shape == (2, 1, 4)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(a.numpy(), c.numpy())
    assert x.argmax(axis=2, keepdims=True).shape == (2, 3, 1)
    assert x.sum(axis=(0, 2)).shape == (3,)


def test_cat_concat_concatenate_are_one_function():
    assert microtorch.concat is microtorch.cat and microtorch.concatenate is microtorch.cat
    a, b = microtorch.ones(2, 3), microtorch.zeros(2, 1)
    np.testing.assert_array_equal(microtorch.concat([a, b], axis=1).numpy(),
                                  microtorch.cat([a, b], dim=-1).numpy())
    assert microtorch.stack([a, a], axis=1).shape == (2, 2, 3)


def test_operand_type_errors():
    t = microtorch.ones(2)
    with pytest.raises(TypeError, match="add.*str"):
        t + "a"
    with pytest.raises(TypeError, match="mul.*list"):
        t * [1, 2]
