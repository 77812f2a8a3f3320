"""Module: the base class of layers and models."""
from collections import OrderedDict

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
        """The computation of the module; subclasses override it.

        Call the module (``module(x)``), not ``forward`` directly, so that forward hooks run.

        Parameters
        ----------
        *args, **kwargs
            The inputs, as the subclass defines them.

        Returns
        -------
        Tensor or object
            The output.
        """
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
        """Iterate over the direct submodules as ``(name, module)`` pairs, in assignment order.

        Yields
        ------
        tuple of (str, Module)
        """
        for name, value in self._members():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        """Return the direct submodules, in assignment order.

        Returns
        -------
        list of Module

        Notes
        -----
        PyTorch returns an iterator; microtorch returns a list (iterating over it works the same).
        """
        return [module for _, module in self.named_children()]

    def named_modules(self, prefix=""):
        """Iterate over this module and every submodule below it as ``(name, module)`` pairs.

        Parameters
        ----------
        prefix : str, default ''
            Prepended to every name; the module itself is named ``prefix``.

        Yields
        ------
        tuple of (str, Module)
            Depth first, parents before their children; a module reached twice is yielded once.
        """
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
        """Return this module and every submodule below it, each once.

        Returns
        -------
        list of Module

        Notes
        -----
        PyTorch returns an iterator; microtorch returns a list.
        """
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
        """Iterate over the registered buffers of this module and its submodules as ``(name, tensor)`` pairs.

        Parameters
        ----------
        prefix : str, default ''
            Prepended to every name.

        Yields
        ------
        tuple of (str, Tensor)
            Buffers set to None are skipped.
        """
        for module_name, module in self.named_modules(prefix):
            for name in module.__dict__.get("_buffers", ()):
                buffer = getattr(module, name)
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self):
        """Return the registered buffers (running statistics, say) of this module and its submodules.

        Returns
        -------
        list of Tensor

        Notes
        -----
        PyTorch returns an iterator; microtorch returns a list.
        """
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
        """Set training mode (``mode=True``) or evaluation mode on this module and every submodule.

        Dropout and batch norm behave differently in the two modes.

        Parameters
        ----------
        mode : bool, default True

        Returns
        -------
        Module
            self, so that ``model.train()`` can be chained.
        """
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Set evaluation mode: the same as ``train(False)``.

        Returns
        -------
        Module
            self.
        """
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Reset the gradient of every parameter.

        Parameters
        ----------
        set_to_none : bool, default True
            Set ``.grad`` to None (the default, as in PyTorch), or fill existing gradients with zeros.
        """
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = np.zeros_like(p._array)

    # ------------------------------------------------------------ state
    def state_dict(self):
        """Parameters and buffers by name, as numpy arrays (copies)."""
        state = OrderedDict((name, p._array.copy()) for name, p in self.named_parameters())
        state.update((name, b._array.copy()) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy values in by name; every check happens before anything is changed."""
        own = OrderedDict(self.named_parameters())
        own.update(self.named_buffers())
        arrays = {}
        for name, value in state_dict.items():
            arrays[name] = value._array if isinstance(value, Tensor) else np.asarray(value)
        missing = [name for name in own if name not in arrays]
        unexpected = [name for name in arrays if name not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        for name, target in own.items():
            if name in arrays and arrays[name].dtype.kind not in "biuf":
                problems.append(f"dtype mismatch for {name}: checkpoint dtype {arrays[name].dtype} is not "
                                f"a real number type (model dtype {target.dtype})")
            elif name in arrays and arrays[name].shape != target.shape:
                problems.append(f"size mismatch for {name}: checkpoint shape {arrays[name].shape}, "
                                f"model shape {target.shape}")
        if problems:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems)
                               + ". The model was not changed.")
        # Convert everything first, so that nothing is assigned unless everything converts.
        converted = {name: arrays[name].astype(target.dtype, copy=True) for name, target in own.items()
                     if name in arrays}
        for name, value in converted.items():
            own[name].data = value
            _engine.bump_version(own[name])  # a graph recorded with the old values must not backpropagate
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ repr
    def extra_repr(self):
        """Return the text shown inside the module's ``repr``, such as ``in_features=3, out_features=2``.

        Returns
        -------
        str
        """
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(children) + "\n)"


class _IncompatibleKeys:
    def __init__(self, missing_keys, unexpected_keys):
        self.missing_keys, self.unexpected_keys = missing_keys, unexpected_keys

    def __repr__(self):
        return "<All keys matched successfully>" if not (self.missing_keys or self.unexpected_keys) else \
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"
