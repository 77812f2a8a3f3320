"""detect_anomaly, as torch.autograd.detect_anomaly: a backward that makes a nan raises
RuntimeError naming the op (torch's message), after a warning that shows the Python stack where
that op's forward ran."""
import numpy as np
import pytest
import torch

import microtorch as mt


def unstable(lib, x):
    """sqrt at 0 has an infinite derivative; times a zero upstream gradient it is nan."""
    return (x.sqrt() * 0.0).sum()   # the forward call the warning must point at


def test_a_nan_from_backward_names_the_op_and_its_forward_stack_as_torch():
    messages = {}
    for lib in (mt, torch):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with pytest.warns(UserWarning) as warned, lib.autograd.detect_anomaly(), np.errstate(all="ignore"):
            y = unstable(lib, x)
            with pytest.raises(RuntimeError) as error:
                y.backward()
        detected = [str(w.message) for w in warned if "Error detected in" in str(w.message)]
        assert len(detected) == 1
        assert "in unstable" in detected[0] and "the forward call the warning must point at" in detected[0]
        messages[lib.__name__] = str(error.value)
    assert messages["microtorch"] == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert messages["torch"] == "Function 'SqrtBackward0' returned nan values in its 0th output."


def test_the_index_names_which_input_got_the_nan():
    class Second(mt.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad, grad * np.nan

    x, y = mt.ones(2, requires_grad=True), mt.ones(2, requires_grad=True)
    with mt.autograd.detect_anomaly():
        out = Second.apply(x, y).sum()
        with pytest.warns(UserWarning, match="Error detected in SecondBackward"), \
                pytest.raises(RuntimeError, match="Function 'SecondBackward' returned nan values in its 1th output."):
            out.backward()


def test_any_error_in_a_backward_is_preceded_by_the_forward_stack():
    class Broken(mt.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("broken backward")

    x = mt.ones(2, requires_grad=True)
    with mt.autograd.detect_anomaly():
        out = Broken.apply(x).sum()   # the line the warning shows
        with pytest.warns(UserWarning, match=r"(?s)Error detected in BrokenBackward.*the line the warning shows"), \
                pytest.raises(ValueError, match="broken backward"):
            out.backward()


def test_a_finite_backward_passes_in_anomaly_mode():
    x = mt.tensor([1.0, 4.0], requires_grad=True)
    with mt.autograd.detect_anomaly():
        x.sqrt().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])


def test_a_graph_recorded_before_anomaly_mode_says_its_stack_is_unknown():
    x = mt.tensor([0.0], requires_grad=True)
    y = (x.sqrt() * 0.0).sum()   # recorded outside anomaly mode: no stack kept
    with mt.autograd.detect_anomaly(), np.errstate(all="ignore"):
        with pytest.warns(UserWarning, match="forward ran before anomaly detection was enabled"), \
                pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output"):
            y.backward()
