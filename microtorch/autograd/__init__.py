"""The public autograd API, as torch.autograd: Function (function.py), grad mode (compiled,
microtorch._grad_mode), detect_anomaly (anomaly_mode.py), gradcheck and gradgradcheck (gradcheck.py),
backward and grad (backward.py), and the whole-function derivatives of autograd.functional."""
from microtorch._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtorch.autograd import functional
from microtorch.autograd.anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from microtorch.autograd.backward import backward, grad
from microtorch.autograd.function import Function
from microtorch.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "backward", "grad",
           "functional", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "gradcheck", "gradgradcheck",
           "GradcheckError"]
