"""Module: the base class of layers and models."""
from collections import OrderedDict, namedtuple

import numpy as np

from microtorch import _engine
from microtorch._hooks import RemovableHandle
from microtorch.nn.parameter import Parameter
from microtorch.tensor import Tensor

__all__ = ["Module"]


class Module:
    """Base class of layers and models: define forward(), call the module to run it.

    Parameters, buffers and submodules are found among the attributes, in the
    order they were assigned, so subclasses work even without super().__init__().
    """

    training = True  # a class default, so modules that skip __init__ still have it

    def __init__(self):
        self.training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        hooks = self.__dict__.get("_forward_hooks")
        out = self.forward(*args, **kwargs)
        for hook in hooks or ():
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out

    def register_forward_hook(self, hook):
        """hook(module, inputs, output) runs after forward; it may return a replacement output."""
        hooks = self.__dict__.setdefault("_forward_hooks", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    # ------------------------------------------------------------ discovery
    def _members(self):
        # Attributes in assignment order; containers expose their items the same way.
        for name, value in vars(self).items():
            if not name.startswith("_"):
                yield name, value

    def named_children(self):
        for name, value in self._members():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        return [module for _, module in self.named_children()]

    def named_modules(self, prefix=""):
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop(0)
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack[0:0] = [(f"{name}.{child_name}" if name else child_name, child)
                          for child_name, child in module.named_children()]

    def modules(self):
        return [module for _, module in self.named_modules()]

    def named_parameters(self, prefix=""):
        """(name, Parameter) pairs in definition order, each parameter once."""
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, value in module._members():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    def parameters(self):
        """A list of the parameters, in definition order, without duplicates."""
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name, tensor):
        """Keep a non-learnable tensor (running statistics, say) in state_dict."""
        if not isinstance(tensor, Tensor) and tensor is not None:
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self.__dict__.setdefault("_buffers", OrderedDict())[name] = tensor
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix=""):
        for module_name, module in self.named_modules(prefix):
            for name in module.__dict__.get("_buffers", ()):
                buffer = getattr(module, name)
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self):
        return [b for _, b in self.named_buffers()]

    def num_parameters(self):
        """The number of learnable scalars."""
        return sum(p._array.size for p in self.parameters())

    def apply(self, fn):
        """Call fn on every submodule, children before their parent and in order, then on self
        (PyTorch's post-order); returns self."""
        order, stack = [], [self]
        while stack:  # root, then children last-to-first: reversed, that is the post-order
            module = stack.pop()
            order.append(module)
            stack.extend(module.children())
        for module in reversed(order):
            fn(module)
        return self

    # ------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = np.zeros_like(p._array)

    # ------------------------------------------------------------ state
    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by name, as torch's ``Module.state_dict``.

        Parameters
        ----------
        destination : dict, optional
            A dict to fill (and return) instead of a new OrderedDict.
        prefix : str, optional
            Put in front of every name.
        keep_vars : bool, optional
            If True, the Parameters and buffers themselves; otherwise (the default) detached
            Tensors sharing their storage, so the values follow later training steps.

        Returns
        -------
        OrderedDict of str to Tensor
        """
        state = OrderedDict() if destination is None else destination
        for name, tensor in self._named_state():
            state[prefix + name] = tensor if keep_vars else tensor.detach()
        return state

    def _named_state(self):
        """(name, tensor) for what state_dict holds: parameters, then buffers not marked non-persistent."""
        yield from self.named_parameters()
        for module_name, module in self.named_modules():
            skipped = module.__dict__.get("_non_persistent_buffers_set", ())
            for name in module.__dict__.get("_buffers", ()):
                buffer = getattr(module, name)
                if buffer is not None and name not in skipped:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values into the parameters and buffers, by name, as torch's ``load_state_dict``.

        Every check happens before anything changes: on error the module is left as it was.

        Parameters
        ----------
        state_dict : dict of str to Tensor or array-like
        strict : bool, optional
            If True (the default), missing and unexpected keys are errors.
        assign : bool, optional
            Accepted for PyTorch compatibility; values are always copied in place (the
            parameters stay the same objects, so an optimizer holding them keeps working).

        Returns
        -------
        _IncompatibleKeys
            A named tuple (missing_keys, unexpected_keys).

        Raises
        ------
        RuntimeError
            "Error(s) in loading state_dict for <Module>:" followed by the missing and unexpected
            keys (strict only), size mismatches and non-numeric entries, as torch words them.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = OrderedDict(self._named_state())
        arrays = {}
        for name, value in state_dict.items():
            arrays[name] = value._array if isinstance(value, Tensor) else np.asarray(value)
        missing = [name for name in own if name not in arrays]
        unexpected = [name for name in arrays if name not in own]
        problems = []
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        for name, target in own.items():
            if name not in arrays:
                continue
            if arrays[name].dtype.kind not in "biuf":
                problems.append(f"dtype mismatch for {name}: checkpoint dtype {arrays[name].dtype} is not a real "
                                f"number type (model dtype {target.dtype}).")
            elif arrays[name].shape != target.shape:
                problems.append(f"size mismatch for {name}: copying a param with shape {arrays[name].shape} from "
                                f"checkpoint, the shape in current model is {target.shape}.")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(problems) + "\nThe model was not changed.")
        # Convert everything first, so that nothing is assigned unless everything converts.
        converted = {name: arrays[name].astype(target.dtype, copy=True) for name, target in own.items()
                     if name in arrays}
        for name, value in converted.items():
            np.copyto(own[name]._array, value)  # in place, as torch's copy_: the parameter objects stay
            _engine.bump_version(own[name])  # a graph recorded with the old values must not backpropagate
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ repr
    def extra_repr(self):
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(children) + "\n)"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys the state_dict lacked and the ones it had extra."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__
