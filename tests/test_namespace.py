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


def test_set_num_threads_sets_numpys_blas_threads_and_get_num_threads_reads_them():
    from threadpoolctl import threadpool_info
    before = microtorch.get_num_threads()
    try:
        microtorch.set_num_threads(1)
        assert microtorch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
        a = microtorch.randn(64, 64, dtype=microtorch.float64)
        np.testing.assert_allclose((a @ a).numpy(), a.numpy() @ a.numpy())
    finally:
        microtorch.set_num_threads(before)
    assert microtorch.get_num_threads() == before


@pytest.mark.parametrize("bad, message", [(0, "positive integer"), (-2, "positive integer"),
                                          (1.5, "expects an int, but got float"),
                                          (True, "expects an int, but got bool")])
def test_set_num_threads_refuses_what_torch_refuses(bad, message):
    before = microtorch.get_num_threads()
    with pytest.raises(RuntimeError, match=message):
        torch.set_num_threads(bad)
    with pytest.raises(RuntimeError, match=message):
        microtorch.set_num_threads(bad)
    assert microtorch.get_num_threads() == before   # nothing changed
