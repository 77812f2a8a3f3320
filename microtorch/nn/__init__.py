"""Layers and losses (microtorch.nn), as in torch.nn."""
from microtorch.nn import functional, init
from microtorch.nn.functional import cross_entropy, mse_loss
from microtorch.nn.modules import (Dropout, Linear, Module, ModuleList, Parameter, ReLU, Sequential,
                                   Sigmoid, Softmax, Tanh)

__all__ = ["functional", "init", "Module", "Parameter", "ModuleList", "Sequential", "Linear", "Sigmoid",
           "Tanh", "ReLU", "Dropout", "Softmax", "mse_loss", "cross_entropy"]

# Convolution, pooling, normalisation, embedding, more activations and losses, ModuleDict; clipping.
from microtorch.nn import layers, utils  # noqa: E402
from microtorch.nn.layers import *  # noqa: E402,F401,F403
from microtorch.nn.functional import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: E402,F401
                                      huber_loss, l1_loss, nll_loss, smooth_l1_loss)

__all__ += ["layers", "utils"] + layers.__all__
