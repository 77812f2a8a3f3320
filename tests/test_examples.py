"""Every example runs as a user runs it (a subprocess), in its quick mode, and reaches its figure."""
import gzip
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run(script, *args, cwd=None, check=True):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    return result


def percent(pattern, text):
    match = re.search(pattern + r" (\d+\.\d+)%", text)
    assert match, text
    return float(match.group(1)) / 100


def is_png(path):
    with open(path, "rb") as file:
        return file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_readme(tmp_path):
    out = run("readme.py", cwd=tmp_path).stdout
    last = [line for line in out.splitlines() if line.startswith("Epoch 29:")]
    assert last and abs(float(last[0].split(":")[1]) - 1.0) < 1e-4
    assert "MatMul" in (tmp_path / "model.html").read_text()


def test_digits_quick(tmp_path):
    result = run("digits.py", "--quick", "--out", tmp_path)
    accuracy = percent("test accuracy:", result.stdout)
    reloaded = percent("reloaded, it scores", result.stdout)
    assert accuracy == reloaded and accuracy > 0.8  # two epochs already learn most digits
    assert "training" in result.stderr and "loss=" in result.stderr  # the tqdm bar and its running loss
    assert is_png(tmp_path / "digits_curves.png")
    import microtorch
    state = microtorch.serialization.load_state(tmp_path / "digits_mlp.npz")
    assert state["0.weight"].shape == (128, 64) and state["3.weight"].shape == (10, 128)


def test_digits_full_run_reaches_96_percent(tmp_path):
    result = run("digits.py", "--out", tmp_path)  # a few seconds; the script also checks the target
    accuracy = percent("test accuracy:", result.stdout)
    assert accuracy >= 0.96
    assert percent("reloaded, it scores", result.stdout) == accuracy


def test_custom_op_quick(tmp_path):
    out = run("custom_op.py", "--quick", "--out", tmp_path).stdout
    assert "gradcheck(Softplus): backward agrees with finite differences" in out
    assert "gradcheck(SoftplusWithABug) caught the bug" in out and "analytic" in out
    first, last = map(float, re.search(r"mse (\S+) at step 1, (\S+) after", out).groups())
    assert last < first / 10
    assert is_png(tmp_path / "custom_op_fit.png")


def test_moons_quick(tmp_path):
    if not (EXAMPLES / "moons.py").exists():
        pytest.skip("examples/moons.py is not written yet")
    pytest.importorskip("microtorch._scalar")
    out = run("moons.py", "--quick", "--out", tmp_path / "moons.png").stdout
    assert "accuracy" in out
    assert is_png(tmp_path / "moons.png")


# ---------------------------------------------------------------- MNIST from IDX files

def write_idx(path, array):
    """A minimal IDX writer: magic (0, 0, type code, ndim), big-endian dims, big-endian data."""
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if str(path).endswith(".gz") else open)(path, "wb") as file:
        file.write(data)


def mnist_module():
    spec = importlib.util.spec_from_file_location("mnist_example", EXAMPLES / "mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def digits_as_idx(tmp_path):
    """scikit-learn's real 8x8 digits as MNIST-style IDX files, half of them gzipped."""
    from sklearn.datasets import load_digits
    images, labels = load_digits(return_X_y=True)
    images = (images.reshape(-1, 8, 8) * 255 / 16).round().astype(np.uint8)
    labels = labels.astype(np.uint8)
    folder = tmp_path / "data"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte.gz", images[:1400])
    write_idx(folder / "train-labels-idx1-ubyte", labels[:1400])
    write_idx(folder / "t10k-images-idx3-ubyte", images[1400:])
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels[1400:])
    return folder, images, labels


def test_mnist_trains_on_idx_files(tmp_path, digits_as_idx):
    folder, _, _ = digits_as_idx
    out = run("mnist.py", folder, "--quick", "--epochs", 10, "--out", tmp_path / "out").stdout
    assert "1400 training and 397 test images of 64 pixels" in out
    assert percent("test accuracy:", out) > 0.8  # chance is 10%
    assert (tmp_path / "out" / "mnist_mlp.npz").exists()


def test_mnist_reads_what_the_writer_wrote(tmp_path, digits_as_idx):
    folder, images, labels = digits_as_idx
    mnist = mnist_module()
    x_train, y_train, x_test, y_test = mnist.load_mnist(str(folder))
    np.testing.assert_array_equal(x_train.reshape(-1, 8, 8) * 255, images[:1400].astype(np.float32))
    np.testing.assert_array_equal(y_test, labels[1400:])
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    for dtype in (np.int8, np.int16, np.int32, np.float32, np.float64):
        array = (np.arange(24) - 12).reshape(2, 3, 4).astype(dtype)
        write_idx(tmp_path / "array.idx", array)
        np.testing.assert_array_equal(mnist.read_idx(str(tmp_path / "array.idx")), array)


def test_mnist_rejects_broken_files(tmp_path, digits_as_idx):
    folder, _, _ = digits_as_idx
    mnist = mnist_module()
    (tmp_path / "not-idx").write_bytes(b"PK\x03\x04 something else")
    with pytest.raises(ValueError, match="not an IDX file"):
        mnist.read_idx(str(tmp_path / "not-idx"))
    truncated = (folder / "train-labels-idx1-ubyte").read_bytes()[:-10]
    (folder / "train-labels-idx1-ubyte").write_bytes(truncated)
    with pytest.raises(ValueError, match=r"shape \(1400,\).*but the file has 1398 bytes"):
        mnist.load_mnist(str(folder))


def test_mnist_says_which_files_are_missing(tmp_path, digits_as_idx):
    folder, _, _ = digits_as_idx
    (folder / "t10k-images-idx3-ubyte").unlink()
    (folder / "train-images-idx3-ubyte.gz").unlink()
    result = run("mnist.py", folder, check=False)
    assert result.returncode != 0
    message = result.stderr
    assert f"missing from {folder}" in message
    assert "train-images-idx3-ubyte, t10k-images-idx3-ubyte." in message
    assert "never downloads" in message and "gzipped (.gz)" in message
    assert "Traceback" not in message


def test_pinn_quick(tmp_path):
    result = run("pinn.py", "--quick", "--plot", tmp_path / "pinn.png")
    error = float(re.search(r"relative L2 error against the exact solution: (\S+)", result.stdout).group(1))
    assert error < 0.1   # 300 steps already get within a few percent (3.3e-2 measured); the full run 1e-4
    assert is_png(tmp_path / "pinn.png")


def test_gradient_penalty_quick(tmp_path):
    result = run("gradient_penalty.py", "--quick", "--plot", tmp_path / "wgan.png")
    slopes = [float(s) for s in re.findall(r"mean \|grad critic\| (\S+)", result.stdout)]
    assert len(slopes) >= 3 and all(np.isfinite(slopes))
    assert re.search(r"modes covered: \d of 8", result.stdout)
    assert is_png(tmp_path / "wgan.png")
