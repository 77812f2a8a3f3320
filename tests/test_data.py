"""Dataset, TensorDataset, DataLoader and default_collate, compared with torch.utils.data where they should agree."""
import collections

import numpy as np
import pytest
import torch

import microtorch
from microtorch.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


class Squares(Dataset):
    """Samples that are (array, int, float) tuples, to exercise default_collate."""

    def __len__(self):
        return 10

    def __getitem__(self, index):
        return np.full((2, 3), index, dtype=np.float32), index, float(index) / 2


def test_both_import_paths_are_the_same_module():
    import microtorch.utils.data as long_path
    assert microtorch.data.DataLoader is long_path.DataLoader is DataLoader


def test_batches_in_order_with_remainder_and_drop_last():
    x, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].shape for b in dropped] == [(4,), (4,)]


def test_batch_count_matches_torch():
    for size, batch, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, True), (2, 5, False)]:
        ours = DataLoader(TensorDataset(np.zeros(size)), batch_size=batch, drop_last=drop)
        theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(size)), batch_size=batch,
                                             drop_last=drop)
        assert len(ours) == len(theirs) == len(list(ours))


def test_shuffle_with_a_seed_is_reproducible_and_covers_everything():
    dataset = TensorDataset(np.arange(50))

    def epochs(loader, count=2):
        return [np.concatenate([b[0].numpy() for b in loader]) for _ in range(count)]

    first = epochs(DataLoader(dataset, batch_size=8, shuffle=True, generator=123))
    again = epochs(DataLoader(dataset, batch_size=8, shuffle=True, generator=123))
    other = epochs(DataLoader(dataset, batch_size=8, shuffle=True, generator=7))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # a new order each epoch
    assert not np.array_equal(first[0], other[0])
    for order in first + other:
        np.testing.assert_array_equal(np.sort(order), np.arange(50))
    rng = np.random.default_rng(5)  # a numpy Generator works too
    assert len(epochs(DataLoader(dataset, batch_size=8, shuffle=True, generator=rng), 1)[0]) == 50


def test_shuffle_without_a_generator_follows_manual_seed():
    dataset = TensorDataset(np.arange(30))
    microtorch.manual_seed(3)
    first = np.concatenate([b[0].numpy() for b in DataLoader(dataset, batch_size=7, shuffle=True)])
    microtorch.manual_seed(3)
    second = np.concatenate([b[0].numpy() for b in DataLoader(dataset, batch_size=7, shuffle=True)])
    np.testing.assert_array_equal(first, second)


def test_default_collate_stacks_arrays_numbers_and_tuples_like_torch():
    ours = next(iter(DataLoader(Squares(), batch_size=4)))
    theirs = next(iter(torch.utils.data.DataLoader(Squares(), batch_size=4)))
    assert isinstance(ours, list) and len(ours) == len(theirs) == 3
    for mine, reference in zip(ours, theirs):
        assert isinstance(mine, microtorch.Tensor)
        assert mine.shape == tuple(reference.shape)
        assert mine.dtype == np.dtype(str(reference.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


def test_default_collate_tensors_dicts_namedtuples_and_strings():
    tensors = [microtorch.ones(2, 3) * i for i in range(4)]
    batch = default_collate(tensors)
    assert batch.shape == (4, 2, 3)
    samples = [{"x": np.ones(2) * i, "name": f"s{i}", "flag": i % 2 == 0} for i in range(3)]
    collated = default_collate(samples)
    assert collated["x"].shape == (3, 2) and collated["name"] == ["s0", "s1", "s2"]
    assert collated["flag"].dtype == np.bool_
    Pair = collections.namedtuple("Pair", "a b")
    pairs = default_collate([Pair(np.zeros(2), 1), Pair(np.ones(2), 2)])
    assert isinstance(pairs, Pair) and pairs.a.shape == (2, 2) and pairs.b.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])


def test_collate_of_tensors_keeps_the_graph():
    w = microtorch.ones(3, requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    batch.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 5)


def test_tensor_dataset_and_custom_collate():
    x = microtorch.randn(6, 3)
    dataset = TensorDataset(x, np.arange(6))
    assert len(dataset) == 6
    sample = dataset[2]
    assert sample[0].shape == (3,) and int(sample[1].item()) == 2
    sizes = [len(batch) for batch in DataLoader(dataset, batch_size=4, collate_fn=lambda samples: samples)]
    assert sizes == [4, 2]
    with pytest.raises(ValueError, match="same first dim"):
        TensorDataset(np.zeros(3), np.zeros(4))


def test_generic_dataset_goes_through_collate():
    loader = DataLoader(Squares(), batch_size=3, shuffle=True, generator=0)
    seen = np.concatenate([batch[1].numpy() for batch in loader])
    np.testing.assert_array_equal(np.sort(seen), np.arange(10))


def test_random_split_and_subset():
    dataset = TensorDataset(np.arange(10))
    a, b = random_split(dataset, [7, 3], generator=0)
    assert isinstance(a, Subset) and len(a) == 7 and len(b) == 3
    values = sorted(int(s[0].item()) for part in (a, b) for s in (part[i] for i in range(len(part))))
    assert values == list(range(10))
    assert [len(p) for p in random_split(dataset, [0.5, 0.3, 0.2], generator=1)] == [5, 3, 2]
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.5])] == \
        [len(p) for p in torch.utils.data.random_split(range(11), [0.5, 0.5])]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(dataset, [5, 6])


def test_loader_argument_errors():
    dataset = TensorDataset(np.arange(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(dataset, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(dataset, shuffle=True, sampler=[0, 1])
    with pytest.raises(TypeError, match="generator"):
        DataLoader(dataset, shuffle=True, generator="seed")
    assert [b[0].tolist() for b in DataLoader(dataset, batch_size=2, sampler=[3, 1, 0])] == [[3, 1], [0]]
