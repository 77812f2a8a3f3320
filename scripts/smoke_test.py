"""Smoke test of an installed microtorch: import, a training step, the scalar engine, compiled modules.

    python scripts/smoke_test.py                       # check the microtorch this Python imports
    python scripts/smoke_test.py --venv DIR WHEEL      # new virtual environment in DIR (no Cython),
                                                       # install WHEEL there, run this check in it

It needs numpy and microtorch only (no torch, no pytest), so cibuildwheel runs it on every
wheel it builds, and scripts/build_wheels.sh and tests/test_packaging.py run it on a fresh install.
"""
import argparse
import importlib
import importlib.machinery
import importlib.resources
import os
import pathlib
import subprocess
import sys
import tempfile
import venv

# The modules built from csrc/microtorch/*.pyx (tests/test_packaging.py keeps this list in step).
COMPILED_MODULES = ("_engine", "_grad_mode", "_scalar")
# Files an editor needs to complete the compiled API, installed beside the package (PEP 561).
TYPING_FILES = ("py.typed",) + tuple(f"{name}.pyi" for name in COMPILED_MODULES)


def check_compiled_modules():
    """The engine modules are C extensions (platform suffix), not pure-Python fallbacks."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    for name in COMPILED_MODULES:
        module = importlib.import_module(f"microtorch.{name}")
        path = module.__file__ or ""
        if not path.endswith(suffixes):
            raise AssertionError(f"microtorch.{name} is not a compiled extension: {path} "
                                 f"does not end with one of {suffixes}")


def check_typing_files():
    package = importlib.resources.files("microtorch")
    missing = [name for name in TYPING_FILES if not (package / name).is_file()]
    if missing:
        raise AssertionError(f"installed microtorch lacks {missing} (in {package})")


def check_training_step():
    """One SGD step on a Linear layer moves the weights by -lr * the analytic MSE gradient."""
    import numpy as np

    import microtorch

    microtorch.manual_seed(0)
    x_data = np.random.default_rng(0).standard_normal((8, 3))
    y_data = x_data @ np.array([[1.5], [-2.0], [0.5]]) + 0.25
    x, y = microtorch.tensor(x_data, dtype=np.float64), microtorch.tensor(y_data, dtype=np.float64)
    model = microtorch.Linear(3, 1, dtype=np.float64)
    optimizer = microtorch.SGD(model.parameters(), lr=0.1)

    weight, bias = model.weight.numpy().copy(), model.bias.numpy().copy()
    residual = x_data @ weight.T + bias - y_data
    loss = microtorch.mse_loss(model(x), y)
    assert np.isclose(loss.item(), np.mean(residual ** 2)), (loss.item(), np.mean(residual ** 2))
    optimizer.zero_grad()
    loss.backward()
    grad_weight = 2 * residual.T @ x_data / len(x_data)
    grad_bias = 2 * residual.sum(axis=0) / len(x_data)
    np.testing.assert_allclose(model.weight.grad.numpy(), grad_weight, rtol=1e-10)
    np.testing.assert_allclose(model.bias.grad.numpy(), grad_bias, rtol=1e-10)
    optimizer.step()
    np.testing.assert_allclose(model.weight.numpy(), weight - 0.1 * grad_weight, rtol=1e-10)
    np.testing.assert_allclose(model.bias.numpy(), bias - 0.1 * grad_bias, rtol=1e-10)
    assert microtorch.mse_loss(model(x), y).item() < loss.item()

    with microtorch.no_grad():
        assert not (model(x) * 2).requires_grad


def check_scalar_engine():
    from microtorch import Var

    a = Var(2.0, requires_grad=True)
    (a * a).backward()
    assert a.grad == 4.0, a.grad


def run_checks():
    import microtorch

    check_compiled_modules()
    check_typing_files()
    check_training_step()
    check_scalar_engine()
    print(f"microtorch {microtorch.__version__} smoke test passed: {pathlib.Path(microtorch.__file__).parent}")


def venv_python(directory):
    scripts = "Scripts" if os.name == "nt" else "bin"
    return pathlib.Path(directory) / scripts / ("python.exe" if os.name == "nt" else "python")


def run_in_new_venv(directory, wheel):
    """Install wheel into a new virtual environment (numpy from the index) and run the checks there."""
    venv.create(directory, with_pip=True, clear=True)
    python = str(venv_python(directory))
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(pathlib.Path(wheel).resolve())],
                   check=True, env=env)
    has_cython = subprocess.run([python, "-c", "import Cython"], env=env, capture_output=True).returncode == 0
    if has_cython:
        raise AssertionError(f"the new environment {directory} has Cython: it does not show that the wheel "
                             "installs without a build toolchain")
    # Run from an empty directory, so `import microtorch` cannot find a source tree.
    with tempfile.TemporaryDirectory() as empty:
        if subprocess.run([python, str(pathlib.Path(__file__).resolve())], env=env, cwd=empty).returncode:
            sys.exit(f"smoke test failed for {wheel} installed in {directory}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", metavar="DIR", help="create a new virtual environment here and test WHEEL in it")
    parser.add_argument("wheel", nargs="?", help="the wheel to install (with --venv)")
    args = parser.parse_args()
    if args.venv:
        if not args.wheel:
            parser.error("--venv needs the wheel to install")
        run_in_new_venv(args.venv, args.wheel)
    else:
        run_checks()


if __name__ == "__main__":
    main()
