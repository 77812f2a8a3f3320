"""Samplers: the order in which a DataLoader visits a dataset's indices, as torch.utils.data."""
import numbers

import numpy as np

from microtorch.random import Generator, _numpy_rng

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def _rng(generator):
    """The numpy Generator to draw from: a microtorch.Generator's, microtorch's default one (None),
    a new one from an int seed, or a numpy Generator itself (the last two: the original microtorch's)."""
    if generator is None or isinstance(generator, Generator):
        return _numpy_rng(generator)
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be None, a microtorch.Generator, an int seed or a numpy.random.Generator, "
                    f"got {type(generator).__name__}")


def _stateful(generator):
    """An int seed becomes a seeded microtorch.Generator once, so that each epoch draws anew."""
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return Generator().manual_seed(int(generator))
    _rng(generator)  # refuses a generator of the wrong type now rather than at the first epoch
    return generator


def _positive_int(name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
    return int(value)


class Sampler:
    """An iterable of dataset indices; define __iter__ (and __len__ where the count is known)."""

    def __init__(self, data_source=None):
        pass

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
    """Indices in a new random order each time it is iterated.

    Parameters
    ----------
    data_source : sized
    replacement : bool, default False
        Draw num_samples indices with replacement instead of a permutation.
    num_samples : int, optional
        How many indices (len(data_source) by default); more than that without replacement gives
        several permutations one after another, as torch.
    generator : microtorch.Generator, optional
        microtorch's default generator by default (an int seed or a numpy Generator also work).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source, self.replacement, self.generator = data_source, replacement, _stateful(generator)
        self._num_samples = num_samples
        _positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self):
        """int: how many indices one pass yields; ``len(data_source)`` (read at each call) unless given."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        rounds = -(-self.num_samples // n)
        return iter(np.concatenate([rng.permutation(n) for _ in range(rounds)])[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order each time."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, _stateful(generator)

    def __iter__(self):
        return iter([self.indices[i] for i in _rng(self.generator).permutation(len(self.indices)).tolist()])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices drawn with probability proportional to weights.

    Parameters
    ----------
    weights : sequence of float
        One non-negative weight per index (they need not sum to 1).
    num_samples : int
    replacement : bool, default True
        Without replacement, num_samples must not exceed the number of non-zero weights.
    generator : microtorch.Generator, optional
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.num_samples = _positive_int("num_samples", num_samples)
        weights = np.asarray(getattr(weights, "_array", weights), dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {weights.shape}")
        if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise RuntimeError("WeightedRandomSampler: cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        self.weights, self.replacement, self.generator = weights, replacement, _stateful(generator)

    def __iter__(self):
        chosen = _rng(self.generator).choice(len(self.weights), self.num_samples, replace=self.replacement,
                                             p=self.weights / self.weights.sum())
        return iter(chosen.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of batch_size (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, _positive_int("batch_size", batch_size), drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        count = len(self.sampler)
        return count // self.batch_size if self.drop_last else -(-count // self.batch_size)
