"""Complex dtypes are refused everywhere a tensor is made (microtorch's gradients are real; torch's
complex gradients follow the conjugate Wirtinger convention); np.matrix becomes a plain ndarray,
as torch.tensor makes it; masked arrays are refused rather than silently unmasked."""
import numpy as np
import pytest
import torch

import microtorch as mt

COMPLEX = "complex dtype complex(64|128) is not supported; microtorch tensors are real"


@pytest.mark.parametrize("make", [
    lambda: mt.tensor([1 + 2j, 3.0]),
    lambda: mt.tensor(np.ones(3, dtype=np.complex64)),
    lambda: mt.tensor(np.ones(3), dtype=np.complex128),
    lambda: mt.zeros(2, dtype=np.complex64),
    lambda: mt.ones(2, dtype="complex128"),
    lambda: mt.full((2,), 1.0, dtype=np.complex128),
], ids=["list", "array", "dtype=", "zeros", "ones", "full"])
def test_complex_tensors_are_refused_at_creation(make):
    with pytest.raises(TypeError, match=COMPLEX):
        make()


def test_complex_operands_are_refused_in_ops():
    x = mt.ones(3, requires_grad=True)
    with pytest.raises(TypeError):
        x * 1j
    with pytest.raises(TypeError, match=COMPLEX):
        x.to(np.complex64) if hasattr(x, "to") else mt.tensor(x, dtype=np.complex64)


def test_a_complex_result_of_an_op_is_refused():
    class ToComplex(mt.Function):
        @staticmethod
        def forward(ctx, x):
            return x.astype(np.complex128)

        @staticmethod
        def backward(ctx, grad):
            return grad.real

    with pytest.raises(TypeError, match="ToComplex: the result has complex dtype complex128"):
        ToComplex.apply(mt.ones(2, requires_grad=True))


def test_np_matrix_becomes_a_plain_array_as_in_torch():
    data = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    x = mt.tensor(data, requires_grad=True)
    reference = torch.tensor(data, requires_grad=True)
    assert type(x.numpy()) is np.ndarray
    assert x.shape == tuple(reference.shape)
    # a matrix would make * a matrix product and sum(1) keep two dims
    (x * x).sum(1).sum().backward()
    (reference * reference).sum(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), reference.grad.numpy())


def test_np_matrix_as_an_operand_is_elementwise():
    x = mt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * np.matrix([[1.0, 0.0], [0.0, 1.0]])
    assert type(y.numpy()) is np.ndarray
    np.testing.assert_array_equal(y.numpy(), [[1.0, 0.0], [0.0, 4.0]])


@pytest.mark.parametrize("use", [lambda m: mt.tensor(m), lambda m: mt.ones(3) + m], ids=["tensor", "operand"])
def test_masked_arrays_are_refused(use):
    masked = np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(TypeError, match=r"masked arrays are not supported \(the mask would be lost\); pass "
                                        r"array.filled\(value\)"):
        use(masked)


def test_a_filled_masked_array_is_accepted():
    masked = np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False])
    np.testing.assert_array_equal(mt.tensor(masked.filled(0.0)).numpy(), [1.0, 0.0, 3.0])
