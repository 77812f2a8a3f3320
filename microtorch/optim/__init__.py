"""Optimizers, as torch.optim: the base class in optimizer.py, one file per optimizer family."""
from microtorch.optim import lr_scheduler
from microtorch.optim.adagrad import Adagrad
from microtorch.optim.adam import Adam, AdamW
from microtorch.optim.optimizer import Optimizer
from microtorch.optim.rmsprop import RMSprop
from microtorch.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
