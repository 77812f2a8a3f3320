"""DataLoader: iterate over a dataset in batches, in this process or in worker processes.

As torch.utils.data.dataloader (importable by that name). With ``num_workers > 0`` the batches
are made by real worker processes (``multiprocessing``, fork where the platform has it): the
main process draws the batch indices, hands them out round-robin, and yields the results in
the order it handed them out, so the batches are the ones ``num_workers=0`` gives. A worker
that raises stops the iteration with the same exception type, naming the worker and carrying
the original traceback; a worker that dies is reported by its pid. Workers are told to stop and
joined when the iteration ends, breaks early or fails.

Differences from torch: ``pin_memory`` is accepted and does nothing (there is only the CPU);
``persistent_workers`` is accepted but the workers are started again for each epoch;
``prefetch_factor`` bounds the batches in flight per worker, as in torch.
"""
import collections.abc
import multiprocessing
import queue
import random as _random
import traceback
from numbers import Number

import numpy as np

from microtorch._engine import make_tensor as _make
from microtorch.functional import stack
from microtorch.random import default_generator
from microtorch.tensor import Tensor
from microtorch.utils.data.dataset import IterableDataset, TensorDataset
from microtorch.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler, _rng, _stateful

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info", "WorkerInfo"]


# ---------------------------------------------------------------- collation

def default_convert(data):
    """Turn numpy arrays (not of strings) into Tensors, inside tuples, lists and dicts; leave the rest.
    What a DataLoader with ``batch_size=None`` applies to each sample."""
    if isinstance(data, np.ndarray) and data.dtype.kind in "biufc":
        return _make(data)
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data


def default_collate(batch):
    """Stack a list of samples into a batch, as torch's default_collate.

    Tensors and numpy arrays are stacked into one Tensor; Python ints become an int64 Tensor,
    floats a float64 one, bools a bool one; strings stay a list; dicts, namedtuples, tuples and
    lists are collated field by field (a tuple of fields comes back as a list, as in torch).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, (np.ndarray, np.generic)):
        if np.asarray(elem).dtype.kind not in "biufc":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                            f"found {np.asarray(elem).dtype}")
        return _make(np.stack([np.asarray(sample) for sample in batch]))
    if isinstance(elem, bool):
        return _make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return _make(np.array(batch, dtype=np.int64))
    if isinstance(elem, Number):
        return _make(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return type(elem)({key: default_collate([sample[key] for sample in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__} (pass collate_fn= to DataLoader)")


# ---------------------------------------------------------------- worker processes

class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed and its dataset copy."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


_worker_info = None


def get_worker_info():
    """The WorkerInfo of this DataLoader worker process, or None in the main process."""
    return _worker_info


class _ExhaustedIterable:
    """A worker's answer when its copy of an IterableDataset has no more batches."""


class _WorkerFailure:
    """A worker's exception, carried to the main process as its type and formatted traceback."""

    def __init__(self, worker_id, error):
        self.worker_id, self.error_type = worker_id, type(error)
        self.text = "".join(traceback.format_exception(type(error), error, error.__traceback__))

    def reraise(self):
        message = (f"Caught {self.error_type.__name__} in DataLoader worker process {self.worker_id}.\n"
                   f"Original {self.text}")
        try:
            error = self.error_type(message)
        except Exception:  # an exception type whose constructor wants other arguments
            error = RuntimeError(message)
        raise error


class _Fetcher:
    """Makes one batch: from indices (map-style) or from the next items of an iterator (iterable)."""

    def __init__(self, loader):
        self.dataset, self.collate_fn = loader.dataset, loader.collate_fn
        self.batch_size, self.drop_last = loader.batch_size, loader.drop_last
        self.batching = loader.batch_sampler is not None  # False: batch_size=None, one sample at a time
        self.iterator = iter(self.dataset) if isinstance(self.dataset, IterableDataset) else None

    def fetch(self, indices):
        if self.iterator is None:
            if not self.batching:
                return self.collate_fn(self.dataset[indices])
            return self.collate_fn([self.dataset[i] for i in indices])
        if self.batch_size is None:
            return self.collate_fn(next(self.iterator))
        items = []
        for item in self.iterator:
            items.append(item)
            if len(items) == self.batch_size:
                break
        if not items or (self.drop_last and len(items) < self.batch_size):
            raise StopIteration
        return self.collate_fn(items)


def _worker_loop(loader, worker_id, seed, index_queue, result_queue):
    """A worker: seed, run worker_init_fn, then answer (task, indices) requests until told to stop (None)."""
    global _worker_info
    default_generator.manual_seed(seed)
    _random.seed(seed)
    _worker_info = WorkerInfo(worker_id, loader.num_workers, seed, loader.dataset)
    try:
        if loader.worker_init_fn is not None:
            loader.worker_init_fn(worker_id)
        fetcher = _Fetcher(loader)
    except Exception as error:
        result_queue.put((None, _WorkerFailure(worker_id, error)))
        return
    while True:
        request = index_queue.get()
        if request is None:
            break
        task, indices = request
        try:
            result = fetcher.fetch(indices)
        except StopIteration:
            result = _ExhaustedIterable()
        except Exception as error:
            result = _WorkerFailure(worker_id, error)
        result_queue.put((task, result))
    result_queue.cancel_join_thread()


class _MultiProcessIterator:
    """Hands batch requests to the workers round-robin and yields the answers in request order."""

    _POLL_SECONDS = 1.0  # how often a waiting main process checks that its workers are alive

    def __init__(self, loader, batches, base_seed):
        self.loader, self.batches = loader, batches
        self.closed, self.index_queues, self.workers = False, [], []
        self.iterable = isinstance(loader.dataset, IterableDataset)
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                                  else None)
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self.result_queue = context.Queue()
        for worker_id in range(loader.num_workers):
            index_queue = context.Queue()
            worker = context.Process(target=_worker_loop, daemon=True,
                                     args=(loader, worker_id, base_seed + worker_id, index_queue, self.result_queue))
            worker.start()
            self.index_queues.append(index_queue)
            self.workers.append(worker)
        self.active = [True] * loader.num_workers
        self.next_worker, self.sent, self.received = 0, 0, 0
        self.pending = {}  # task -> worker id, for the requests not yet answered
        self.done_early = {}  # task -> answer, for answers that came before an earlier one
        self.sampler_exhausted = False
        for _ in range(loader.prefetch_factor * loader.num_workers):
            self._send()

    def _send(self):
        if self.sampler_exhausted or not any(self.active):
            return
        if self.iterable:
            indices = None
        else:
            try:
                indices = next(self.batches)
            except StopIteration:
                self.sampler_exhausted = True
                return
        while not self.active[self.next_worker]:
            self.next_worker = (self.next_worker + 1) % len(self.workers)
        worker_id = self.next_worker
        self.next_worker = (self.next_worker + 1) % len(self.workers)
        self.index_queues[worker_id].put((self.sent, indices))
        self.pending[self.sent] = worker_id
        self.sent += 1

    def _receive(self):
        """The next answer from any worker, checking for the timeout and for workers that died."""
        waited = 0.0
        timeout = self.loader.timeout
        while True:
            step = self._POLL_SECONDS if not timeout else min(self._POLL_SECONDS, timeout - waited)
            try:
                return self.result_queue.get(timeout=step)
            except queue.Empty:
                waited += step
                dead = [w for w in self.workers if not w.is_alive() and w.exitcode not in (0, None)]
                if dead:
                    pids = ", ".join(str(w.pid) for w in dead)
                    codes = ", ".join(str(w.exitcode) for w in dead)
                    self.close(force=True)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                                       f"(exit code(s) {codes})") from None
                if timeout and waited >= timeout:
                    self.close(force=True)
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self.received not in self.pending:
                self.close()
                raise StopIteration
            task = self.received
            while task not in self.done_early:
                answer_task, answer = self._receive()
                if answer_task is None:  # a worker failed before it could take requests
                    self.close()
                    answer.reraise()
                self.done_early[answer_task] = answer
            answer = self.done_early.pop(task)
            worker_id = self.pending.pop(task)
            self.received += 1
            if isinstance(answer, _WorkerFailure):
                self.close()
                answer.reraise()
            if isinstance(answer, _ExhaustedIterable):
                self.active[worker_id] = False
                continue
            self._send()
            return answer

    def close(self, force=False):
        """Tell every worker to stop, then join it; terminate one that does not stop in 5 s, or at once
        with force (a timeout, a dead worker: the others may be stuck as well)."""
        if self.closed:
            return
        self.closed = True
        for index_queue, worker in zip(self.index_queues, self.workers):
            if force and worker.is_alive():
                worker.terminate()
            elif worker.is_alive():
                try:
                    index_queue.put(None)
                except (OSError, ValueError):
                    pass
        for worker in self.workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for q in (*self.index_queues, getattr(self, "result_queue", None)):
            if q is None:
                continue
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        self.close()


# ---------------------------------------------------------------- the loader

def _single_process(loader, batches):
    fetcher = _Fetcher(loader)
    fast = fetcher.batching and isinstance(loader.dataset, TensorDataset) and loader.collate_fn is default_collate
    while True:
        try:
            indices = next(batches) if fetcher.iterator is None else None
            if fast:
                # one fancy index per tensor gives the same batch as stacking the samples one by one
                yield [t[np.asarray(indices, dtype=np.int64)] for t in loader.dataset.tensors]
            else:
                yield fetcher.fetch(indices)
        except StopIteration:
            return


class DataLoader:
    """Iterate over a dataset in batches, as torch.utils.data.DataLoader.

    Parameters
    ----------
    dataset : Dataset or IterableDataset
    batch_size : int or None, default 1
        None turns batching off: each sample goes through default_convert (or collate_fn).
    shuffle : bool, default False
        A new random order each epoch (map-style datasets only).
    sampler, batch_sampler : iterable, optional
        The index order, or the batches of indices (then batch_size, shuffle, sampler and
        drop_last must be left at their defaults).
    num_workers : int, default 0
        Worker processes making the batches; 0 makes them in this process. The batches are the
        same either way.
    collate_fn : callable, optional
        Turns a list of samples into a batch; default_collate by default.
    pin_memory : bool, default False
        Accepted; a no-op (microtorch runs on the CPU only).
    drop_last : bool, default False
        Drop the last batch when it is short.
    timeout : float, default 0
        Seconds to wait for a worker's batch before raising (0: wait for ever).
    worker_init_fn : callable, optional
        Called as worker_init_fn(worker_id) in each worker, after seeding.
    multiprocessing_context : str or context, optional
        'fork' where the platform has it, otherwise the default.
    generator : microtorch.Generator, optional
        The shuffle order and the workers' base seed come from it (microtorch's default generator by
        default); an int seed or a numpy Generator also work.
    prefetch_factor : int, optional
        Batches requested ahead per worker (2 with workers); only with num_workers > 0.
    persistent_workers : bool, default False
        Accepted with num_workers > 0; the workers are started again each epoch all the same.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device=""):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                                 "drop_last")
        elif not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.dataset, self.num_workers, self.pin_memory = dataset, num_workers, pin_memory
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last, self.timeout, self.worker_init_fn = drop_last, timeout, worker_init_fn
        self.multiprocessing_context, self.persistent_workers = multiprocessing_context, persistent_workers
        self.prefetch_factor = 2 if num_workers and prefetch_factor is None else prefetch_factor
        self.generator = generator = _stateful(generator)
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and self.batch_size is not None and sampler is not None:
            batch_sampler = BatchSampler(sampler, self.batch_size, drop_last)
        self.batch_sampler = batch_sampler
        auto_collation = self.batch_sampler is not None or isinstance(dataset, IterableDataset) and \
            self.batch_size is not None
        self.collate_fn = collate_fn if collate_fn is not None else \
            default_collate if auto_collation else default_convert

    def __iter__(self):
        # Drawn in both modes, as torch does, so that num_workers does not change the shuffle order.
        base_seed = int(_rng(self.generator).integers(0, 2 ** 62))
        if isinstance(self.dataset, IterableDataset):
            batches = None
        else:
            batches = iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)
        if self.num_workers == 0:
            return _single_process(self, batches)
        return _MultiProcessIterator(self, batches, base_seed)

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            count = len(self.dataset)  # TypeError when the dataset has no len, as in torch
            if self.batch_size is None:
                return count
            return count // self.batch_size if self.drop_last else -(-count // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

