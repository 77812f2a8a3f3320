"""Utilities for training networks, as torch.nn.utils."""
from microtorch.nn.utils import rnn
from microtorch.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_"]
