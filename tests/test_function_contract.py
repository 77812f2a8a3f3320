"""A custom Function's forward and backward are checked as PyTorch checks them, with its messages:
one output, one gradient per input, gradient shapes the input broadcasts to, real dtypes, no
writes into the inputs, and ctx.saved_tensors == () when nothing was saved."""
import numpy as np
import pytest
import torch

import microtorch as mt


def function(forward, backward):
    """A Function subclass named Probe with the given static forward and backward."""
    return type("Probe", (mt.Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})


def leaf(*shape):
    return mt.tensor(np.ones(shape), requires_grad=True)


# ---------------------------------------------------------------- forward's result

@pytest.mark.parametrize("result, kind", [(None, "None"), ((1.0, 2.0), "a tuple of 2"), ([np.ones(3)], "a list of 1")])
def test_forward_must_return_one_array(result, kind):
    probe = function(lambda ctx, x: result, lambda ctx, grad: grad)
    with pytest.raises(TypeError, match=rf"Probe.forward returned {kind}"):
        probe.apply(leaf(3))


def test_forward_may_return_a_number_or_a_tensor():
    number = function(lambda ctx, x: 2.5, lambda ctx, grad: grad * np.ones(3))
    assert number.apply(leaf(3)).item() == 2.5
    tensor = function(lambda ctx, x: mt.tensor(x * 2), lambda ctx, grad: grad * 2)
    x = leaf(3)
    tensor.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("write", [
    lambda x: x.__iadd__(1), lambda x: x.__setitem__(0, 5.0), lambda x: np.exp(x, out=x)],
    ids=["+=", "setitem", "out="])
def test_forward_that_writes_into_its_input_is_refused(write):
    def forward(ctx, x):
        write(x)
        return x * 2

    x = leaf(3)
    with pytest.raises(RuntimeError, match="Probe.forward modified one of its input arrays in place"):
        function(forward, lambda ctx, grad: grad * 2).apply(x)
    np.testing.assert_array_equal(x.numpy(), np.ones(3))   # nothing written
    x.numpy()[0] = 7.0   # writeable again afterwards
    assert x.numpy()[0] == 7.0


def test_forward_inputs_are_writeable_again_after_a_successful_call():
    x = leaf(3)
    function(lambda ctx, x: x * 2, lambda ctx, grad: grad * 2).apply(x, )
    assert x.numpy().flags.writeable


def test_an_input_that_was_read_only_stays_read_only():
    x = leaf(3)
    x.numpy().flags.writeable = False
    function(lambda ctx, x: x * 2, lambda ctx, grad: grad * 2).apply(x)
    assert not x.numpy().flags.writeable


def test_complex_results_are_refused():
    probe = function(lambda ctx, x: x * 1j, lambda ctx, grad: grad)
    with pytest.raises(TypeError, match="Probe: the result has complex dtype complex128, and microtorch tensors are real"):
        probe.apply(leaf(3))


# ---------------------------------------------------------------- backward's result

def test_backward_returning_too_few_gradients():
    probe = function(lambda ctx, x, y: x * y, lambda ctx, grad: grad)
    with pytest.raises(RuntimeError, match=r"function ProbeBackward returned an incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        probe.apply(leaf(3), leaf(3)).sum().backward()


def test_backward_returning_too_many_gradients():
    probe = function(lambda ctx, x: x * 2, lambda ctx, grad: (grad, grad))
    with pytest.raises(RuntimeError, match=r"function ProbeBackward returned an incorrect number of gradients "
                                           r"\(expected 1, got 2\)"):
        probe.apply(leaf(3)).sum().backward()


def test_extra_trailing_nones_are_allowed_as_in_torch():
    x = leaf(3)
    function(lambda ctx, x: x * 2, lambda ctx, grad: (grad * 2, None, None)).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("shape, grad_shape", [((3,), (2,)), ((3,), ()), ((2, 3), (3,)), ((2, 3), (3, 2))])
def test_backward_returning_a_gradient_of_a_wrong_shape(shape, grad_shape):
    probe = function(lambda ctx, x: x * 2, lambda ctx, grad: np.ones(grad_shape))
    message = f"Function ProbeBackward returned an invalid gradient at index 0 - got {list(grad_shape)} " \
              f"but expected shape compatible with {list(shape)}"
    with pytest.raises(RuntimeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        probe.apply(leaf(*shape)).sum().backward()
    # torch says the same
    torch_probe = type("Probe", (torch.autograd.Function,), {
        "forward": staticmethod(lambda ctx, x: x * 2),
        "backward": staticmethod(lambda ctx, grad: torch.ones(grad_shape, dtype=torch.float64))})
    with pytest.raises(RuntimeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        torch_probe.apply(torch.ones(shape, dtype=torch.float64, requires_grad=True)).sum().backward()


def test_a_gradient_with_more_dims_is_summed_back_as_in_torch():
    x = leaf(3)
    function(lambda ctx, x: x * 2, lambda ctx, grad: np.ones((2, 3))).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_a_wrong_shape_into_an_intermediate_node_names_the_function():
    probe = function(lambda ctx, x: x * 2, lambda ctx, grad: np.ones(2))
    with pytest.raises(RuntimeError, match="ProbeBackward returned an invalid gradient at index 0"):
        probe.apply(leaf(3) * 3).sum().backward()


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
def test_real_gradients_are_cast_to_the_input_dtype_as_in_torch(dtype):
    x = mt.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    function(lambda ctx, x: x * 2, lambda ctx, grad: np.ones(3, dtype=dtype)).apply(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("gradient", [np.ones(3, dtype=np.complex128), np.array(["a", "b", "c"])],
                         ids=["complex", "str"])
def test_a_gradient_of_a_non_real_dtype_is_refused(gradient):
    probe = function(lambda ctx, x: x * 2, lambda ctx, grad: gradient)
    with pytest.raises(RuntimeError, match=r"ProbeBackward returned an invalid gradient at index 0 - expected a real "
                                           r"gradient of dtype float64 but got dtype"):
        probe.apply(leaf(3)).sum().backward()


def test_backward_may_return_a_tensor():
    x = leaf(3)
    function(lambda ctx, x: x * 2, lambda ctx, grad: mt.tensor(grad * 2)).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


# ---------------------------------------------------------------- ctx

def test_saved_tensors_is_an_empty_tuple_when_nothing_was_saved():
    seen = []

    def backward(ctx, grad):
        seen.append(ctx.saved_tensors)
        return grad * 2

    function(lambda ctx, x: x * 2, backward).apply(leaf(3)).sum().backward()
    assert seen == [()]
