"""Make the README's figures again: docs/graph.svg and docs/digits_curves.png.

    python docs/make_figures.py        # from the repository root; needs Graphviz's `dot`
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

import microtorch
from microtorch import nn

DOCS = pathlib.Path(__file__).resolve().parent


def draw_mlp_graph(path=DOCS / "graph.svg"):
    """A small MLP's loss graph after backward, with parameter names and gradients (the README's
    figure, and the one on docs/engine.rst, drawn when the docs are built)."""
    microtorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = microtorch.tensor([[0.5, -1.0], [2.0, 0.25]])
    loss = microtorch.mse_loss(model(x), microtorch.tensor([[1.0], [0.0]]))
    loss.backward(retain_graph=True)
    path = microtorch.draw(loss, path, show_grad=True, params=dict(model.named_parameters()))
    print(f"wrote {path}")


def plot_digits_curves():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, str(DOCS.parent / "examples" / "digits.py"), "--out", out], check=True)
        shutil.copy(pathlib.Path(out) / "digits_curves.png", DOCS / "digits_curves.png")
    print(f"wrote {DOCS / 'digits_curves.png'}")


if __name__ == "__main__":
    draw_mlp_graph()
    plot_digits_curves()
