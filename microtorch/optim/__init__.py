"""Optimizers (microtorch.optim), as in torch.optim."""
from microtorch.optim.optimizer import SGD, Adam, AdamW, Optimizer
from microtorch.optim.more import Adagrad, RMSprop
from microtorch.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
