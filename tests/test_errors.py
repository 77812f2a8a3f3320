"""Bad input gets a clear error that names the op, the problem and the shapes or dtypes,
raised before anything is changed."""
import re

import numpy as np
import pytest

import microtorch as mt
from microtorch.nn import functional as F
from helpers import assert_unchanged, small_model, snapshot


def shapes(*shapes):
    """A regex that matches the given shapes in order, as Python prints them."""
    return ".*".join(re.escape(str(tuple(s))) for s in shapes)


@pytest.fixture
def a():
    return mt.randn(2, 3, requires_grad=True)


# ---------------------------------------------------------------- shapes

@pytest.mark.parametrize("op, name", [
    (lambda x, y: x + y, "add"), (lambda x, y: x - y, "sub"), (lambda x, y: x * y, "mul"),
    (lambda x, y: x / y, "div"), (lambda x, y: x ** y, "pow"),
])
def test_broadcast_mismatch_names_op_and_shapes(op, name):
    x, y = mt.randn(2, 3), mt.randn(4, 5)
    with pytest.raises(RuntimeError, match=rf"{name}.*broadcast.*{shapes((2, 3), (4, 5))}|"
                                           rf"{name}.*{shapes((2, 3), (4, 5))}.*broadcast"):
        op(x, y)
    with pytest.raises(RuntimeError, match=rf"{name}.*{shapes((4, 5), (2, 3))}"):
        op(np.ones((4, 5), dtype=np.float32), x)  # the reflected form, with a numpy array on the left


def test_matmul_inner_dimension_mismatch():
    with pytest.raises(RuntimeError, match=rf"matmul.*{shapes((2, 3), (4, 5))}.*multiplied"):
        mt.randn(2, 3) @ mt.randn(4, 5)
    with pytest.raises(RuntimeError, match=rf"matmul.*{shapes((3,), (2,))}"):
        mt.randn(3) @ mt.randn(2)


def test_matmul_batch_and_scalar_operands():
    with pytest.raises(RuntimeError, match=rf"matmul.*batch.*{shapes((2, 2, 3), (3, 3, 4))}"):
        mt.randn(2, 2, 3) @ mt.randn(3, 3, 4)
    with pytest.raises(RuntimeError, match=rf"matmul.*at least 1 dimension.*{shapes((2, 3), ())}"):
        mt.randn(2, 3) @ mt.tensor(2.0)


@pytest.mark.parametrize("new_shape", [(4, 2), (7,), (-1, 4), (-1, -1), (-2, -3)])
def test_reshape_to_incompatible_size(new_shape):
    x = mt.randn(2, 3)
    with pytest.raises(RuntimeError, match=rf"reshape.*{re.escape(str(new_shape))}.*\(2, 3\)|"
                                           rf"reshape.*one dimension can be inferred.*{re.escape(str(new_shape))}"):
        x.reshape(*new_shape)
    with pytest.raises(RuntimeError, match="reshape"):
        x.view(new_shape)


def test_cat_of_mismatched_shapes():
    with pytest.raises(RuntimeError, match=rf"cat.*except in dimension 0.*{shapes((2, 3), (4, 5))}"):
        mt.cat([mt.randn(2, 3), mt.randn(4, 5)])
    with pytest.raises(RuntimeError, match=rf"cat.*{shapes((2, 3), (3,))}"):
        mt.cat([mt.randn(2, 3), mt.randn(3)])
    with pytest.raises(RuntimeError, match="cat: expected a non-empty list"):
        mt.cat([])


def test_stack_of_mismatched_shapes():
    with pytest.raises(RuntimeError, match=rf"stack.*equal size.*{shapes((2, 3), (2, 4))}"):
        mt.stack([mt.randn(2, 3), mt.randn(2, 4)])


@pytest.mark.parametrize("call, op", [
    (lambda x: x.sum(2), "sum"), (lambda x: x.mean(-3), "mean"), (lambda x: x.max(5), "max"),
    (lambda x: x.softmax(2), "softmax"), (lambda x: x.transpose(0, 3), "transpose"),
    (lambda x: x.permute(0, 5), "permute"), (lambda x: mt.cat([x, x], dim=2), "cat"),
    (lambda x: mt.stack([x, x], dim=4), "stack"), (lambda x: x.split(1, dim=2), "split"),
    (lambda x: x.size(2), "size"), (lambda x: x.sum((0, 2)), "sum"),
])
def test_out_of_range_dim(call, op):
    x = mt.randn(2, 3, requires_grad=True)
    with pytest.raises(IndexError, match=rf"{op}: dim -?\d+ is out of range for a tensor with \d dimension"):
        call(x)


def test_dim_of_the_wrong_type_and_repeated_dims():
    x = mt.randn(2, 3)
    with pytest.raises(TypeError, match="sum: dim must be an int.*float"):
        x.sum(1.0)
    with pytest.raises(RuntimeError, match=r"sum: dim \(1, -1\) names a dimension twice"):
        x.sum((1, -1))
    with pytest.raises(RuntimeError, match=r"permute: dims \(0, 0\) are not a permutation of the 2 dimensions"):
        x.permute(0, 0)


@pytest.mark.parametrize("index, message", [
    (5, r"index 5 is out of bounds for axis 0 with size 2"),
    ((1, 7), r"index 7 is out of bounds for axis 1 with size 3"),
    ((slice(None), -4), r"index -4 is out of bounds for axis 1 with size 3"),
    ([0, 9], r"index 9 is out of bounds for axis 0 with size 2"),
    ((0, 0, 0), r"too many indices"),
])
def test_index_out_of_bounds(a, index, message):
    with pytest.raises(IndexError, match=rf"getitem: {message}.*\(tensor shape \(2, 3\)\)"):
        a[index]
    with pytest.raises(IndexError, match=rf"getitem: {message}"):
        a[mt.tensor(index)] if isinstance(index, list) else a[index]


def test_setitem_errors_leave_the_tensor_unchanged():
    x = mt.randn(2, 3)
    before = x.numpy().copy()
    with pytest.raises(IndexError, match=r"setitem: index 5 is out of bounds.*\(tensor shape \(2, 3\)\)"):
        x[5] = 1.0
    with pytest.raises(RuntimeError, match=rf"setitem: value of shape \(4,\) cannot be assigned.*\(3,\)"):
        x[0] = np.ones(4)
    with pytest.raises(TypeError, match="setitem: unsupported value type str"):
        x[0] = "abc"
    np.testing.assert_array_equal(x.numpy(), before)
    assert x._version == 0


def test_setitem_on_a_leaf_that_requires_grad(a):
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        a[0] = 1.0
    with mt.no_grad():
        a[0] = 1.0  # the documented way
    np.testing.assert_array_equal(a.numpy()[0], 1.0)


# ---------------------------------------------------------------- in-place methods

@pytest.mark.parametrize("method", ["add_", "sub_", "mul_", "div_", "copy_"])
def test_in_place_shape_mismatch_changes_nothing(method):
    x = mt.randn(2, 3)
    before = x.numpy().copy()
    with pytest.raises(RuntimeError, match=r"shapes \(2, 3\) and \(4, 5\) cannot be broadcast"):
        getattr(x, method)(mt.ones(4, 5))
    with pytest.raises(RuntimeError, match=rf"{method}: output with shape \[2, 3\] doesn't match the broadcast shape "
                                           r"\[3, 2, 3\]"):
        getattr(x, method)(np.ones((3, 2, 3)))  # would broadcast, but to a bigger shape (torch's message)
    with pytest.raises(TypeError, match=r"unsupported operand type str"):
        getattr(x, method)("abc")
    np.testing.assert_array_equal(x.numpy(), before)
    assert x._version == 0


def test_in_place_int_tensor_refuses_a_float_result():
    x = mt.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="add_: result type Float can't be cast to the desired output type Long"):
        x.add_(0.5)
    with pytest.raises(RuntimeError, match="div_: result type Float can't be cast to the desired output type Long"):
        x.div_(2)
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3])
    x.add_(2).mul_(3)
    np.testing.assert_array_equal(x.numpy(), [9, 12, 15])
    x.fill_(0.5)  # fill_ and copy_ cast, as in PyTorch
    np.testing.assert_array_equal(x.numpy(), [0, 0, 0])


def test_in_place_on_a_tensor_that_requires_grad(a):
    for method in ("add_", "mul_", "zero_"):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
            getattr(a, method)(*(() if method == "zero_" else (1.0,)))


# ---------------------------------------------------------------- loss targets

def test_cross_entropy_target_out_of_range():
    logits = mt.randn(2, 3, requires_grad=True)
    with pytest.raises(IndexError, match=r"cross_entropy: target 3 is out of bounds for 3 classes.*\(2, 3\)"):
        F.cross_entropy(logits, mt.tensor([0, 3]))
    with pytest.raises(IndexError, match=r"cross_entropy: target -1 is out of bounds for 3 classes"):
        F.cross_entropy(logits, mt.tensor([-1, 0]))
    assert logits.grad is None and logits.grad_fn is None


def test_cross_entropy_float_targets():
    logits = mt.randn(4, 3)
    # torch's exception type (RuntimeError) and wording, then what the targets should be
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected target dtype to be Long or Byte, but got "
                                           r"float32: targets must be integer class indices"):
        F.cross_entropy(logits, mt.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"cross_entropy: .*but got <U"):
        F.cross_entropy(logits, np.array(["a", "b", "c", "d"]))


def test_cross_entropy_wrong_batch_size():
    with pytest.raises(ValueError, match=r"cross_entropy: expected input batch_size \(2\) to match target batch_size "
                                         r"\(3\); expected targets of shape \(2,\).*\(2, 3\).*\(3,\)"):
        F.cross_entropy(mt.randn(2, 3), mt.tensor([0, 1, 2]))


def test_mse_loss_shapes_that_cannot_broadcast():
    with pytest.raises(RuntimeError, match=rf"mse_loss: input shape \(2, 3\) and target shape \(4, 5\) "
                                           "cannot be broadcast"):
        F.mse_loss(mt.randn(2, 3), mt.randn(4, 5))
    with pytest.raises(RuntimeError, match=rf"mse_loss: .*\(2, 3\).*\(2,\)"):
        F.mse_loss(mt.randn(2, 3), [1.0, 2.0])
    F.mse_loss(mt.randn(2, 3), mt.randn(3))  # broadcasting targets are allowed, as in PyTorch


def test_loss_reduction_must_be_known():
    with pytest.raises(ValueError, match=r"mse_loss: reduction must be one of .*'avg'"):
        F.mse_loss(mt.randn(2), mt.randn(2), reduction="avg")


# ---------------------------------------------------------------- backward misuse

def test_backward_on_a_non_scalar_needs_a_gradient(a):
    y = a * 2
    with pytest.raises(RuntimeError, match=r"backward: grad can be implicitly created only for scalar outputs.*"
                                           r"\(2, 3\)"):
        y.backward()
    assert a.grad is None
    y.backward(mt.ones(2, 3))  # PyTorch's rule: fine with an explicit gradient
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 3), 2.0))
    mt.randn(1, 1, requires_grad=True).sum().backward()  # one element, any shape, is a scalar


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match=r"backward: the tensor \(shape \(3,\), dtype microtorch.float32\) does not "
                                           "require grad"):
        mt.randn(3).backward(mt.ones(3))
    x = mt.randn(3, requires_grad=True)
    with mt.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad.*no_grad"):
        y.backward()


@pytest.mark.parametrize("gradient", [mt.ones(3, 2), np.ones(6), [1.0, 2.0], 1.0])
def test_backward_gradient_of_the_wrong_shape(a, gradient):
    y = a * 2
    wrong = np.shape(gradient.numpy() if isinstance(gradient, mt.Tensor) else gradient)
    with pytest.raises(RuntimeError, match=rf"backward: gradient has shape {re.escape(str(wrong))}, "
                                           r"but the tensor has shape \(2, 3\)"):
        y.backward(gradient)
    assert a.grad is None
    y.backward(mt.ones(2, 3))  # the graph is intact after the refused call


def test_backward_gradient_of_the_wrong_type(a):
    with pytest.raises(TypeError, match=r"backward: gradient must be a Tensor.*\(2, 3\).*str"):
        (a * 2).backward("abc")


# ---------------------------------------------------------------- optimizers

@pytest.mark.parametrize("optimizer", [mt.SGD, mt.Adam])
def test_optimizer_without_parameters(optimizer):
    name = optimizer.__name__
    with pytest.raises(ValueError, match=f"{name} got an empty parameter list"):
        optimizer([])
    with pytest.raises(ValueError, match=f"{name} got an empty parameter list"):
        optimizer(p for p in [])
    with pytest.raises(ValueError, match=f"{name} got an empty parameter list"):
        optimizer(mt.Sequential().parameters())


@pytest.mark.parametrize("optimizer", [mt.SGD, mt.Adam])
def test_optimizer_given_something_that_is_not_a_tensor(optimizer):
    name = optimizer.__name__
    p = mt.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match=f"{name} can only optimize Tensors.*ndarray"):
        optimizer([p, np.ones(3)])
    with pytest.raises(TypeError, match=f"{name} can only optimize Tensors.*str"):
        optimizer([{"params": [p, "weight"]}])
    with pytest.raises(TypeError, match=f"{name}: params must be an iterable.*got int"):
        optimizer(5)
    with pytest.raises(TypeError, match=f"{name}: params must be an iterable.*got NoneType"):
        optimizer(None)
    with pytest.raises(TypeError, match=f"{name}: params must be an iterable.*single Tensor"):
        optimizer(p)
    with pytest.raises(ValueError, match=rf"{name}: can't optimize a tensor that does not require grad.*\(3,\)"):
        optimizer([mt.randn(3)])


# ---------------------------------------------------------------- load_state_dict

def test_load_state_dict_missing_keys():
    model = small_model()
    before = snapshot(model)
    state = small_model().state_dict()
    del state["2.bias"]
    with pytest.raises(RuntimeError, match=r"Error\(s\) in loading state_dict for Sequential:\n\tMissing key\(s\) in "
                                           r'state_dict: "2.bias"\. (.|\n)*not changed'):
        model.load_state_dict(state)
    assert_unchanged(model, before)
    model.load_state_dict(state, strict=False)  # strict=False loads the rest
    np.testing.assert_array_equal(model.parameters()[0].numpy(), state["0.weight"])


def test_load_state_dict_unexpected_keys():
    model = small_model()
    before = snapshot(model)
    state = small_model().state_dict()
    state["3.weight"] = np.ones((2, 2), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "3.weight"'):
        model.load_state_dict(state)
    assert_unchanged(model, before)


def test_load_state_dict_wrong_shapes():
    model = small_model()
    before = snapshot(model)
    state = mt.Sequential(mt.Linear(3, 4), mt.ReLU(), mt.Linear(4, 3)).state_dict()
    with pytest.raises(RuntimeError, match=r"size mismatch for 2.weight: copying a param with shape \(3, 4\) from "
                                           r"checkpoint, the shape in current model is \(2, 4\)\.\n\tsize mismatch for "
                                           "2.bias"):
        model.load_state_dict(state)
    assert_unchanged(model, before)


def test_load_state_dict_non_numeric_entry_changes_nothing():
    # Entries are converted before any is assigned, so a late bad entry cannot leave a half-loaded model.
    model = small_model()
    before = snapshot(model)
    state = small_model().state_dict()
    state["2.bias"] = np.array(["a", "b"])
    with pytest.raises(RuntimeError, match=r"dtype mismatch for 2.bias: checkpoint dtype <U1"):
        model.load_state_dict(state)
    assert_unchanged(model, before)


# ---------------------------------------------------------------- unsupported Python types

@pytest.mark.parametrize("data", ["abc", b"abc", None, {"a": 1}, {1, 2}, object()])
def test_tensor_of_an_unsupported_type(data):
    with pytest.raises(TypeError, match=rf"tensor\(\): expected a number, a \(nested\) list.*"
                                        rf"got {type(data).__name__}"):
        mt.tensor(data)


@pytest.mark.parametrize("data", [[object()], ["a", "b"], [1, None]])
def test_tensor_of_a_list_of_unsupported_values(data):
    with pytest.raises(TypeError, match=r"tensor\(\): could not build a numeric tensor from list"):
        mt.tensor(data)


def test_tensor_of_a_ragged_list():
    with pytest.raises(ValueError, match=r"tensor\(\): could not build a tensor from list \[\[1, 2\], \[3\]\].*"
                                         "inhomogeneous"):
        mt.tensor([[1, 2], [3]])


@pytest.mark.parametrize("array", [np.array(["a"]), np.array([1, None]), np.array([b"x"])])
def test_tensor_of_a_non_numeric_array(array):
    with pytest.raises(TypeError, match=rf"tensor\(\): numpy arrays of dtype {re.escape(str(array.dtype))} "
                                        rf"\(shape \(\d,\)\) are not supported"):
        mt.tensor(array)


def test_tensor_of_an_unknown_dtype():
    with pytest.raises(TypeError, match="unsupported dtype 'float33'"):
        mt.tensor([1.0], dtype="float33")


@pytest.mark.parametrize("other", ["abc", None, [1.0, 2.0, 3.0], {}, 1j, object()])
@pytest.mark.parametrize("op, name", [
    (lambda x, y: x + y, "add"), (lambda x, y: y + x, "add"), (lambda x, y: x * y, "mul"),
    (lambda x, y: x - y, "sub"), (lambda x, y: x / y, "div"), (lambda x, y: x ** y, "pow"),
    (lambda x, y: x @ y, "matmul"),
])
def test_op_with_an_unsupported_operand(op, name, other):
    x = mt.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match=rf"{name}: unsupported operand type {type(other).__name__}"):
        op(x, other)


@pytest.mark.parametrize("call, op", [
    (lambda: F.relu([1.0, -1.0]), "relu"), (lambda: F.sigmoid(np.ones(2)), "sigmoid"),
    (lambda: F.tanh(1.0), "tanh"), (lambda: F.softmax([1.0]), "softmax"),
    (lambda: F.mse_loss([1.0], mt.ones(1)), "mse_loss"), (lambda: F.cross_entropy(np.ones((2, 3)), [0, 1]),
                                                           "cross_entropy"),
    (lambda: F.linear([[1.0]], mt.ones(1, 1)), "linear"),
])
def test_functional_op_given_a_non_tensor(call, op):
    with pytest.raises(TypeError, match=rf"{op}: expected a Tensor as input, got"):
        call()


@pytest.mark.parametrize("target", ["ab", None, [[1.0, 2.0], [3.0]], {"a": 1}])
def test_mse_loss_target_of_an_unsupported_type(target):
    with pytest.raises(TypeError, match=rf"mse_loss: target must be a Tensor, a numpy array or numbers, got "
                                        rf"{type(target).__name__}"):
        F.mse_loss(mt.randn(2, requires_grad=True), target)


def test_cat_and_stack_of_non_tensors():
    with pytest.raises(TypeError, match="cat: expected a list of Tensors, got an element of type ndarray"):
        mt.cat([mt.ones(2), np.ones(2)])
    with pytest.raises(TypeError, match="stack: expected a list of Tensors, got an element of type list"):
        mt.stack([mt.ones(2), [1.0, 2.0]])


def test_requires_grad_on_an_integer_tensor():
    with pytest.raises(RuntimeError, match="requires_grad: only floating point tensors can require gradients, "
                                           "got dtype int64"):
        mt.tensor([1, 2], requires_grad=True)


def test_custom_function_errors_name_the_op_and_input_shapes():
    class Broken(mt.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y  # numpy's own broadcast error

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match=rf"Broken: operands could not be broadcast.*\(inputs: \(2, 3\) "
                                           rf"float32, \(4,\) float32\)"):
        Broken.apply(mt.randn(2, 3), mt.randn(4))


def test_custom_function_returning_too_few_gradients():
    class OneGradient(mt.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    x = mt.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"OneGradient.backward returned 1 gradients, expected one per forward "
                                           r"input \(2\)"):
        OneGradient.apply(x, x).sum().backward()


def test_errors_leave_no_partial_graph_or_gradient(a):
    # A failing op records nothing: the next backward sees only the successful ops.
    y = (a * 3).sum()
    for bad in (lambda: a + mt.ones(4), lambda: a @ mt.ones(2), lambda: a.reshape(5), lambda: a[7]):
        with pytest.raises((RuntimeError, IndexError)):
            bad()
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 3), 3.0))
