"""microtorch.data: the same as microtorch.utils.data (Dataset, TensorDataset, DataLoader, ...)."""
from microtorch.utils.data import *  # noqa: F401,F403
from microtorch.utils.data import __all__  # noqa: F401
