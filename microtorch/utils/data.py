"""Datasets and the DataLoader that batches them, as torch.utils.data (also microtorch.data).

    dataset = TensorDataset(images, labels)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, generator=0)
    for x, y in loader:
        ...
"""
import collections.abc
import math
from numbers import Number

import numpy as np

from microtorch.tensor import Tensor, _make, stack

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]


class Dataset:
    """A sized collection of samples: define __getitem__(index) and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are the index-th rows of each tensor (or numpy array), all with the same first dim."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else _make(np.asarray(t)) for t in tensors)
        lengths = [len(t) for t in self.tensors]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same first dim, got shapes "
                             f"{[t.shape for t in self.tensors]}")

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of dataset at the given indices."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


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


def random_split(dataset, lengths, generator=None):
    """Split dataset into non-overlapping random Subsets of the given lengths (or fractions summing to 1)."""
    total = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [int(math.floor(total * fraction)) for fraction in lengths]
        for i in range(total - sum(counts)):  # the remainder goes round-robin, as in PyTorch
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != total or any(x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths {lengths} must be non-negative and sum to the dataset's "
                         f"length {total}")
    order = _rng(generator).permutation(total).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets


def default_collate(batch):
    """Stack a list of samples into a batch: Tensors and numpy arrays are stacked into one Tensor,
    numbers become a Tensor (int64 or float64, as in PyTorch), and tuples, lists and dicts are
    collated field by field."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, (np.ndarray, np.generic)):
        return _make(np.stack([np.asarray(sample) for sample in batch]))
    if isinstance(elem, (bool, Number)):
        kind = np.int64 if isinstance(elem, (bool, int)) and not isinstance(elem, float) else np.float64
        return _make(np.array(batch, dtype=np.bool_ if isinstance(elem, bool) else kind))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("default_collate: each sample in the batch should have the same number of fields")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(elem).__name__}; "
                    "pass collate_fn= to DataLoader")


class DataLoader:
    """Iterate over a dataset in batches: optional shuffling (a new order each epoch), drop_last, collate_fn.

    generator: an int seed or a numpy Generator for the shuffle order; by default microtorch's
    global generator (see microtorch.manual_seed).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False, collate_fn=None,
                 generator=None):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive")
        self.dataset, self.batch_size, self.shuffle, self.sampler = dataset, int(batch_size), shuffle, sampler
        self.drop_last = drop_last
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = _rng(generator) if generator is not None else None

    def _order(self):
        if self.sampler is not None:
            return list(self.sampler)
        if self.shuffle:
            return _rng(self.generator).permutation(len(self.dataset)).tolist()
        return list(range(len(self.dataset)))

    def __iter__(self):
        order = self._order()
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
                # one fancy index per tensor gives the same batch as stacking the samples one by one
                yield [t[np.asarray(indices)] for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        count = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return count // self.batch_size if self.drop_last else -(-count // self.batch_size)
