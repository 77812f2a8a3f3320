"""Sphinx configuration: the API reference (autodoc + numpydoc), the example gallery (sphinx-gallery),
the tutorial notebooks (myst-nb), furo.

Build from the repository root, offline, warnings as errors:

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Why these: Sphinx is what PyTorch and scikit-learn document with, so a learner moving on finds the
same layout; numpydoc reads the numpydoc docstrings microtorch is written with; sphinx-gallery runs
each example at build time and puts its printed output and plots on the page, as scikit-learn's
gallery does; myst-nb runs the tutorial notebooks (stored without outputs) at build time with a
Jupyter kernel, and renders Markdown cells with MyST, so it needs no pandoc; furo is a clean,
readable theme that needs no network.
"""
import importlib
import inspect
import os
import pathlib
import re
import sys
import warnings

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))               # import microtorch from this tree (built in place or installed)
sys.path.insert(0, str(ROOT / "examples"))  # the gallery scripts import the examples' functions

import microtorch  # noqa: E402

project = "microtorch"
author = "the microtorch developers"
copyright = "the microtorch developers"
release = version = microtorch.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "gallery/README.rst", "**/sg_execution_times.rst",
                    "auto_examples/**.ipynb"]  # sphinx-gallery's notebook downloads are not pages
html_theme = "furo"
html_title = f"microtorch {version}"

autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # the class template lists members through autodoc instead
numpydoc_class_members_toctree = False

sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "capture_repr": ("_repr_html_", "__repr__"),  # a drawn Graph shows as the drawing
    "abort_on_example_error": True,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib",),
}

# The notebooks in notebooks/ are stored without outputs and run on every build, in their own folder;
# a cell that raises, or a notebook slower than the timeout (seconds), fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
# The Jupyter kernel is a separate process: it imports microtorch from this tree too.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])

# ------------------------------------------------------------------ the API reference, listed at build time
# Each namespace's page lists what it exports today, so names added later appear without editing
# these docs; tests/test_docstrings.py walks the same namespaces and fails on a missing docstring.
NAMESPACES = ["microtorch", "microtorch.nn", "microtorch.nn.functional", "microtorch.nn.init",
              "microtorch.optim", "microtorch.optim.lr_scheduler", "microtorch.utils.data",
              "microtorch.autograd"]


def _public(module):
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    out = {}
    for name in names:
        obj = getattr(module, name)
        owner = getattr(obj, "__module__", None) or ""
        if inspect.ismodule(obj) or not owner.startswith("microtorch") or not callable(obj):
            continue  # submodules have their own page; numpy dtypes and constants are not microtorch's
        out[name] = obj
    return out


def _write_reference():
    exported = {ns: _public(importlib.import_module(ns)) for ns in NAMESPACES}
    elsewhere = {id(obj) for ns, names in exported.items() if ns != "microtorch" for obj in names.values()}
    folder = DOCS / "reference"
    folder.mkdir(exist_ok=True)
    toc = ["API reference", "=============", "",
           "Every public name, by namespace, as in ``torch``. Pages are generated from the code's",
           "docstrings when the docs are built.", "", ".. toctree::", "   :maxdepth: 1", ""]
    for ns in NAMESPACES:
        module = importlib.import_module(ns)
        names = exported[ns]
        if ns == "microtorch":  # the flat namespace re-exports layers etc.: list those once, where they live
            names = {n: o for n, o in names.items() if id(o) not in elsewhere}
        classes = sorted(n for n, o in names.items() if inspect.isclass(o))
        functions = sorted(n for n, o in names.items() if not inspect.isclass(o))
        summary = (inspect.getdoc(module) or "").split("\n\n")[0]
        lines = [ns, "=" * len(ns), "", f".. automodule:: {ns}", "   :no-members:", "",
                 f".. currentmodule:: {ns}", ""]
        # Class pages use _templates/autosummary/class.rst, which overrides autosummary's own.
        for title, group in [("Classes", classes), ("Functions", functions)]:
            if not group:
                continue
            lines += [title, "-" * len(title), "", ".. autosummary::", "   :toctree: generated", "   :nosignatures:"]
            lines += [""] + [f"   {name}" for name in group] + [""]
        (folder / f"{ns}.rst").write_text("\n".join(lines))
        toc.append(f"   {ns}")
    (folder / "index.rst").write_text("\n".join(toc) + "\n")


_write_reference()


# ------------------------------------------------------------------ the engine page's drawing
def _draw_engine_graph():
    """The graph on engine.rst, drawn by microtorch itself at build time (the README's figure)."""
    sys.path.insert(0, str(DOCS))
    import make_figures
    folder = DOCS / "generated_figures"
    folder.mkdir(exist_ok=True)
    make_figures.draw_mlp_graph(folder / "engine_graph.svg")


_draw_engine_graph()


# ------------------------------------------------------------------ docstring sections numpydoc does not know
_SECTION = re.compile(r"^(\S.*)\n-+$", re.M)


def _shape_as_rubric(app, what, name, obj, options, lines):
    """Layer docstrings have a "Shape" section, as PyTorch's; numpydoc drops sections it does not
    know, so move it, as a rubric, to the end of the extended summary, before numpydoc parses."""
    text = "\n".join(lines)
    headers = list(_SECTION.finditer(text))
    shape = next((i for i, h in enumerate(headers) if h.group(1).strip() == "Shape"), None)
    if shape is None:
        return
    start = headers[shape].start()
    end = headers[shape + 1].start() if shape + 1 < len(headers) else len(text)
    body = text[headers[shape].end():end].strip("\n")
    text = text[:start] + text[end:]
    first = headers[0].start()
    text = text[:first] + ".. rubric:: Shape\n\n" + body + "\n\n" + text[first:]
    lines[:] = text.splitlines()


# numpydoc also parses docstrings for signatures, before the event above runs: its "Unknown section
# Shape" warning there is expected (Python's warning, not Sphinx's, so -W would not catch it anyway).
warnings.filterwarnings("ignore", message="Unknown section Shape", category=UserWarning)


def setup(app):
    app.connect("autodoc-process-docstring", _shape_as_rubric, priority=100)  # numpydoc runs at 500
