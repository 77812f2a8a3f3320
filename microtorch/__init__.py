"""microtorch: a PyTorch-like deep learning library on a compiled (Cython) autograd engine.

The flat namespace of the original library works (`import microtorch as nn;
nn.Linear`, `microtorch.SGD`), and so do the PyTorch-style submodules
microtorch.nn, microtorch.nn.functional and microtorch.optim.
"""
from microtorch._version import __version__

try:
    from microtorch import _engine, _grad_mode  # noqa: F401  (compiled extension modules)
except ImportError as error:  # pragma: no cover - depends on how the package was installed
    raise ImportError(
        "microtorch's compiled engine (microtorch._engine) is missing: this looks like a source tree "
        "that was never built. Build it with `pip install .` (or `pip install -e .` for development, "
        "or `python setup.py build_ext --inplace`); a C compiler and Cython are needed. "
        f"Original error: {error}") from error

import sys as _sys

import numpy as _np

from microtorch import _dtype, autograd, backends, cuda, linalg, nn, ops, optim, random, return_types, utils
from microtorch._dtype import dtype, finfo, get_default_dtype, iinfo, set_default_dtype
from microtorch._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtorch.autograd import (detect_anomaly, Function, gradcheck, GradcheckError, inference_mode,
                                 is_inference_mode_enabled, set_detect_anomaly)
from microtorch.creation import (arange, as_tensor, asarray, bernoulli, BoolTensor, ByteTensor, CharTensor,
                                 DoubleTensor, empty, empty_like, eye, FloatTensor, from_numpy, full, full_like,
                                 HalfTensor, IntTensor, linspace, logspace, LongTensor, multinomial, normal, ones,
                                 ones_like, poisson, rand, rand_like, randint, randint_like, randn, randn_like,
                                 randperm, ShortTensor, tensor, uniform, zeros, zeros_like)
from microtorch.device import device
from microtorch.draw import draw, draw_to_html, to_dot
from microtorch.functional import *  # noqa: F401,F403  (the torch.* functions: sin, sum, cat, ...; see its __all__)
from microtorch.functional import absolute, clamp
from microtorch.nn import (ELU, GELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout, Embedding,
                           Flatten, LayerNorm, LeakyReLU, Linear, LogSoftmax, MaxPool2d, Module, ModuleDict,
                           ModuleList, Parameter, ReLU, Sequential, Sigmoid, SiLU, Softmax, Softplus, Tanh, functional)
from microtorch.nn.functional import cross_entropy, dropout, log_softmax, mse_loss, softmax
from microtorch.nn.init import kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform
from microtorch.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from microtorch.random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed,
                              set_rng_state)
from microtorch.scalar import Var
from microtorch import safetensors, serialization
from microtorch.serialization import load, save
from microtorch.tensor import Tensor
from microtorch._threads import get_num_threads, set_num_threads
from microtorch.utils.dlpack import from_dlpack

abs, clip = absolute, clamp  # torch's names; `abs` shadows the builtin only inside this namespace

# dtypes, by torch's names (microtorch.dtype objects standing for numpy dtypes, see _dtype.py);
# `float`, `int` and `bool` shadow the builtins only inside this namespace, as they do in torch.
float16, float32, float64, complex64, complex128 = (_dtype._BY_NAME[name] for name in (
    "float16", "float32", "float64", "complex64", "complex128"))
int8, int16, int32, int64, uint8, bool_ = (_dtype._BY_NAME[name] for name in (
    "int8", "int16", "int32", "int64", "uint8", "bool"))
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
bool = bool_

# Older import paths, as the same module objects (not copies): microtorch.data is
# microtorch.utils.data, and microtorch.gradcheck (the module) is microtorch.autograd.gradcheck.
data = utils.data
_sys.modules[__name__ + ".data"] = utils.data
_sys.modules[__name__ + ".gradcheck"] = _sys.modules["microtorch.autograd.gradcheck"]
