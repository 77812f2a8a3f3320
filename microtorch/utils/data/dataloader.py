"""DataLoader: iterate over a dataset in batches; default_collate stacks samples into a batch."""
import collections.abc
from numbers import Number

import numpy as np

from microtorch._engine import make_tensor as _make
from microtorch.functional import stack
from microtorch.tensor import Tensor
from microtorch.utils.data.dataset import TensorDataset
from microtorch.utils.data.sampler import RandomSampler, SequentialSampler, _rng

__all__ = ["DataLoader", "default_collate"]


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
            return list(RandomSampler(self.dataset, self.generator))
        return list(SequentialSampler(self.dataset))

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
