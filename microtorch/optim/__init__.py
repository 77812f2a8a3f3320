"""Optimizers (microtorch.optim), as in torch.optim."""
from microtorch.optim.optimizer import SGD, Adam, Optimizer

__all__ = ["Optimizer", "SGD", "Adam"]
