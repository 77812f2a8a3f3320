"""The tutorial notebooks in docs/notebooks/ are stored without outputs (the docs build runs them,
see docs/conf.py) and are listed in the docs' table of contents. Running them is the docs build's job."""
import ast
import json
import pathlib

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
NOTEBOOKS = sorted((DOCS / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= {"autograd_from_scratch.ipynb", "cnn_digits.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text())
    assert notebook["nbformat"] == 4
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    for cell in code:
        source = "".join(cell["source"])
        assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}: outputs stored for {source[:60]!r}"
        ast.parse(source)  # a syntax error here would only show at the docs build


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_toctree(path):
    assert f"notebooks/{path.stem}" in (DOCS / "index.rst").read_text()
