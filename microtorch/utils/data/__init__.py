"""Datasets and the DataLoader that batches them, as torch.utils.data (also microtorch.data).

Usage::

    dataset = TensorDataset(images, labels)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2)
    for x, y in loader:
        ...

dataset.py (Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, random_split),
sampler.py (the samplers), dataloader.py (DataLoader, its worker processes, default_collate).
"""
from microtorch.utils.data import dataloader, dataset, sampler
from microtorch.utils.data.dataloader import DataLoader, default_collate, default_convert, get_worker_info
from microtorch.utils.data.dataset import (ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                                           random_split)
from microtorch.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                           SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader",
           "default_collate", "default_convert", "get_worker_info", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]
