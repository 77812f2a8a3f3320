"""SGD, with momentum, dampening, Nesterov momentum and weight decay, as torch.optim.SGD."""

from microtorch.optim.optimizer import Optimizer, _grads

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay (PyTorch's rule).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters to optimise (``model.parameters()``), or param groups: dicts with a
        ``'params'`` key and per-group settings.
    lr : float, default 1e-3
        The learning rate. PyTorch's default is also 1e-3.
    momentum : float, default 0.0
    dampening : float, default 0.0
    weight_decay : float, default 0.0
        L2 penalty added to the gradient.
    nesterov : bool, default False

    Examples
    --------
    >>> import microtorch as torch
    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.tolist()
    [0.800000011920929]
    """

    _ranges = (("lr", "learning rate"), ("momentum", "momentum value"), ("weight_decay", "weight_decay value"))

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def step(self):
        """Update every parameter that has a gradient, once.

        Parameters with ``.grad`` None are skipped. Unlike PyTorch, ``step`` takes no ``closure``.
        """
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
