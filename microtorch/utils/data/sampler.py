"""Samplers: the order in which a DataLoader visits a dataset's indices."""
import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler"]


def _rng(generator):
    """A numpy Generator: the given one, a new one from an int seed, or microtorch's global one."""
    if generator is None:
        from microtorch.random import generator as global_generator
        return global_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be None, an int seed or a numpy.random.Generator, got {type(generator).__name__}")


class Sampler:
    """An iterable of dataset indices; define __iter__ (and __len__ where the count is known)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random permutation of the indices each time it is iterated.

    generator: an int seed or a numpy Generator; by default microtorch's global generator.
    """

    def __init__(self, data_source, generator=None):
        self.data_source = data_source
        self.generator = generator

    def __iter__(self):
        return iter(_rng(self.generator).permutation(len(self.data_source)).tolist())

    def __len__(self):
        return len(self.data_source)
