"""Layers and losses (microtorch.nn), as in torch.nn."""
from microtorch.nn import functional, init
from microtorch.nn.functional import cross_entropy, mse_loss
from microtorch.nn.modules import (Dropout, Linear, Module, ModuleList, Parameter, ReLU, Sequential,
                                   Sigmoid, Softmax, Tanh)

__all__ = ["functional", "init", "Module", "Parameter", "ModuleList", "Sequential", "Linear", "Sigmoid",
           "Tanh", "ReLU", "Dropout", "Softmax", "mse_loss", "cross_entropy"]
