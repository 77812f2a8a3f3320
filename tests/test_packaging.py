"""Packaging: the type stubs match the compiled modules, and sdist -> wheel -> new venv works.

The slow test builds the sdist from a copy of this tree, the wheel from that sdist (in build's
isolated environment, so pyproject's build requirements are checked), installs the wheel into a
new virtual environment without Cython and runs scripts/smoke_test.py there. Skip it with
`-m "not slow"`.
"""
import ast
import importlib
import importlib.util
import inspect
import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "microtorch"
PYX_MODULES = sorted(path.stem for path in (ROOT / "csrc" / "microtorch").glob("*.pyx"))


def _load_smoke_test():
    spec = importlib.util.spec_from_file_location("smoke_test", ROOT / "scripts" / "smoke_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_test_and_stubs_cover_every_compiled_module():
    assert sorted(_load_smoke_test().COMPILED_MODULES) == PYX_MODULES
    # data.pyi is the one stub of a Python module: it tells type checkers that microtorch.data is
    # microtorch.utils.data (an alias made at import time).
    assert sorted(path.stem for path in PACKAGE.glob("*.pyi") if path.stem != "data") == PYX_MODULES, \
        "a stub without its .pyx"


def test_smoke_test_passes_on_this_build():
    _load_smoke_test().run_checks()


def test_an_unbuilt_source_tree_says_how_to_build(tmp_path):
    # The Python files without the compiled modules: import must fail loudly, never fall back.
    shutil.copytree(PACKAGE, tmp_path / "microtorch",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    # -S: no site-packages, whose editable-install finder would map `microtorch` to the built tree.
    result = subprocess.run([sys.executable, "-S", "-c", "import microtorch"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "never built" in result.stderr and "pip install" in result.stderr


# ---- stubs ------------------------------------------------------------------------------------

def _is_property(node):
    return any((isinstance(d, ast.Name) and d.id == "property")
               or (isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter"))
               for d in node.decorator_list)


def _stub_members(body):
    """Names the stub declares (functions, classes, annotated fields), without its private aliases."""
    members = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            members.setdefault(node.name, node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            members[node.target.id] = node
    return members


def _runtime_public(names, skip=()):
    return {name for name in names if not name.startswith("_") and name not in skip}


def _check_signature(where, stub_node, runtime):
    try:
        signature = inspect.signature(runtime)
    except (TypeError, ValueError):
        return  # slot wrappers of cdef classes (__init__, __add__) carry no signature
    stub_args = stub_node.args
    stub_names = [a.arg for a in stub_args.posonlyargs + stub_args.args]
    stub_names += ([f"*{stub_args.vararg.arg}"] if stub_args.vararg else [])
    stub_names += [a.arg for a in stub_args.kwonlyargs]
    runtime_names = [("*" if p.kind is p.VAR_POSITIONAL else "") + p.name
                     for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    assert stub_names == runtime_names, f"{where}: stub parameters {stub_names} != runtime {runtime_names}"


@pytest.mark.parametrize("name", PYX_MODULES)
def test_stub_matches_compiled_module(name):
    stub_path = PACKAGE / f"{name}.pyi"
    assert stub_path.is_file(), f"microtorch/{name}.pyi is missing: every compiled module ships a stub"
    module = importlib.import_module(f"microtorch.{name}")
    stub = _stub_members(ast.parse(stub_path.read_text()).body)

    runtime = _runtime_public(vars(module), skip={n for n, v in vars(module).items() if inspect.ismodule(v)})
    assert runtime <= set(stub), f"{name}.pyi lacks {sorted(runtime - set(stub))}"
    assert set(stub) <= set(vars(module)), f"{name}.pyi declares {sorted(set(stub) - set(vars(module)))}, " \
                                           f"which microtorch.{name} does not have"

    for member, node in stub.items():
        value = getattr(module, member)
        if isinstance(node, ast.FunctionDef):
            _check_signature(f"{name}.{member}", node, value)
        elif isinstance(node, ast.ClassDef):
            fields = _stub_members(node.body)
            public = _runtime_public(set(dir(value)) - set(dir(object)))
            assert public <= set(fields), f"{name}.pyi: class {member} lacks {sorted(public - set(fields))}"
            for field, field_node in fields.items():
                if field == "__getattr__":
                    continue  # declares the free-form attributes (ctx.dim = ...) to type checkers
                assert hasattr(value, field), f"{name}.pyi: {member}.{field} does not exist at run time"
                attribute = inspect.getattr_static(value, field)
                if isinstance(field_node, ast.FunctionDef) and _is_property(field_node):
                    assert inspect.isdatadescriptor(attribute), f"{name}.pyi: {member}.{field} is not a property"
                elif isinstance(field_node, ast.FunctionDef) and not field.startswith("__"):
                    _check_signature(f"{name}.{member}.{field}", field_node, attribute)


# ---- sdist -> wheel -> new virtual environment -------------------------------------------------

# Build artefacts and environments of a working tree that must not reach the copy.
_NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                      ".*_cache", ".hypothesis", ".benchmarks", "*.so", "*.pyd", "*.c", "*.html")


@pytest.mark.slow
def test_sdist_builds_a_wheel_that_works_in_a_new_venv(tmp_path):
    source, dist = tmp_path / "source", tmp_path / "dist"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES)
    # With neither --sdist nor --wheel, build makes the sdist, then the wheel from the unpacked sdist.
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (sdist,), (wheel,) = dist.glob("*.tar.gz"), dist.glob("*.whl")

    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        sdist_files = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {f"csrc/microtorch/{name}.{kind}" for name in PYX_MODULES for kind in ("pyx", "pxd")}
    expected |= {"README.md", "LICENSE", "pyproject.toml", "setup.py", "scripts/smoke_test.py",
                 "tests/test_packaging.py", "examples/readme.py"}
    assert expected <= sdist_files, f"{top} lacks {sorted(expected - sdist_files)}"
    assert any(name.startswith("benchmarks/") and name.endswith(".py") for name in sdist_files)
    generated = sorted(name for name in sdist_files if name.endswith((".c", ".so", ".pyd")))
    assert not generated, f"the sdist carries generated files: {generated}"

    with zipfile.ZipFile(wheel) as archive:
        wheel_files = set(archive.namelist())
    stubs = {f"microtorch/{name}.pyi" for name in PYX_MODULES} | {"microtorch/data.pyi", "microtorch/py.typed"}
    assert stubs <= wheel_files, f"{wheel.name} lacks {sorted(stubs - wheel_files)}"
    if shutil.which("unzip"):  # and as a user would check it: `unzip -l` lists the stubs
        listing = subprocess.run(["unzip", "-l", str(wheel)], capture_output=True, text=True, check=True).stdout
        listed = {line.split()[-1] for line in listing.splitlines() if line.strip().endswith((".pyi", "py.typed"))}
        assert stubs <= listed, f"unzip -l {wheel.name} does not list {sorted(stubs - listed)}"
    for name in PYX_MODULES:
        assert any(f.startswith(f"microtorch/{name}.") and f.endswith((".so", ".pyd")) for f in wheel_files), \
            f"{wheel.name} has no compiled microtorch.{name}"
    assert not [f for f in wheel_files if f.endswith((".pyx", ".pxd", ".c"))]

    # The smoke test re-runs itself in the new environment, from an empty directory.
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "smoke_test.py"),
                             "--venv", str(tmp_path / "venv"), str(wheel)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
