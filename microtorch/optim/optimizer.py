"""Optimizer: the base class. An optimizer holds param_groups (lists of parameters with their
settings) and per-parameter state, and updates the parameters in place from their .grad in step().

A new optimizer subclasses Optimizer, passes its defaults to __init__ and defines step(), which
walks `_grads(group)` for each group (see sgd.py, the shortest)."""
import numpy as np

from microtorch._engine import bump_version
from microtorch.tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of optimizers: holds ``param_groups`` and per-parameter ``state``.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters to optimise (``model.parameters()``), or param groups: dicts with a
        ``'params'`` key and per-group settings.
    defaults : dict
        Settings for groups that do not set them (``lr``, ``momentum``, ...).

    Notes
    -----
    A subclass passes its defaults to ``__init__`` and defines :meth:`step`.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or of dicts, "
                            "got a single Tensor (wrap it in a list)")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or of dicts, "
                            f"got {type(params).__name__}") from None
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a group of parameters with its own settings (missing ones come from ``defaults``).

        Parameters
        ----------
        group : dict
            ``{'params': [...], 'lr': ...}``.

        Raises
        ------
        ValueError
            If a parameter is already in a group or does not require grad.
        """
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: can't optimize a tensor that does not require grad "
                                 f"(shape {p.shape})")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        full = dict(self.defaults)
        full.update(group)
        full["params"] = params
        self.param_groups.append(full)

    def zero_grad(self, set_to_none=True):
        """Reset gradients: to None by default, as PyTorch does."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p._grad_array is None:
                    p._grad_array = None
                else:
                    p._grad_array = np.zeros_like(p._array)

    def step(self):
        """Update every parameter from its gradient, once; subclasses define it."""
        raise NotImplementedError

    def _state(self, p):
        return self.state.setdefault(p, {})

    # ------------------------------------------------------------ checkpoints
    def state_dict(self):
        """State and settings, with parameters referred to by their position, as in PyTorch."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore state and settings saved by :meth:`state_dict`.

        Parameters
        ----------
        state_dict : dict
            From :meth:`state_dict` of an optimizer with the same parameter groups.
        """
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved parameter groups do not match "
                             "this optimizer's (different number of groups or parameters)")
        by_index = {}
        for saved, own in zip(groups, self.param_groups):
            for i, p in zip(saved["params"], own["params"]):
                by_index[i] = p
        new_state = {}
        for i, values in state_dict["state"].items():
            p = by_index[int(i)]
            new_state[p] = {k: (np.array(v, dtype=p.dtype) if isinstance(v, np.ndarray) else v)
                            for k, v in values.items()}
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state


def _grads(group):
    """(parameter, data array, gradient array) for the parameters that have a gradient.

    The caller updates the data in place; afterwards the parameter's version is bumped,
    so a graph that saved the old values refuses to backpropagate stale numbers.
    """
    for p in group["params"]:
        grad = p._grad_array
        if grad is not None:
            yield p, p._array, grad
            bump_version(p)
