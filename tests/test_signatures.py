"""Types and signatures: inspect.signature works on the compiled classes and functions (so help() and
editors show real parameters), and mypy passes on examples/. That each .pyi stub matches its compiled
module, names and signatures, is tests/test_packaging.py's test_stub_matches_compiled_module."""
import importlib
import inspect
import pathlib
import shutil
import subprocess
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMPILED = ["_engine", "_grad_mode", "_scalar"]


def compiled_callables():
    """(qualified name, object, is_method) for each public class, function and method of the compiled modules."""
    for name in COMPILED:
        module = importlib.import_module(f"microtorch.{name}")
        for attr, value in vars(module).items():
            if attr.startswith("_") or isinstance(value, types.ModuleType) or not callable(value):
                continue
            yield f"{name}.{attr}", value, False
            if inspect.isclass(value):
                for method_name, method in vars(value).items():
                    if not method_name.startswith("_") and callable(method) and not inspect.isclass(method):
                        yield f"{name}.{attr}.{method_name}", method, True


# Classes the engine creates itself: no constructor a user calls, so no signature to show.
NOT_CONSTRUCTED = {"_engine.Context", "_engine.TensorBase", "_engine.VersionCounter"}


@pytest.mark.parametrize("qualname, obj, is_method", [pytest.param(*item, id=item[0]) for item in compiled_callables()
                                                     if item[0] not in NOT_CONSTRUCTED])
def test_inspect_signature_works(qualname, obj, is_method):
    signature = inspect.signature(obj)  # raises ValueError where there is none
    if is_method and not isinstance(inspect.getattr_static(obj, "__func__", None), staticmethod):
        assert next(iter(signature.parameters), None) == "self", f"{qualname}{signature}"


def test_signatures_name_the_real_parameters():
    from microtorch import Var, enable_grad, no_grad, set_grad_enabled
    assert list(inspect.signature(Var).parameters) == ["value", "requires_grad", "req_grad"]
    assert inspect.signature(Var).parameters["req_grad"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(inspect.signature(Var.backward).parameters) == ["self", "gradient", "retain_graph"]
    assert inspect.signature(Var.backward).parameters["gradient"].default == 1.0
    assert list(inspect.signature(set_grad_enabled).parameters) == ["mode"]
    assert list(inspect.signature(no_grad).parameters) == list(inspect.signature(enable_grad).parameters) == []
    # and the docstring still starts with its summary, not the signature line
    assert inspect.getdoc(Var).startswith("One float64 number")
    assert inspect.getdoc(no_grad).startswith("Context manager and decorator")


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install mypy)")
def test_mypy_passes_on_the_examples():
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", "/dev/null",
                             "examples/"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
