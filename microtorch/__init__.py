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

from microtorch import nn, ops, optim, random
from microtorch._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from microtorch import autograd
from microtorch.autograd import Function, detect_anomaly, set_detect_anomaly
from microtorch.draw import draw_to_html
from microtorch.draw import draw, to_dot
from microtorch.gradcheck import GradcheckError, gradcheck
from microtorch.nn import functional
from microtorch.nn.functional import cross_entropy, dropout, mse_loss, softmax
from microtorch.nn.init import kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform
from microtorch.nn.modules import (Dropout, Linear, Module, ModuleList, Parameter, ReLU, Sequential,
                                   Sigmoid, Softmax, Tanh)
from microtorch.optim import SGD, Adam, Optimizer
from microtorch.random import manual_seed
from microtorch.scalar import Var
from microtorch.serialization import load, save
from microtorch.tensor import (Tensor, arange, argmax, cat, concat, concatenate, full, ones, ones_like, rand,
                               randn, split, stack, tensor, uniform, zeros, zeros_like)

from microtorch import ops_extra, ops_nn, utils
from microtorch import data  # microtorch.utils.data, as a shorter name
from microtorch.nn.layers import (AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Embedding, Flatten, GELU,
                                  LayerNorm, LeakyReLU, ELU, LogSoftmax, MaxPool2d, ModuleDict, SiLU, Softplus)
from microtorch.nn.functional import log_softmax
from microtorch.optim import AdamW, Adagrad, RMSprop
from microtorch.tensor import (absolute, absolute as abs, argmin, chunk, clamp, clamp as clip, flatten, gather,
                               index_select, masked_fill, maximum, minimum, sqrt, squeeze, tril, triu, unsqueeze,
                               where)

import numpy as _np

float32, float64, int32, int64, bool_ = _np.float32, _np.float64, _np.int32, _np.int64, _np.bool_
