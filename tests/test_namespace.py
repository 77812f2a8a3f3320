"""Names a PyTorch program reaches for in the torch namespace, checked against torch."""
import numpy as np
import pytest
import torch

import microtorch


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "relu"])
def test_elementwise_functions_match_torch_forward_and_gradient(name):
    values = np.array([[0.3, 1.7, -0.4], [2.2, -1.1, 0.9]])
    if name == "log":
        values = np.abs(values)
    ours = microtorch.tensor(values, dtype=microtorch.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out, expected = getattr(microtorch, name)(ours), getattr(torch, name)(theirs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, numpy_dtype", [("float", np.float32), ("double", np.float64), ("half", np.float16),
                                               ("long", np.int64), ("int", np.int32), ("short", np.int16),
                                               ("bool", np.bool_), ("uint8", np.uint8), ("float16", np.float16)])
def test_dtype_names_are_torchs(name, numpy_dtype):
    assert microtorch.zeros(2, dtype=getattr(microtorch, name)).dtype == numpy_dtype
    assert getattr(torch, name).itemsize == np.dtype(numpy_dtype).itemsize
