"""Utilities (microtorch.utils), as in torch.utils: data loading lives in microtorch.utils.data."""
from microtorch.utils import data, dlpack

__all__ = ["data", "dlpack"]
