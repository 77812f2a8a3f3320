"""Random number generators: torch's `Generator`, and the default one behind rand, randn,
dropout, layer initialisation and shuffling.

Each Generator wraps a numpy `np.random.Generator` (PCG64). microtorch's streams are its own:
the same seed gives the same numbers run after run, but not the numbers torch gives.
"""
import numpy as np

from microtorch.device import _check_device


class Generator:
    """A source of random numbers, as ``torch.Generator``.

    Parameters
    ----------
    device : str, optional
        Only ``'cpu'`` is supported.

    Examples
    --------
    >>> g = microtorch.Generator().manual_seed(0)
    >>> microtorch.rand(2, generator=g)  # doctest: +SKIP
    """

    def __init__(self, device="cpu"):
        self.device = _check_device(device, "Generator")
        self.seed()

    def manual_seed(self, seed):
        """Reseed this generator; returns it, as torch does."""
        seed = int(seed)
        if seed < 0:
            seed &= (1 << 64) - 1  # torch accepts negative seeds as their two's complement
        self._initial_seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._initial_seed


default_generator = Generator()


def _numpy_rng(generator=None):
    """The numpy Generator behind `generator`, or behind the default one when it is None."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a microtorch.Generator, got {type(generator).__name__}")
    return generator._rng


def generator():
    """The numpy Generator behind microtorch's default generator."""
    return default_generator._rng


def manual_seed(seed):
    """Reseed microtorch's default generator, for reproducible runs; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Reseed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()
