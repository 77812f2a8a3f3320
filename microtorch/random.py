"""The random number generator behind uniform, randn, dropout and layer initialisation."""
import numpy as np

_generator = np.random.default_rng()


def generator():
    """The global numpy Generator used by microtorch."""
    return _generator


def manual_seed(seed):
    """Reseed microtorch's global generator, for reproducible runs."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator
