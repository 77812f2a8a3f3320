"""Containers: Sequential, ModuleList and ModuleDict hold submodules that the parent module sees."""
from microtorch.nn.module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


class ModuleList(Module):
    """A list of modules whose parameters the parent module sees."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        """Add a module at the end.

        Parameters
        ----------
        module : Module

        Returns
        -------
        ModuleList
            self.
        """
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(module).__name__}")
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules):
        """Add each module of an iterable at the end.

        Parameters
        ----------
        modules : iterable of Module

        Returns
        -------
        ModuleList
            self.
        """
        for module in modules:
            self.append(module)
        return self

    def __len__(self):
        return sum(1 for _ in self.named_children())

    def __iter__(self):
        return iter(self.children())

    def __getitem__(self, index):
        children = self.children()
        if isinstance(index, slice):
            return type(self)(children[index])
        return children[index]


class Sequential(ModuleList):
    """Modules applied one after another."""

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = modules[0]
        super().__init__(modules)

    def forward(self, x):
        """Apply each module in turn, feeding each one's output to the next.

        Parameters
        ----------
        x : Tensor

        Returns
        -------
        Tensor
            The last module's output.
        """
        for module in self:
            x = module(x)
        return x

    def __getitem__(self, index):
        children = self.children()
        return Sequential(*children[index]) if isinstance(index, slice) else children[index]


class ModuleDict(Module):
    """Modules by name, in insertion order; the parent module sees their parameters."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check_key(self, key):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        if not key or key.startswith("_") or "." in key:
            raise KeyError(f"ModuleDict: key {key!r} must be non-empty, contain no '.' and not start with '_'")
        if hasattr(type(self), key) or key == "training":
            raise KeyError(f"ModuleDict: key {key!r} would hide the attribute of the same name; choose another")

    def __setitem__(self, key, module):
        self._check_key(key)
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {key!r} must be a Module, got {type(module).__name__}")
        setattr(self, key, module)

    def __getitem__(self, key):
        if key not in self:
            raise KeyError(key)
        return getattr(self, key)

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        delattr(self, key)

    def __contains__(self, key):
        return any(name == key for name, _ in self.named_children())

    def __len__(self):
        return sum(1 for _ in self.named_children())

    def __iter__(self):
        return iter(self.keys())

    def keys(self):
        """Return the names, in insertion order.

        Returns
        -------
        list of str
        """
        return [name for name, _ in self.named_children()]

    def values(self):
        """Return the modules, in insertion order.

        Returns
        -------
        list of Module
        """
        return self.children()

    def items(self):
        """Return ``(name, module)`` pairs, in insertion order.

        Returns
        -------
        list of tuple of (str, Module)
        """
        return list(self.named_children())

    def pop(self, key):
        """Remove the module named ``key`` and return it.

        Parameters
        ----------
        key : str

        Returns
        -------
        Module

        Raises
        ------
        KeyError
            If there is no such module.
        """
        module = self[key]
        del self[key]
        return module

    def clear(self):
        """Remove every module."""
        for key in self.keys():
            del self[key]

    def update(self, modules):
        """Add (name, module) pairs from a dict, a ModuleDict or an iterable of pairs."""
        pairs = list(modules.items()) if hasattr(modules, "items") else list(modules)
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f"ModuleDict.update: expected (name, module) pairs, got {pair!r}")
            self._check_key(pair[0])
            if not isinstance(pair[1], Module):
                raise TypeError(f"ModuleDict: {pair[0]!r} must be a Module, got {type(pair[1]).__name__}")
        for key, module in pairs:
            self[key] = module
