"""The public autograd API, as torch.autograd: Function (function.py), grad mode (compiled,
microtorch._grad_mode; inference_mode in grad_mode.py), detect_anomaly (anomaly_mode.py),
gradcheck (gradcheck.py), backward, and Variable (the legacy alias)."""
from microtorch._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtorch.autograd.anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from microtorch import _engine
from microtorch.autograd.function import Function
from microtorch.autograd.grad_mode import inference_mode, is_inference_mode_enabled
from microtorch.autograd.gradcheck import GradcheckError, gradcheck

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "backward",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "gradcheck", "GradcheckError",
           "inference_mode", "is_inference_mode_enabled", "Variable"]


def backward(tensor, gradient=None, retain_graph=False):
    """Same as tensor.backward(gradient, retain_graph)."""
    return tensor.backward(gradient, retain_graph=retain_graph)


def Variable(data, requires_grad=False, volatile=False):
    """The legacy torch.autograd.Variable: today a Tensor. Variable(t) is a new leaf sharing t's storage,
    requiring grad if asked; Variable(data) of numbers or arrays makes a tensor of them.

    Parameters
    ----------
    data : Tensor, ndarray, number or list
    requires_grad : bool, optional
    volatile : bool, optional
        Accepted and ignored, as torch has since 0.4.
    """
    from microtorch.creation import tensor
    result = _engine.detach(data) if isinstance(data, _engine.TensorBase) else tensor(data)
    return result.requires_grad_(requires_grad)
