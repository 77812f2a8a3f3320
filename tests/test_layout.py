"""The package's layout rules (ARCHITECTURE.md): no import cycles, and no file named for when it arrived."""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "microtorch"
ARRIVAL_WORDS = ("extra", "more", "misc", "layers", "new", "old", "tmp")


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    """Every module of the package: its Python files, and the compiled ones (by their .pyi stubs)."""
    return {_module_name(path): path for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.pyi")]}


def _imports(path, modules):
    """The package modules that path imports at module level (an import inside a function runs later)."""
    found = set()
    if path.suffix == ".pyi":
        return found  # a compiled module imports no Python module of the package
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if submodule in modules:
                    found.add(submodule)  # `from microtorch.nn import functional`
                elif node.module in modules:
                    found.add(node.module)
    return found


def _cycle(graph):
    """One import cycle as a list of modules, or None (depth-first search, without recursion)."""
    state = {}
    for root in sorted(graph):
        if root in state:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        state[root] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
            elif state.get(child) == "open":
                path = [n for n, _ in stack]
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_the_package_has_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph))}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("lower, upper", [("microtorch.ops", "microtorch.tensor"), ("microtorch.ops", "microtorch.nn"),
                                          ("microtorch.tensor", "microtorch.nn"), ("microtorch.tensor", "microtorch.optim"),
                                          ("microtorch.nn", "microtorch.optim")])
def test_imports_flow_one_way(lower, upper):
    """engine <- ops <- tensor <- nn / optim / utils: a lower layer never imports a higher one."""
    modules = _modules()
    for name, path in modules.items():
        if name == lower or name.startswith(lower + "."):
            bad = {m for m in _imports(path, modules) if m == upper or m.startswith(upper + ".")}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_no_file_is_named_for_when_it_arrived():
    for path in PACKAGE.rglob("*.py"):
        words = path.stem.strip("_").split("_")
        assert not set(words) & set(ARRIVAL_WORDS), f"{path.relative_to(PACKAGE)} is named for its arrival"


def test_old_import_paths_are_the_same_module_objects():
    import microtorch
    import microtorch.data
    import microtorch.utils.data
    from microtorch.gradcheck import GradcheckError
    assert microtorch.data is microtorch.utils.data
    assert GradcheckError is microtorch.autograd.GradcheckError
