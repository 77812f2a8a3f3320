"""The public autograd API, as torch.autograd: Function (function.py), grad mode (compiled,
microtorch._grad_mode), detect_anomaly (anomaly_mode.py), gradcheck (gradcheck.py) and backward."""
from microtorch._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtorch.autograd.anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from microtorch.autograd.function import Function
from microtorch.autograd.gradcheck import GradcheckError, gradcheck

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "backward",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "gradcheck", "GradcheckError"]


def backward(tensor, gradient=None, retain_graph=False):
    """Same as tensor.backward(gradient, retain_graph)."""
    return tensor.backward(gradient, retain_graph=retain_graph)
