"""SGD, with momentum, dampening, Nesterov momentum and weight decay, as torch.optim.SGD."""

from microtorch.optim.optimizer import Optimizer, _grads

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, nesterov and weight decay (PyTorch's rule)."""

    _ranges = (("lr", "learning rate"), ("momentum", "momentum value"), ("weight_decay", "weight_decay value"))

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def step(self):
        for group in self.param_groups:
            lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
            for p, data, grad in _grads(group):
                if weight_decay:
                    grad = grad + weight_decay * data
                if momentum:
                    state = self._state(p)
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = grad.copy()
                    else:
                        buf *= momentum
                        buf += (1 - group["dampening"]) * grad
                    grad = grad + momentum * buf if group["nesterov"] else buf
                data -= lr * grad
