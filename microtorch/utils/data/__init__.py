"""Datasets and the DataLoader that batches them, as torch.utils.data (also microtorch.data).

Usage::

    dataset = TensorDataset(images, labels)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, generator=0)
    for x, y in loader:
        ...
"""
from microtorch.utils.data.dataloader import DataLoader, default_collate
from microtorch.utils.data.dataset import Dataset, Subset, TensorDataset, random_split
from microtorch.utils.data.sampler import RandomSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate", "Sampler",
           "SequentialSampler", "RandomSampler"]
