"""Which microtorch the benchmarks time: the installed package, or this checkout's source tree.

`python benchmarks/run.py` puts benchmarks/ (not the checkout) on sys.path, so an installed
microtorch is found first; only when none is installed does the built source tree serve.
"""
import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def import_microtorch():
    """Import microtorch, preferring an installed copy; returns (module, a line saying which)."""
    if importlib.util.find_spec("microtorch") is None:
        sys.path.insert(0, str(ROOT))
    import microtorch
    where = pathlib.Path(microtorch.__file__).resolve().parent
    kind = "source tree (not installed)" if where.parent == ROOT else "installed package"
    return microtorch, f"timing microtorch {microtorch.__version__}: {kind} at {where}"


def missing_peer(name):
    """None when the optional peer `name` imports, else a line saying it is skipped and how to get it."""
    if importlib.util.find_spec(name) is not None:
        return None
    return f"note: {name} is not installed; its columns are skipped (pip install \".[bench]\" installs it)"
