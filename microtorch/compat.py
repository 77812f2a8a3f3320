"""Run an unchanged PyTorch script on microtorch: ``python -m microtorch.compat script.py [args]``.

For that run only, ``import torch`` gives ``microtorch``, and ``torch.<name>`` gives
``microtorch.<name>`` for every submodule microtorch has: ``torch.nn``, ``torch.nn.functional``,
``torch.nn.init``, ``torch.optim``, ``torch.optim.lr_scheduler``, ``torch.utils.data`` (and its
``dataloader``, ``dataset``, ``sampler`` modules), ``torch.autograd``, ... The aliasing lives in
this process's ``sys.modules`` and import machinery (a meta-path finder); nothing named ``torch``
is installed, and DataLoader worker processes (forked) inherit it.

What works is what microtorch implements: small-model programs on the CPU (tensors and autograd,
layers, losses, optimizers and schedulers, datasets and loaders, ``nn.init``). What does not:

* ``torchvision``, ``torchaudio``, ``torchtext`` and other torch add-ons: importing them raises
  ModuleNotFoundError saying microtorch has no counterpart (bundle the data another way, e.g.
  ``sklearn.datasets.load_digits``);
* a ``torch.<name>`` submodule microtorch lacks (``torch.distributed``, ``torch.jit``, ...):
  ModuleNotFoundError naming it;
* CUDA: ``torch.cuda.is_available()`` is False and any non-CPU device raises a clear error.

Usage::

    python -m microtorch.compat train.py --epochs 3
"""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

import microtorch

__all__ = ["install", "main"]

_ADD_ONS = ("torchvision", "torchaudio", "torchtext", "torchdata", "torch_geometric", "torchmetrics",
            "pytorch_lightning", "lightning")


class _TorchAliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.*`` as the microtorch modules of the same name, and refuses
    torch's add-on packages with a message that says why."""

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top in _ADD_ONS:
            raise ModuleNotFoundError(
                f"No module named '{fullname}': microtorch.compat runs programs on microtorch, which has no "
                f"counterpart of {top} (load data with numpy or scikit-learn instead)", name=fullname)
        if top != "torch":
            return None
        target_name = "microtorch" + fullname[len("torch"):]
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as error:
            if error.name is not None and not target_name.startswith(error.name):
                raise  # a missing dependency of a microtorch module, not a missing alias
            raise ModuleNotFoundError(
                f"No module named '{fullname}': microtorch has no {target_name} (microtorch.compat maps "
                f"torch.<name> to microtorch.<name>; see python -m microtorch.compat --help)",
                name=fullname) from None
        return importlib.util.spec_from_loader(fullname, self, origin=getattr(module, "__file__", None))

    def __init__(self):
        self._own_specs = {}  # microtorch module name -> its own __spec__

    def create_module(self, spec):
        module = importlib.import_module("microtorch" + spec.name[len("torch"):])
        self._own_specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module):
        # The import system stamped the alias's spec on the shared module: give it its own back.
        module.__spec__ = self._own_specs.pop(module.__name__)


_finder = _TorchAliases()


def install():
    """Make ``import torch`` (and ``torch.*``) resolve to microtorch in this process."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name, module in list(sys.modules.items()):  # what microtorch has already imported
        if name == "microtorch" or name.startswith("microtorch."):
            sys.modules.setdefault("torch" + name[len("microtorch"):], module)


def main(argv=None):
    """Run argv[0] as __main__ with argv[1:] as its arguments, torch resolving to microtorch."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    script = argv[0]
    if not os.path.isfile(script):
        print(f"microtorch.compat: no such script: {script}", file=sys.stderr)
        return 2
    install()
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
