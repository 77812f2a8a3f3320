"""repr, str and format of tensors, as torch prints them (the dtype as microtorch.<name>)."""
import numpy as np
import pytest
import torch

import microtorch

CASES = [
    lambda lib: lib.tensor([1.0, 2.0]), lambda lib: lib.tensor([1.5, 2.25], requires_grad=True),
    lambda lib: lib.tensor(3.0), lambda lib: lib.tensor(3), lambda lib: lib.tensor(-0.5), lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([[1.0, 2.5], [3, 4]], dtype=lib.float64), lambda lib: lib.tensor([1e-5, 1.0]),
    lambda lib: lib.tensor([1e9, 1.0]), lambda lib: lib.tensor([100000.0, 1.0]), lambda lib: lib.arange(2000),
    lambda lib: lib.arange(24.0).reshape(2, 3, 4) / 7, lambda lib: lib.tensor([], dtype=lib.long),
    lambda lib: lib.zeros(0, 3), lambda lib: lib.tensor([float("nan"), 1.5, float("inf")]),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32), lambda lib: lib.arange(40.0) / 3, lambda lib: lib.tensor([-1.0, 2.0]),
    lambda lib: lib.tensor([[-12, 5], [3, 100]]), lambda lib: lib.tensor([0.0, 0.0]), lambda lib: lib.ones(2, dtype=lib.half),
    lambda lib: lib.arange(3000.0).reshape(30, 100) / 9, lambda lib: lib.tensor([1, 0], dtype=lib.uint8),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2, lambda lib: lib.tensor([[1.0, 2.0]], requires_grad=True) + 1,
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True).exp(),
]


@pytest.mark.parametrize("make", CASES)
def test_repr_and_str_match_torch(make):
    ours, theirs = make(microtorch), make(torch)
    assert repr(ours) == repr(theirs).replace("torch.", "microtorch.")
    assert str(ours) == str(theirs).replace("torch.", "microtorch.")


def test_format_of_a_one_element_tensor_is_its_number_as_in_torch():
    for lib in (microtorch, torch):
        loss = lib.tensor(0.123456789)
        assert f"{loss:.4f}" == "0.1235" and f"{loss:8.2e}" == "1.23e-01" and f"{lib.tensor(7):>4d}" == "   7"
        assert f"{loss}" == str(loss.item()) and "{}".format(lib.ones(2)) == str(lib.ones(2))
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{microtorch.ones(2):.4f}"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{torch.ones(2):.4f}"


def test_grad_fn_prints_torchs_node_name():
    for lib in (microtorch, torch):
        x = lib.tensor([[1.0, 2.0]], dtype=lib.float64, requires_grad=True)
        names = [(x + 1).grad_fn.name(), (x * 2).grad_fn.name(), (x @ x.T).grad_fn.name(), x.exp().grad_fn.name(),
                 x.relu().grad_fn.name(), x.double().float().grad_fn.name()]
        if lib is microtorch:
            ours = names
    assert ours == names == ["AddBackward0", "MulBackward0", "MmBackward0", "ExpBackward0", "ReluBackward0",
                             "ToCopyBackward0"]
    np.testing.assert_equal(repr(microtorch.ones(1, requires_grad=True).sum().grad_fn)[:17], "<SumBackward0 obj")
