"""torch.utils.data's surface: datasets, samplers, default_collate and DataLoader with real worker
processes, checked against torch where torch defines the result."""
import collections
import multiprocessing
import os

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import microtorch
from microtorch.utils import data
from microtorch.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                                   SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                                   WeightedRandomSampler, default_collate, get_worker_info, random_split)


class Squares(Dataset):
    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i


class Failing(Squares):
    def __getitem__(self, i):
        if i == 13:
            raise ValueError(f"sample {i} is broken")
        return super().__getitem__(i)


class Dying(Squares):
    def __getitem__(self, i):
        if i == 5:
            os._exit(3)
        return super().__getitem__(i)


def _stream_class(base, worker_info):
    class Stream(base):
        def __init__(self, n, split=False):
            self.n, self.split = n, split

        def __iter__(self):
            info = worker_info()
            if self.split and info is not None:
                return iter(range(info.id, self.n, info.num_workers))
            return iter(range(self.n))
    return Stream


Stream = _stream_class(IterableDataset, get_worker_info)
TorchStream = _stream_class(tdata.IterableDataset, tdata.get_worker_info)


def _batches(loader):
    return [[np.asarray(field._array if isinstance(field, microtorch.Tensor) else field) for field in batch]
            for batch in loader]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)


def _no_children_left():
    for child in multiprocessing.active_children():
        child.join(timeout=5)
    return not multiprocessing.active_children()


def test_dataloader_is_importable_as_torch_names_it():
    import microtorch.utils.data.dataloader as dataloader_module
    assert dataloader_module.DataLoader is DataLoader and data.dataloader is dataloader_module
    assert data.sampler.RandomSampler is RandomSampler and data.dataset.Subset is Subset
    assert microtorch.data is data


@pytest.mark.parametrize("kwargs", [dict(batch_size=4), dict(batch_size=5, drop_last=True),
                                    dict(batch_size=3, shuffle=True), dict(batch_size=None),
                                    dict(batch_size=4, prefetch_factor=1), dict(batch_size=2, pin_memory=True)])
def test_workers_give_the_batches_of_the_main_process(kwargs):
    make = lambda workers: DataLoader(Squares(), num_workers=workers, generator=microtorch.Generator().manual_seed(5),
                                      **({k: v for k, v in kwargs.items() if k != "prefetch_factor"} if not workers
                                         else kwargs))
    single = _batches(make(0))
    _same(single, _batches(make(2)))
    _same(single, _batches(make(3)))
    assert len(single) == len(make(2))
    assert _no_children_left()


def test_batches_and_lengths_match_torch():
    for kwargs in [dict(batch_size=4), dict(batch_size=5, drop_last=True), dict(batch_size=None),
                   dict(batch_sampler=[[3, 1], [0, 2, 4]]), dict(batch_size=2, sampler=[5, 3, 1])]:
        ours = DataLoader(Squares(7), **kwargs)
        theirs = tdata.DataLoader(Squares(7), **kwargs)
        assert len(ours) == len(theirs)
        _same(_batches(ours), [[np.asarray(f) for f in b] for b in theirs])


def test_a_failing_worker_names_itself_and_the_original_error():
    loader = DataLoader(Failing(), batch_size=4, num_workers=2)
    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker process 1\..*"
                                         r"Original Traceback.*sample 13 is broken"):
        list(loader)
    assert _no_children_left()
    with pytest.raises(ValueError, match="sample 13 is broken"):  # the same error without workers
        list(DataLoader(Failing(), batch_size=4))


def test_a_dead_worker_is_reported_and_the_rest_are_stopped():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(DataLoader(Dying(), batch_size=2, num_workers=2))
    assert _no_children_left()


def test_worker_init_fn_fails_loudly():
    def init(worker_id):
        raise KeyError(f"no setup for {worker_id}")

    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process"):
        list(DataLoader(Squares(), num_workers=2, worker_init_fn=init))
    assert _no_children_left()


def test_early_break_and_abandoned_iterators_leave_no_processes():
    loader = DataLoader(Squares(200), batch_size=2, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 3:
            break
    assert _no_children_left()
    iterator = iter(loader)
    next(iterator)
    del iterator
    assert _no_children_left()


def _worker_record(batch):
    info = get_worker_info()
    return [(info.id, info.num_workers, info.seed % 2 ** 62, int(sample[1])) for sample in batch]


def test_worker_info_seeds_and_init_fn():
    assert get_worker_info() is None
    seen = []
    loader = DataLoader(Squares(8), batch_size=2, num_workers=2, collate_fn=_worker_record,
                        generator=microtorch.Generator().manual_seed(1),
                        worker_init_fn=lambda worker_id: np.random.seed(worker_id))
    for batch in loader:
        seen.extend(batch)
    assert [sample for *_, sample in seen] == list(range(8))
    assert {(worker, count) for worker, count, _, _ in seen} == {(0, 2), (1, 2)}
    seeds = {worker: seed for worker, _, seed, _ in seen}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker id, as torch


def test_iterable_dataset_with_workers_follows_torch():
    for split in (False, True):
        for workers in (0, 2):
            kwargs = dict(batch_size=3, num_workers=workers)
            ours = [b.tolist() for b in DataLoader(Stream(10, split), **kwargs)]
            theirs = [b.tolist() for b in tdata.DataLoader(TorchStream(10, split), **kwargs)]
            assert ours == theirs, (split, workers)
    assert sorted(DataLoader(Stream(10), batch_size=None, num_workers=2)) == \
        sorted(list(range(10)) * 2)  # each worker iterates its own copy


def test_timeout_and_argument_errors_match_torch():
    cases = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
             dict(shuffle=True, sampler=[0]), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_size=None, drop_last=True), dict(batch_size=0)]
    for kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            tdata.DataLoader(Squares(), **kwargs)
        with pytest.raises(ValueError) as ours:
            DataLoader(Squares(), **kwargs)
        assert str(ours.value) == str(theirs.value), kwargs
    for kwargs in [dict(shuffle=True), dict(sampler=[0])]:
        with pytest.raises(ValueError) as theirs:
            tdata.DataLoader(TorchStream(3), **kwargs)
        with pytest.raises(ValueError) as ours:
            DataLoader(Stream(3), **kwargs)
        assert str(ours.value).split(", but")[0] == str(theirs.value).split(", but")[0]


class Slow(Squares):
    def __getitem__(self, i):
        import time
        time.sleep(3)
        return super().__getitem__(i)


def test_timeout_raises():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(DataLoader(Slow(2), num_workers=1, timeout=0.5))
    assert _no_children_left()


def test_samplers_follow_torch():
    assert list(SequentialSampler(range(4))) == list(tdata.SequentialSampler(range(4)))
    g = microtorch.Generator().manual_seed(0)
    assert sorted(RandomSampler(range(6), generator=g)) == list(range(6))
    drawn = list(RandomSampler(range(4), replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) <= set(range(4))
    longer = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert sorted(longer[:4]) == sorted(longer[4:8]) == list(range(4)) and len(longer) == 10
    assert sorted(SubsetRandomSampler([7, 3, 9], generator=g)) == [3, 7, 9]
    for sampler, kwargs in [([0, 1, 2, 3, 4], dict(batch_size=2, drop_last=False)),
                            (range(7), dict(batch_size=3, drop_last=True))]:
        assert list(BatchSampler(sampler, **kwargs)) == list(tdata.BatchSampler(sampler, **kwargs))
        assert len(BatchSampler(sampler, **kwargs)) == len(tdata.BatchSampler(sampler, **kwargs))
    for bad in (dict(num_samples=0), dict(replacement=1)):
        with pytest.raises((ValueError, TypeError)) as theirs:
            tdata.RandomSampler(range(3), **bad)
        with pytest.raises(type(theirs.value), match=str(theirs.value).split("=")[0]):
            RandomSampler(range(3), **bad)


def test_weighted_sampler_draws_in_proportion():
    weights = [0.0, 1.0, 3.0]
    draws = np.array(list(WeightedRandomSampler(weights, 40000, generator=microtorch.Generator().manual_seed(2))))
    # 40000 draws: the share of index 2 is 0.75 with standard error 0.0022
    assert (draws != 0).all() and abs((draws == 2).mean() - 0.75) < 0.01
    without = list(WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False))
    assert sorted(without) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1, 0], 2, replacement=False)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1, 1], 0)


def test_datasets_concat_subset_and_random_split_follow_torch():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 15))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 8 and both.cumulative_sizes == [3, 8]
    assert [both[i][0].item() for i in (0, 2, 3, -1)] == [0, 2, 10, 14]
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([a, Stream(2)])
    for lengths in ([0.3, 0.3, 0.4], [0.5, 0.5], [3, 4, 4], [0.1, 0.9]):
        ours = random_split(TensorDataset(np.arange(11)), lengths, generator=microtorch.Generator().manual_seed(0))
        theirs = tdata.random_split(range(11), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for s in ours for i in s.indices) == list(range(11))
    for bad in ([4, 4], [1.5, -0.5]):
        with pytest.raises(ValueError) as theirs:
            tdata.random_split(range(11), bad)
        with pytest.raises(ValueError, match=str(theirs.value)):
            random_split(TensorDataset(np.arange(11)), bad)


def test_default_collate_types_follow_torch():
    Point = collections.namedtuple("Point", "x y")
    samples = [{"image": np.full((2, 2), i, dtype=np.float32), "label": i, "weight": 0.5 * i, "ok": i > 0,
                "name": f"n{i}", "pair": (i, np.int32(i)), "point": Point(i, 1.0 * i),
                "t": microtorch.tensor([i, i])} for i in range(3)]
    torch_samples = [{**s, "t": torch.tensor([i, i])} for i, s in enumerate(samples)]
    ours, theirs = default_collate(samples), tdata.default_collate(torch_samples)
    for key in ("image", "label", "weight", "ok", "t"):
        assert ours[key].dtype == np.dtype(str(theirs[key].dtype).replace("torch.", "")), key
        np.testing.assert_array_equal(ours[key]._array, theirs[key].numpy())
    assert ours["name"] == theirs["name"]
    assert isinstance(ours["pair"], list) and isinstance(theirs["pair"], list)
    assert ours["pair"][1].dtype == np.int32 and isinstance(ours["point"], Point)
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])
