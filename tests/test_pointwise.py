"""Elementwise math, comparisons and logical ops against PyTorch in float64: values and gradients,
broadcast shapes, integer inputs and error messages."""
import numpy as np
import pytest

import microtorch
from helpers import check_op

torch = pytest.importorskip("torch")

# name -> (low, high) of the inputs: inside each function's domain, away from its edges
UNARY = {
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2), "asinh": (-3, 3), "acosh": (1.1, 3),
    "atanh": (-0.9, 0.9), "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2), "log": (0.1, 3), "log2": (0.1, 3),
    "log10": (0.1, 3), "log1p": (-0.9, 3), "sqrt": (0.1, 3), "rsqrt": (0.1, 3), "square": (-2, 2),
    "reciprocal": (0.2, 3), "erf": (-2, 2), "erfc": (-2, 2), "frac": (-3, 3), "sign": (-2, 2), "sgn": (-2, 2),
    "floor": (-3, 3), "ceil": (-3, 3), "trunc": (-3, 3), "round": (-3, 3), "abs": (-2, 2), "neg": (-2, 2),
    "sigmoid": (-3, 3),
}



@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", UNARY)
def test_unary_function_and_method_match_torch(name, dtype):
    low, high = UNARY[name]
    reference = "sign" if name == "sgn" else name  # torch's sgn gradient is a ZeroTensor numpy cannot read
    check_op(getattr(torch, reference), getattr(microtorch, name), [(3, 4)], dtype=dtype, low=low, high=high)
    check_op(lambda x: getattr(x, reference)(), lambda x: getattr(x, name)(), [(2, 3)], dtype=dtype,
             low=low, high=high)


@pytest.mark.parametrize("name", ["sin", "cos", "log1p", "rsqrt", "erf", "floor", "round", "sign", "square", "neg",
                                  "abs", "exp", "log", "sqrt", "atanh"])
def test_unary_on_integers_follows_torch_dtype(name):
    values = np.array([[1, 2], [3, 4]])
    ours, theirs = getattr(microtorch, name)(microtorch.tensor(values)), getattr(torch, name)(torch.tensor(values))
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_unary_on_0d_and_empty_tensors():
    check_op(torch.sin, microtorch.sin, [()])
    assert microtorch.cos(microtorch.zeros(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round_with_decimals(decimals):
    values = np.array([1.25, -2.5, 0.5, 1.5, 13.737, -0.051, 149.0])
    check_op(lambda x: torch.round(x, decimals=decimals), lambda x: microtorch.round(x, decimals=decimals),
             arrays=[values])


def test_round_decimals_must_be_an_int():
    with pytest.raises(TypeError, match="decimals"):
        microtorch.tensor([1.5]).round(1.5)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning", "ignore:divide by zero:RuntimeWarning")
def test_domain_edges_give_torchs_inf_and_nan():
    values = np.array([-1.0, 1.0, 0.0, 2.0])
    for name in ("asin", "atanh", "log", "rsqrt"):
        ours = microtorch.tensor(values, requires_grad=True)
        theirs = torch.tensor(values, requires_grad=True)
        getattr(ours, name)().sum().backward()
        getattr(theirs, name)().sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), err_msg=name)


BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (5,))]
BINARY = {"atan2": (-2, 2), "hypot": (-2, 2), "fmod": (0.5, 3), "remainder": (0.5, 3), "logaddexp": (-3, 3),
          "xlogy": (0.1, 3), "maximum": (-2, 2), "minimum": (-2, 2), "pow": (0.5, 2)}


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_function_and_method_match_torch(name, shapes):
    low, high = BINARY[name]
    if name == "remainder":  # torch has no gradient for remainder's divisor (ours: -floor(a / b), tested below)
        check_op(lambda a, b: torch.remainder(a, b.detach()), lambda a, b: microtorch.remainder(a, b.detach()),
                 shapes, low=low, high=high)
        return
    check_op(getattr(torch, name), getattr(microtorch, name), shapes, low=low, high=high)
    check_op(lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b), shapes, low=low, high=high)


def test_remainder_gradient_of_the_divisor_is_minus_floor_of_the_quotient():
    a, b = np.array([5.5, -5.5, 5.5, -5.5]), np.array([2.0, 2.0, -2.0, -2.0])
    divisor = microtorch.tensor(b, requires_grad=True)
    microtorch.remainder(microtorch.tensor(a), divisor).sum().backward()
    np.testing.assert_array_equal(divisor.grad.numpy(), -torch.floor(torch.tensor(a / b)).numpy())


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_fmod_and_remainder_signs_with_negative_operands(name):
    a, b = np.array([5.5, -5.5, 5.5, -5.5, 3.0]), np.array([2.0, 2.0, -2.0, -2.0, 1.5])
    check_op(lambda x, y: getattr(torch, name)(x, y.detach()), lambda x, y: getattr(microtorch, name)(x, y.detach()),
             arrays=[a, b])
    check_op(lambda x: getattr(torch, name)(x, 2.5), lambda x: getattr(microtorch, name)(x, 2.5), arrays=[a])
    check_op(lambda x: x % 2.5, lambda x: x % 2.5, arrays=[a])
    check_op(lambda x: 7.0 % x.detach() + x, lambda x: 7.0 % x.detach() + x, arrays=[b])


def test_integer_remainder_keeps_int_and_atan2_of_ints_is_float32():
    a, b = np.array([7, -7, 5]), np.array([3, 3, -2])
    assert microtorch.remainder(microtorch.tensor(a), microtorch.tensor(b)).tolist() == \
        torch.remainder(torch.tensor(a), torch.tensor(b)).tolist()
    assert microtorch.atan2(microtorch.tensor(a), microtorch.tensor(b)).dtype == np.float32


def test_xlogy_is_zero_where_x_is_zero():
    a, b = np.array([0.0, 0.0, 2.0, 1.5, 0.0]), np.array([0.0, 3.0, 4.0, 0.5, np.nan])
    check_op(torch.xlogy, microtorch.xlogy, arrays=[a, b])


def test_pow_forms():
    check_op(lambda x: torch.pow(x, 3), lambda x: microtorch.pow(x, 3), [(3, 4)])
    check_op(lambda x: x.pow(2.5), lambda x: x.pow(2.5), [(3, 4)], positive=True)
    check_op(lambda x: torch.pow(2, x), lambda x: microtorch.pow(2, x), [(3, 4)])
    check_op(lambda x: 3 ** x, lambda x: 3 ** x, [(3, 4)])
    with pytest.raises(TypeError, match="pow"):
        microtorch.pow(2, 3)


@pytest.mark.parametrize("weight", [0.25, "tensor", "broadcast"])
def test_lerp(weight):
    if weight == "tensor":
        check_op(torch.lerp, microtorch.lerp, [(3, 4), (3, 4), (3, 4)])
    elif weight == "broadcast":
        check_op(torch.lerp, microtorch.lerp, [(3, 4), (4,), (3, 1)])
    else:
        check_op(lambda a, b: torch.lerp(a, b, weight), lambda a, b: a.lerp(b, weight), [(3, 4), (1, 4)])


def test_lerp_errors():
    with pytest.raises(RuntimeError, match="lerp"):
        microtorch.ones(3).lerp(microtorch.ones(4), 0.5)
    with pytest.raises(TypeError, match="end"):
        microtorch.ones(3).lerp(1.0, 0.5)


@pytest.mark.parametrize("bounds", ["min", "max", "both", "crossed"])
def test_clamp_with_tensor_bounds(bounds):
    if bounds == "min":
        check_op(lambda x, lo: torch.clamp(x, min=lo), lambda x, lo: microtorch.clamp(x, min=lo), [(3, 4), (4,)])
    elif bounds == "max":
        check_op(lambda x, hi: x.clamp(max=hi), lambda x, hi: x.clamp(max=hi), [(3, 4), (3, 1)])
    else:
        rng = np.random.default_rng(3)
        x = rng.uniform(-2, 2, (3, 4))
        low = rng.uniform(-1, 0, (4,)) if bounds == "both" else rng.uniform(0, 1, (4,))
        high = rng.uniform(0, 1, (3, 1)) if bounds == "both" else rng.uniform(-1, 0, (3, 1))
        check_op(torch.clamp, microtorch.clamp, arrays=[x, low, high])


def test_clamp_errors_and_mixed_bounds():
    check_op(lambda x, hi: x.clamp(torch.tensor(-0.5, dtype=torch.float64), hi), lambda x, hi: x.clamp(-0.5, hi),
             [(3, 4), (4,)])
    with pytest.raises(RuntimeError, match="(?i)at least one of 'min' or 'max' must not be None"):
        microtorch.ones(3).clamp()
    with pytest.raises(RuntimeError, match="clamp"):
        microtorch.ones(3).clamp(min=microtorch.zeros(4))
    with pytest.raises(TypeError, match="min"):
        microtorch.ones(3).clamp(min="a")


def test_nan_to_num_values_and_gradient():
    values = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0])
    for kwargs in ({}, {"nan": 1.0, "posinf": 10.0, "neginf": -10.0}):
        check_op(lambda x: torch.nan_to_num(x, **kwargs), lambda x: microtorch.nan_to_num(x, **kwargs),
                 arrays=[values])


# ---------------------------------------------------------------- comparisons and logical ops

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_as_functions_and_methods(name):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
    x = microtorch.tensor(a, requires_grad=True)
    for out in (getattr(microtorch, name)(x, microtorch.tensor(b)), getattr(x, name)(microtorch.tensor(b)),
                getattr(x, name)(2.0)):
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_binary(name):
    a, b = np.array([0.0, 1.0, 2.0, 0.0]), np.array([[0], [3]])
    expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_array_equal(getattr(microtorch, name)(microtorch.tensor(a), microtorch.tensor(b)).numpy(),
                                  expected)
    np.testing.assert_array_equal(getattr(microtorch.tensor(a), name)(microtorch.tensor(b)).numpy(), expected)


def test_logical_not_and_bitwise_operators_on_masks():
    a = np.array([0.0, 1.0, -2.0])
    np.testing.assert_array_equal(microtorch.logical_not(microtorch.tensor(a)).numpy(),
                                  torch.logical_not(torch.tensor(a)).numpy())
    x, t = microtorch.tensor([-1.0, 0.5, 2.0]), torch.tensor([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(((x > 0) & (x < 1)).numpy(), ((t > 0) & (t < 1)).numpy())
    np.testing.assert_array_equal(((x > 0) | (x < -0.5)).numpy(), ((t > 0) | (t < -0.5)).numpy())
    np.testing.assert_array_equal(((x > 0) ^ (x > 1)).numpy(), ((t > 0) ^ (t > 1)).numpy())
    np.testing.assert_array_equal((~(x > 0)).numpy(), (~(t > 0)).numpy())
    with pytest.raises(TypeError, match="bool and integer"):
        x & x
    with pytest.raises(RuntimeError, match="broadcast"):
        (x > 0) & microtorch.tensor([True, False])


def test_isnan_isinf_isfinite():
    values = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0])
    for name in ("isnan", "isinf", "isfinite"):
        out = getattr(microtorch, name)(microtorch.tensor(values))
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), getattr(torch, name)(torch.tensor(values)).numpy())


def test_where_three_forms():
    rng = np.random.default_rng(0)
    cond = rng.uniform(size=(3, 4)) > 0.5
    check_op(lambda a, b: torch.where(torch.tensor(cond), a, b),
             lambda a, b: microtorch.where(microtorch.tensor(cond), a, b), [(3, 4), (4,)])
    check_op(lambda a: torch.where(torch.tensor(cond), a, 0.0),
             lambda a: microtorch.where(microtorch.tensor(cond), a, 0.0), [(3, 4)])
    ours, theirs = microtorch.where(microtorch.tensor(cond)), torch.where(torch.tensor(cond))
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 2
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == np.int64
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())
    with pytest.raises(TypeError, match="both input and other"):
        microtorch.where(microtorch.tensor(cond), microtorch.ones(3, 4))


def test_functions_refuse_non_tensors():
    with pytest.raises(TypeError, match="sin: expected a Tensor"):
        microtorch.sin(1.0)


# ---------------------------------------------------------------- arithmetic by name

@pytest.mark.parametrize("name, kwargs", [("add", {}), ("add", {"alpha": 2.5}), ("sub", {}), ("sub", {"alpha": -2}),
                                          ("subtract", {}), ("rsub", {}), ("rsub", {"alpha": 3}), ("mul", {}),
                                          ("multiply", {}), ("div", {}), ("divide", {}), ("true_divide", {})])
def test_named_arithmetic(name, kwargs):
    check_op(lambda a, b: getattr(torch, name)(a, b, **kwargs), lambda a, b: getattr(microtorch, name)(a, b, **kwargs),
             [(3, 4), (4,)], positive=True)
    if name != "rsub":  # torch has no Tensor.rsub (ours is there for symmetry)
        check_op(lambda a: getattr(a, name)(1.5, **kwargs), lambda a: getattr(a, name)(1.5, **kwargs), [(3, 4)])


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_modes_and_floor_divide(mode):
    a, b = np.array([7.5, -7.5, 3.0, -3.0]), np.array([2.0, 2.0, -2.0, 4.0])
    check_op(lambda x, y: torch.div(x, y, rounding_mode=mode), lambda x, y: microtorch.div(x, y, rounding_mode=mode),
             arrays=[a, b], grad=False)  # torch: no gradient; ours: 0, as for floor
    ints = np.array([7, -7, 3, -3])
    for divisor in (2, np.array([2, 2, -2, 4])):
        ours = microtorch.tensor(ints).div(microtorch.tensor(divisor) if np.ndim(divisor) else divisor,
                                           rounding_mode=mode)
        theirs = torch.tensor(ints).div(torch.tensor(divisor) if np.ndim(divisor) else divisor, rounding_mode=mode)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()
    assert (microtorch.tensor(ints) // 2).tolist() == (torch.tensor(ints) // 2).tolist()
    assert (7 // microtorch.tensor([2, -2])).tolist() == (7 // torch.tensor([2, -2])).tolist()
    check_op(lambda x: x // 0.7, lambda x: x // 0.7, [(3,)], grad=False)  # torch has no floor_divide gradient
    x = microtorch.tensor([1.5, -2.5], requires_grad=True)
    (x // 0.7).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="rounding_mode"):
        microtorch.ones(2).div(2, rounding_mode="round")


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv(name):
    check_op(lambda a, b, c: getattr(torch, name)(a, b, c, value=0.5),
             lambda a, b, c: getattr(microtorch, name)(a, b, c, value=0.5), [(3, 4), (4,), (3, 1)], positive=True)


def test_clamp_min_max_and_absolute():
    check_op(lambda x: torch.clamp_min(x, 0.3), lambda x: microtorch.clamp_min(x, 0.3), [(3, 4)])
    check_op(lambda x: x.clamp_max(-0.2), lambda x: x.clamp_max(-0.2), [(3, 4)])
    check_op(lambda x: x.absolute(), lambda x: x.absolute(), [(3, 4)])


@pytest.mark.parametrize("eps", [None, 0.2])
def test_logit(eps):
    check_op(lambda x: torch.logit(x, eps), lambda x: microtorch.logit(x, eps), [(3, 4)], low=0.05, high=0.95)
