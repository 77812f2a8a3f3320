"""Optimizer: the base class. An optimizer holds param_groups (lists of parameters with their
settings) and per-parameter state, and updates the parameters in place from their .grad in step().

A new optimizer subclasses Optimizer, passes its defaults to __init__ and defines step(), which
walks `_grads(group)` for each group (see sgd.py, the shortest)."""
import numpy as np

from microtorch._engine import bump_version, make_tensor
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
        """Add a group of parameters with its own settings (the others from the defaults), as torch.

        Raises
        ------
        ValueError
            If a parameter appears twice in the group, or is already in another group.
        """
        if not isinstance(group, dict):
            raise TypeError(f"{type(self).__name__}: param_group must be a dict, but got {type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: can't optimize a tensor that does not require grad "
                                 f"(shape {p.shape})")
        # torch only warns about a duplicate inside one group, and then steps that parameter twice: refused here.
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: optimizer contains a parameter group with duplicate "
                             "parameters; each parameter may appear once (it would be updated twice per step)")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        full = dict(self.defaults)
        full.update(group)
        self._check_settings(full)
        full["params"] = params
        self.param_groups.append(full)

    def _check_settings(self, group):
        """Raise torch's ValueError for a setting out of range; subclasses list theirs in `_ranges`."""
        for key, label in self._ranges:
            if not 0.0 <= group[key]:  # written so that nan fails too
                raise ValueError(f"Invalid {label}: {group[key]}")

    _ranges = (("lr", "learning rate"),)

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
        """The settings and per-parameter state, parameters referred to by position, as torch.

        Returns
        -------
        dict
            ``{'state': {0: {'step': 3, 'exp_avg': Tensor, ...}, ...}, 'param_groups': [{'lr': ...,
            'params': [0, 1]}, ...]}``. State arrays are Tensors holding copies (torch hands out
            the live tensors), so a saved state does not move on with later steps.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            ids = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (make_tensor(v.copy()) if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load settings and state saved by `state_dict` (from this optimizer type); checks first.

        Raises
        ------
        ValueError
            If the groups or their sizes differ (torch's messages), if the state dict is from
            another optimizer type, or if a state array's shape differs from its parameter's. On
            error the optimizer is unchanged.
        """
        name = type(self).__name__
        if not (isinstance(state_dict, dict) and "state" in state_dict and "param_groups" in state_dict):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' (what "
                             "Optimizer.state_dict() returns)")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        lacking = sorted(set(self.defaults) - set().union(*(g.keys() for g in groups)))
        if lacking:
            raise ValueError(f"{name}.load_state_dict: the loaded state dict is not from a {name} (its parameter "
                             f"groups lack {name}'s settings {lacking}); an optimizer loads only the state of its "
                             "own type")
        by_index = {}
        for saved, own in zip(groups, self.param_groups):
            by_index.update(zip(saved["params"], own["params"]))
        new_state = {}
        for i, values in state_dict["state"].items():
            if i not in by_index:
                raise ValueError(f"{name}.load_state_dict: the state dict has state for parameter {i}, which none "
                                 "of its parameter groups lists")
            new_state[by_index[i]] = {key: _state_value(name, i, key, value, by_index[i])
                                      for key, value in values.items()}
        for saved, own in zip(groups, self.param_groups):
            own.update({k: (tuple(v) if k == "betas" else v) for k, v in saved.items() if k != "params"})
        self.state = new_state


def _state_value(name, index, key, value, p):
    """A saved state entry as the optimizer keeps it: arrays of the parameter's dtype, `step` an int."""
    if isinstance(value, Tensor):
        value = value._array
    if key == "step":  # torch saves it as a 0-d float tensor
        return int(np.asarray(value).item())
    if not isinstance(value, np.ndarray):
        return value
    if value.shape != p.shape:
        raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter {index} has shape {value.shape}, "
                         f"but the parameter has shape {p.shape}")
    return np.array(value, dtype=p.dtype)


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
