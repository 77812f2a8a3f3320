"""Every public name of the API has a numpydoc docstring with a one-line summary.

The walk: each namespace below, every public name it exports that microtorch defines
(functions, classes, submodules), and every public method and property of those classes
defined in a microtorch class (inherited members are checked once, on the class that
defines them). An override of a documented method (a layer's `forward`, an optimizer's
`step`) may leave its docstring to the base class, as in torch: autodoc and help() show
the inherited one. A failure lists every name whose docstring is missing or has no summary,
so the gaps are quick to fill.
"""
import importlib
import inspect
import re
import types

import pytest

NAMESPACES = ["microtorch", "microtorch.nn", "microtorch.nn.functional", "microtorch.nn.init",
              "microtorch.optim", "microtorch.optim.lr_scheduler", "microtorch.utils.data",
              "microtorch.autograd"]

# Cython's embedsignature puts `name(args) -> type` on the first line; it is not a summary.
_SIGNATURE_LINE = re.compile(r"^[\w.]+\(.*\)(\s*->\s*.+)?$")


def summary_of(obj):
    """The docstring's first line after any embedded signature, or '' when there is none."""
    doc = obj.__doc__ if isinstance(obj, (types.ModuleType, property)) else getattr(obj, "__doc__", None)
    if doc is None and inspect.ismemberdescriptor(obj):  # a slot documented through a __slots__ dict
        doc = inspect.getdoc(obj)
    if not isinstance(doc, str):
        return ""
    lines = inspect.cleandoc(doc).splitlines()
    while lines and _SIGNATURE_LINE.match(lines[0].strip()):
        lines = lines[1:]
        while lines and not lines[0].strip():
            lines = lines[1:]
    return lines[0].strip() if lines else ""


def is_ours(obj):
    module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
    return isinstance(module, str) and module.split(".")[0] == "microtorch"


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    return sorted(names)


def inherits_a_summary(cls, name):
    return any(name in vars(base) and summary_of(vars(base)[name]) for base in cls.__mro__[1:])


def members_of(cls):
    """(qualified name, object) of each public method/property defined in cls itself."""
    for name, value in vars(cls).items():
        if name.startswith("_") or inherits_a_summary(cls, name):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property) or inspect.isfunction(value) or inspect.ismethoddescriptor(value) \
                or inspect.isdatadescriptor(value) or inspect.isbuiltin(value):
            yield f"{cls.__module__}.{cls.__qualname__}.{name}", value


def public_api():
    """Every (name, object) the docstrings must cover, each object once."""
    seen, api = set(), []

    def add(name, obj):
        if id(obj) not in seen:
            seen.add(id(obj))
            api.append((name, obj))

    classes = []
    for namespace in NAMESPACES:
        module = importlib.import_module(namespace)
        add(namespace, module)
        for name in public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                if obj.__name__.startswith("microtorch"):
                    add(obj.__name__, obj)
            elif (inspect.isclass(obj) or callable(obj)) and is_ours(obj):
                add(f"{namespace}.{name}", obj)
                if inspect.isclass(obj):
                    classes.extend(cls for cls in obj.__mro__ if is_ours(cls))
    for cls in classes:
        if id(cls) not in seen:
            add(f"{cls.__module__}.{cls.__qualname__}", cls)
        for name, member in members_of(cls):
            add(name, member)
    return api


def test_the_walk_sees_the_api():
    names = {name for name, _ in public_api()}
    # A walk that found nothing would pass the test below vacuously.
    for expected in ["microtorch.tensor", "microtorch.nn.Linear", "microtorch.nn.module.Module.forward",
                     "microtorch.optim.sgd.SGD.step", "microtorch.tensor.Tensor.backward"]:
        assert any(name == expected or name.endswith("." + expected.split(".")[-1]) for name in names), expected
    assert len(names) > 300


def test_every_public_name_has_a_summary():
    missing = sorted(name for name, obj in public_api() if not summary_of(obj))
    if missing:
        pytest.fail(f"{len(missing)} public names have no docstring summary (numpydoc: a one-line "
                    "summary, then Parameters / Returns):\n  " + "\n  ".join(missing), pytrace=False)
