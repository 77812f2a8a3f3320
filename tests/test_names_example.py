"""examples/names.py runs as a user runs it (a subprocess), for a few steps of every model."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_names(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "names.py"), *map(str, args)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"names.py failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.parametrize("model", ["bigram", "mlp", "lstm", "transformer"])  # rnn and gru share lstm's code
def test_names_smoke(model, tmp_path):
    plot = tmp_path / "loss.png"
    result = run_names("--model", model, "--steps", 3, "--batch-size", 8, "--names", 300, "--samples", 3,
                       "--plot", plot)
    losses = re.search(r"train loss (\S+) nats/char, test loss (\S+) nats/char", result.stdout)
    train, test = map(float, losses.groups())
    assert 1.0 < test < 4.0 and 1.0 < train < 4.0  # a few steps from uniform (log 27 = 3.3)
    samples = re.search(r"samples: (.*)", result.stdout).group(1).split(", ")
    assert len(samples) == 3 and all(re.fullmatch(r"[a-z]*", s) for s in samples)
    assert model in result.stderr and "it/s" in result.stderr  # the tqdm bar
    with open(plot, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_names_runs_on_torch_with_the_same_code(tmp_path):
    pytest.importorskip("torch")
    result = run_names("--model", "gru", "--steps", 2, "--names", 300, "--samples", 2, "--plot", "",
                       "--engine", "torch")
    assert "gru on torch" in result.stdout and "test loss" in result.stdout
