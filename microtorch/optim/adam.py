"""Adam and AdamW (Adam with decoupled weight decay), as torch.optim."""
import numpy as np

from microtorch.optim.optimizer import Optimizer, _grads

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma and Ba), with optional L2 weight decay and AMSGrad, as ``torch.optim.Adam``.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters to optimise (``model.parameters()``), or param groups: dicts with a
        ``'params'`` key and per-group settings.
    lr : float, default 1e-3
    betas : tuple of float, default (0.9, 0.999)
        Decay rates of the running averages of the gradient and of its square.
    eps : float, default 1e-8
    weight_decay : float, default 0.0
        L2 penalty added to the gradient.
    amsgrad : bool, default False
    """

    decoupled_weight_decay = False  # AdamW: the decay shrinks the weights instead of joining the gradient

    _ranges = (("lr", "learning rate"), ("eps", "epsilon value"), ("weight_decay", "weight_decay value"))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def _check_settings(self, group):
        super()._check_settings(group)
        for i, beta in enumerate(group["betas"]):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")

    def step(self):
        """Update every parameter that has a gradient, once.

        Parameters with ``.grad`` None are skipped. Unlike PyTorch, ``step`` takes no ``closure``.
        """
        for group in self.param_groups:
            lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, data, grad in _grads(group):
                if decay and self.decoupled_weight_decay:
                    data *= 1 - lr * decay
                elif decay:
                    grad = grad + decay * data
                state = self._state(p)
                if not state:
                    state.update(step=0, exp_avg=np.zeros_like(data), exp_avg_sq=np.zeros_like(data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(data)
                state["step"] += 1
                step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                m *= beta1
                m += (1 - beta1) * grad
                v *= beta2
                v += (1 - beta2) * grad * grad
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                bias1 = 1 - beta1 ** step
                bias2 = 1 - beta2 ** step
                denom = np.sqrt(v) / np.sqrt(bias2) + eps
                data -= (lr / bias1) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): the decay shrinks the weights directly.

    Parameters are those of :class:`Adam`, with ``weight_decay`` defaulting to 1e-2.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
