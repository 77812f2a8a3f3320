"""Adagrad, as torch.optim.Adagrad."""
import numpy as np

from microtorch.optim.optimizer import Optimizer, _grads

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Scale each coordinate's step by the root of its summed squared gradients.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters to optimise (``model.parameters()``), or param groups: dicts with a
        ``'params'`` key and per-group settings.
    lr : float, default 1e-2
    lr_decay : float, default 0.0
    weight_decay : float, default 0.0
    initial_accumulator_value : float, default 0.0
    eps : float, default 1e-10
    """

    _ranges = (("lr", "learning rate"), ("lr_decay", "lr_decay value"), ("weight_decay", "weight_decay value"),
               ("initial_accumulator_value", "initial_accumulator_value value"), ("eps", "epsilon value"))

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def step(self):
        """Update every parameter that has a gradient, once.

        Parameters with ``.grad`` None are skipped. Unlike PyTorch, ``step`` takes no ``closure``.
        """
        for group in self.param_groups:
            for p, data, grad in _grads(group):
                state = self._state(p)
                if not state:
                    state.update(step=0, sum=np.full_like(data, group["initial_accumulator_value"]))
                state["step"] += 1
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * data
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                state["sum"] += grad * grad
                data -= clr * grad / (np.sqrt(state["sum"]) + group["eps"])
