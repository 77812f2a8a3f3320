"""RMSprop, as torch.optim.RMSprop."""
import numpy as np

from microtorch.optim.optimizer import Optimizer, _grads

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide each step by a running root-mean-square of the gradient (optionally centred, with momentum).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters to optimise (``model.parameters()``), or param groups: dicts with a
        ``'params'`` key and per-group settings.
    lr : float, default 1e-2
    alpha : float, default 0.99
        Decay rate of the running average of the squared gradient.
    eps : float, default 1e-8
    weight_decay : float, default 0.0
    momentum : float, default 0.0
    centered : bool, default False
        Subtract the running mean of the gradient (estimates the variance).
    """

    _ranges = (("lr", "learning rate"), ("eps", "epsilon value"), ("momentum", "momentum value"),
               ("weight_decay", "weight_decay value"), ("alpha", "alpha value"))

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def step(self):
        """Update every parameter that has a gradient, once.

        Parameters with ``.grad`` None are skipped. Unlike PyTorch, ``step`` takes no ``closure``.
        """
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            for p, data, grad in _grads(group):
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * data
                state = self._state(p)
                if not state:
                    state.update(step=0, square_avg=np.zeros_like(data))
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(data)
                    if group["centered"]:
                        state["grad_avg"] = np.zeros_like(data)
                state["step"] += 1
                square_avg = state["square_avg"]
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    grad_avg *= alpha
                    grad_avg += (1 - alpha) * grad
                    avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
                else:
                    avg = np.sqrt(square_avg) + eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += grad / avg
                    data -= lr * buf
                else:
                    data -= lr * grad / avg
