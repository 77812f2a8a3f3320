"""Containers, as torch.nn: Sequential, ModuleList and ModuleDict hold submodules; ParameterList and
ParameterDict hold parameters. The parent module sees everything they hold."""
import operator
from collections import OrderedDict
from collections.abc import Mapping

from microtorch.nn.module import Module
from microtorch.nn.parameter import Parameter
from microtorch.tensor import Tensor

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _position(index, length):
    """index as a position in 0..length-1, negative indices counted from the end."""
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range")
    return index % length


def _renumber(registry, values):
    """Name values 0..n-1 again after an insertion or deletion, as torch does."""
    registry.clear()
    for i, value in enumerate(values):
        registry[str(i)] = value


def _pairs(items, container):
    """(key, value) pairs from a mapping or an iterable of pairs, checked before anything is added."""
    pairs = list(items.items()) if isinstance(items, Mapping) or hasattr(items, "items") else list(items)
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{container}.update: element #{i} should be a (key, value) pair, got {pair!r}")
    return pairs


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Parameters
    ----------
    *args : Module, or one OrderedDict of name -> Module
        Positional modules are named '0', '1', ...; an OrderedDict gives its names. A single list or
        tuple of modules is also accepted (the original microtorch's form; torch refuses it).
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
            return
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = args[0]
        for index, module in enumerate(args):
            self.add_module(str(index), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_position(index, len(self))]

    def __setitem__(self, index, module):
        key = list(self._modules)[_position(index, len(self))]
        self.add_module(key, module)

    def __delitem__(self, index):
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [keys[_position(index, len(keys))]]:
            del self._modules[key]
        _renumber(self._modules, list(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return Sequential(*self, *other)

    def append(self, module):
        """Add module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, sequential):
        """Append every module of an iterable (another Sequential, a list, ...) at the end.

        Parameters
        ----------
        sequential : iterable of Module

        Returns
        -------
        Sequential
            self.
        """
        for module in sequential:
            self.append(module)
        return self

    def insert(self, index, module):
        """Put module before position index (len(self) appends)."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        values = list(self._modules.values())
        if not -len(values) <= index <= len(values):
            raise IndexError(f"Index out of range: {index}")
        values.insert(index, module)
        _renumber(self._modules, values)
        return self

    def pop(self, index):
        """Remove the module at position ``index`` and return it; the rest are renumbered '0', '1', ...

        Parameters
        ----------
        index : int
            Negative values count from the end.

        Returns
        -------
        Module

        Notes
        -----
        The position is required, as in PyTorch (``ModuleList.pop`` defaults to the last one).
        """
        module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A list of modules whose parameters the parent module sees; it has no forward.

    Parameters
    ----------
    modules : iterable of Module, optional
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_position(index, len(self)))]

    def __setitem__(self, index, module):
        self.add_module(str(_position(index, len(self))), module)

    def __delitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            del values[index]
        else:
            del values[_position(index, len(values))]
        _renumber(self._modules, values)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return type(self)([*self, *other])

    def append(self, module):
        """Add module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of an iterable; returns self."""
        if isinstance(modules, (str, bytes)) or not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index, module):
        """Put module before position index."""
        values = list(self._modules.values())
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        values.insert(index, module)
        _renumber(self._modules, values)

    def pop(self, index=-1):
        """Remove the module at position ``index`` (the last one by default) and return it.

        Parameters
        ----------
        index : int, default -1
            Negative values count from the end; the modules after it are renumbered.

        Returns
        -------
        Module
        """
        module = self[index]
        del self[index]
        return module


class _NamedMembers:
    """The dict interface of ModuleDict and ParameterDict, over one of the module's registries."""

    _members = "_modules"  # the registry the container's items live in

    def __getitem__(self, key):
        return self._registry(self._members)[key]

    def __delitem__(self, key):
        del self._registry(self._members)[key]

    def __contains__(self, key):
        return key in self._registry(self._members)

    def __len__(self):
        return len(self._registry(self._members))

    def __iter__(self):
        return iter(self._registry(self._members))

    def keys(self):
        """A list of the keys (a list, as the original microtorch; torch returns a view)."""
        return list(self._registry(self._members))

    def values(self):
        """Return the values (modules or parameters), in insertion order.

        Returns
        -------
        list

        Notes
        -----
        A list; PyTorch returns a view.
        """
        return list(self._registry(self._members).values())

    def items(self):
        """Return ``(key, value)`` pairs, in insertion order.

        Returns
        -------
        list of tuple

        Notes
        -----
        A list; PyTorch returns a view.
        """
        return list(self._registry(self._members).items())

    def pop(self, key):
        """Remove the entry named ``key`` and return its value.

        Parameters
        ----------
        key : str

        Returns
        -------
        Module or Parameter

        Raises
        ------
        KeyError
            If there is no such entry.
        """
        value = self[key]
        del self[key]
        return value

    def clear(self):
        """Remove every entry."""
        self._registry(self._members).clear()

    def update(self, items):
        """Add (name, value) pairs from a mapping or an iterable of pairs."""
        for key, value in _pairs(items, type(self).__name__):
            self[key] = value


class ModuleDict(_NamedMembers, Module):
    """Modules by name, in insertion order; the parent module sees their parameters.

    Parameters
    ----------
    modules : mapping or iterable of (str, Module) pairs, optional
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)


def _as_parameter(value):
    # torch wraps a plain Tensor put in a ParameterList/ParameterDict into a Parameter
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) else value


def _describe_parameters(parameters):
    """torch's extra_repr of a ParameterList: one indented line per parameter, its dtype and size."""
    return "\n".join(f"  ({key}): Parameter containing: [{value.dtype} of size "
                     f"{'x'.join(str(n) for n in value.shape)}]" for key, value in parameters.items())


class ParameterList(Module):
    """A list of parameters that the parent module sees; plain Tensors are wrapped in Parameter.

    Parameters
    ----------
    values : iterable of Tensor, optional
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._parameters.values())[index])
        return self._parameters[str(_position(index, len(self)))]

    def __setitem__(self, index, value):
        setattr(self, str(_position(index, len(self))), _as_parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        """Add value (wrapped in a Parameter if it is a plain Tensor) at the end; returns self."""
        setattr(self, str(len(self)), _as_parameter(value))
        return self

    def extend(self, values):
        """Append every value of an iterable at the end (plain Tensors are wrapped in Parameter).

        Parameters
        ----------
        values : iterable of Tensor

        Returns
        -------
        ParameterList
            self.
        """
        for value in list(values):
            self.append(value)
        return self

    def extra_repr(self):
        return _describe_parameters(self._parameters)


class ParameterDict(_NamedMembers, Module):
    """Parameters by name, in insertion order; plain Tensors are wrapped in Parameter.

    Parameters
    ----------
    parameters : mapping or iterable of (str, Tensor) pairs, optional
    """

    _members = "_parameters"

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key, value):
        setattr(self, key, _as_parameter(value))

    def extra_repr(self):
        return _describe_parameters(self._parameters)
