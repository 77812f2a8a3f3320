"""Utilities (microtorch.utils), as in torch.utils: data loading lives in microtorch.utils.data."""
from microtorch.utils import data

__all__ = ["data"]
