"""Module: the base class of layers and models.

As in torch, a module keeps its parameters, buffers and submodules in three ordered registries
(``_parameters``, ``_buffers``, ``_modules``) that ``__setattr__`` fills: assigning a Parameter
registers it, assigning a Module registers it as a child, and ``register_buffer`` adds a tensor
that is state but not learnable. ``__getattr__`` reads them back, so ``self.weight`` works.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from microtorch import _engine
from microtorch._checks import _as_dtype
from microtorch._hooks import RemovableHandle
from microtorch.nn.parameter import Parameter
from microtorch.tensor import Tensor

__all__ = ["Module"]

_REGISTRIES = ("_parameters", "_buffers", "_modules")


class _Listing(list):
    """The members a module lists: a list, as the original microtorch returned, that next() also
    accepts, as torch's generators do (``next(model.parameters())``)."""

    def __next__(self):
        if not hasattr(self, "_cursor"):
            self._cursor = iter(self)
        return next(self._cursor)


def _addindent(text, spaces=2):
    """Indent every line of text but the first, as torch's module repr nests children."""
    return text.replace("\n", "\n" + " " * spaces)


def _check_device(device, where):
    """Accept only the CPU: 'cpu', 'cpu:0' or a device object whose type is 'cpu'."""
    kind = getattr(device, "type", device)
    if isinstance(kind, str) and kind.split(":")[0] == "cpu":
        return
    raise RuntimeError(f"{where}: microtorch runs on the CPU only, got device {device!r}; "
                       "use 'cpu' (torch.cuda.is_available() is False here)")


def _to_args(args, kwargs):
    """The (dtype, device) that Module.to(...) asks for, from torch's three call forms:
    to(device=None, dtype=None), to(dtype), to(tensor)."""
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, bool):
            continue  # non_blocking passed positionally
        elif isinstance(arg, (str, int)) or type(arg).__name__ == "device":
            device = arg  # 'cpu', 'cuda:0', 0, or a device object
        else:
            dtype = arg
    if device is not None:
        _check_device(device, "Module.to")
    if dtype is not None:
        dtype = _as_dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}")
    return dtype


def _valid_name(kind, name, module):
    """torch's checks, in torch's order, on a name for register_parameter / register_buffer / add_module."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    registry = {"parameter": "_parameters", "buffer": "_buffers", "module": "_modules"}[kind]
    exists = hasattr(module, name) and name not in module.__dict__.get(registry, ())
    if kind == "module" and exists:
        raise KeyError(f"attribute '{name}' already exists")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\"" + (f", got: {name}" if kind == "module" else ""))
    if name == "":
        raise KeyError(f"{kind} name can't be empty string \"\"")
    if exists:
        raise KeyError(f"attribute '{name}' already exists")


class Module:
    """Base class of layers and models: define forward(), call the module to run it.

    Parameters, buffers and submodules are kept in the order they were assigned. A subclass that
    skips ``super().__init__()`` still works (the registries are made on first assignment), where
    torch would raise.
    """

    training = True  # a class default, so modules that skip __init__ still have it

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments; Module.__init__ "
                            "takes none")
        for registry in _REGISTRIES:
            object.__setattr__(self, registry, OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "training", True)

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
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        pre_hooks, hooks = self.__dict__.get("_forward_pre_hooks"), self.__dict__.get("_forward_hooks")
        for hook in pre_hooks or ():
            replaced = hook(self, args)
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        out = self.forward(*args, **kwargs)
        for hook in hooks or ():
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out

    def register_forward_hook(self, hook):
        """Run ``hook(module, args, output)`` after every forward; a non-None result replaces the output.

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook out again.
        """
        hooks = self.__dict__.setdefault("_forward_hooks", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_forward_pre_hook(self, hook):
        """Run ``hook(module, args)`` before every forward; a non-None result replaces the positional
        arguments (a single value is wrapped in a tuple, as in torch).

        Returns
        -------
        RemovableHandle
        """
        hooks = self.__dict__.setdefault("_forward_pre_hooks", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    # ------------------------------------------------------------ attributes
    def _registry(self, name):
        registry = self.__dict__.get(name)
        if registry is None:  # a subclass that skipped Module.__init__
            registry = OrderedDict()
            object.__setattr__(self, name, registry)
        return registry

    def __getattr__(self, name):
        # Called only when normal lookup fails: look in the registries.
        if name in _REGISTRIES:
            return self._registry(name)
        for registry in _REGISTRIES:
            members = self.__dict__.get(registry)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _forget(self, name, *registries):
        for registry in registries:
            self._registry(registry).pop(name, None)
        self.__dict__.pop(name, None)

    def __setattr__(self, name, value):
        parameters, buffers, modules = (self._registry(r) for r in _REGISTRIES)
        if isinstance(value, Parameter):
            self._forget(name, "_buffers", "_modules")
            self.register_parameter(name, value)
        elif name in parameters:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            parameters[name] = None
        elif isinstance(value, Module):
            self._forget(name, "_parameters", "_buffers")
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in _REGISTRIES:
            members = self.__dict__.get(registry)
            if members is not None and name in members:
                del members[name]
                self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        names = set(super().__dir__())
        for registry in _REGISTRIES:
            names.update(self._registry(registry))
        return sorted(names)

    # ------------------------------------------------------------ registration
    def register_parameter(self, name, param):
        """Add a parameter (a Parameter, or None for an absent one such as ``bias=False``).

        Parameters
        ----------
        name : str
            The attribute name; no '.' and not an existing non-parameter attribute.
        param : Parameter or None
        """
        _valid_name("parameter", name, self)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        self._registry("_parameters")[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Keep a tensor that is state but not learnable (running statistics, say).

        Parameters
        ----------
        name : str
        tensor : Tensor or None
        persistent : bool, default True
            Whether the buffer belongs in ``state_dict`` (the bookkeeping is
            ``_non_persistent_buffers_set``, as in torch).
        """
        _valid_name("buffer", name, self)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._registry("_buffers")[name] = tensor
        non_persistent = self.__dict__.setdefault("_non_persistent_buffers_set", set())
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)

    def add_module(self, name, module):
        """Add a child module (or None) under name; the same as assigning the attribute."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _valid_name("module", name, self)
        self._registry("_modules")[name] = module

    register_module = add_module

    def _walk(self, target, what):
        """The submodule at a dotted path, for get_submodule / get_parameter / get_buffer."""
        module = self
        for part in target.split(".") if target else ():
            if not hasattr(module, part):
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def get_submodule(self, target):
        """The submodule at a dotted path such as ``'net.0'``; '' is the module itself."""
        return self._walk(target, "module")

    def _get_member(self, target, registry, kind):
        module_path, _, name = target.rpartition(".")
        module = self._walk(module_path, "module")
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        if name not in module._registry(registry):
            raise AttributeError(f"`{name}` is not {kind}")
        return getattr(module, name)

    def get_parameter(self, target):
        """The parameter at a dotted path such as ``'net.0.weight'``."""
        return self._get_member(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target):
        """The buffer at a dotted path such as ``'bn.running_mean'``."""
        return self._get_member(target, "_buffers", "a buffer")

    # ------------------------------------------------------------ discovery
    def named_children(self):
        """(name, module) for each direct child, each module once."""
        seen = set()
        pairs = []
        for name, module in self._registry("_modules").items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                pairs.append((name, module))
        return _Listing(pairs)

    def children(self):
        """Return the direct submodules, in assignment order, each once.

        Returns
        -------
        list of Module
            A list that ``next()`` also accepts (PyTorch returns a generator).
        """
        return _Listing(module for _, module in self.named_children())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and all below it, parents before children.

        Parameters
        ----------
        memo : set, optional
            Modules already listed (by object); they are skipped.
        prefix : str
            Put before every name.
        remove_duplicate : bool, default True
            List a module reachable by two paths once.
        """
        memo = set() if memo is None else memo
        pairs, stack = [], [(prefix, self)]
        while stack:  # depth first, children in order: the stack holds them reversed
            name, module = stack.pop()
            if remove_duplicate:
                if module in memo:
                    continue
                memo.add(module)
            pairs.append((name, module))
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._registry("_modules").items() if child is not None]
            stack.extend(reversed(children))
        return _Listing(pairs)

    def modules(self):
        """Return this module and every submodule below it, parents before children, each once.

        Returns
        -------
        list of Module
            A list that ``next()`` also accepts (PyTorch returns a generator).
        """
        return _Listing(module for _, module in self.named_modules())

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        seen, pairs = set(), []
        for module_name, module in modules:
            for name, value in module._registry(registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                pairs.append(((f"{module_name}.{name}" if module_name else name), value))
        return _Listing(pairs)

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs in definition order, each parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """The parameters in definition order, each once: a list that ``next()`` also accepts."""
        return _Listing(p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) pairs in definition order."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Return the registered buffers (running statistics, say) of this module and its submodules.

        Parameters
        ----------
        recurse : bool, default True
            Include the submodules' buffers; False lists this module's own only.

        Returns
        -------
        list of Tensor
            In definition order, each once; a list that ``next()`` also accepts.
        """
        return _Listing(b for _, b in self.named_buffers(recurse=recurse))

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

    # ------------------------------------------------------------ dtype and device
    def _cast(self, convert):
        """Give every parameter, its grad and every buffer the array convert(array) returns, where
        that is a new array; the Parameter objects stay the same, so optimizers still hold them."""
        for module in self.modules():
            for registry in ("_parameters", "_buffers"):
                for tensor in module._registry(registry).values():
                    if tensor is None:
                        continue
                    array = convert(tensor._array)
                    if array is tensor._array:
                        continue
                    grad = _engine.own_grad(tensor)
                    tensor.data = _engine.make_tensor(array)
                    if grad is not None:
                        tensor._grad_array = convert(grad)
        return self

    def _cast_floating(self, dtype):
        return self._cast(lambda array: array.astype(dtype) if array.dtype.kind == "f" and array.dtype != dtype
                          else array)

    def to(self, *args, **kwargs):
        """Cast floating-point parameters and buffers to a dtype; check the device.

        Accepts torch's forms ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``
        and their keywords. Only the CPU exists: any other device raises RuntimeError.

        Returns
        -------
        Module
            self, changed in place.
        """
        dtype = _to_args(args, dict(kwargs))
        return self if dtype is None else self._cast_floating(dtype)

    def cpu(self):
        """Returns self: everything already lives on the CPU."""
        return self

    def cuda(self, device=None):
        """Raises RuntimeError: microtorch runs on the CPU only."""
        _check_device("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device,
                      "Module.cuda")

    def float(self):
        """Cast floating-point parameters and buffers to float32; returns self."""
        return self._cast_floating(np.dtype(np.float32))

    def double(self):
        """Cast floating-point parameters and buffers to float64; returns self."""
        return self._cast_floating(np.dtype(np.float64))

    def half(self):
        """Cast floating-point parameters and buffers to float16; returns self."""
        return self._cast_floating(np.dtype(np.float16))

    # ------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        """Set training mode on this module and every module below it; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """train(False); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

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
        """Return the text shown inside the module's ``repr``, such as ``in_features=3, out_features=2``.

        Returns
        -------
        str
        """
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(child)) for name, child in self._registry("_modules").items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        elif lines:
            text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys the state_dict lacked and the ones it had extra."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__
