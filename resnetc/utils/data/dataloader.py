"""DataLoader: batches from a dataset, loaded by worker THREADS (torch.utils.data.DataLoader's API).

How it works:

- The main thread runs the sampler and hands out whole batches of indices; each of
  ``num_workers`` threads loads a batch (``dataset[i]`` per index, then ``collate_fn``) and the main
  thread yields the batches in sampler order. Up to ``num_workers * prefetch_factor`` batches are in
  flight. The transforms call C kernels that release the GIL, so threads decode and augment in
  parallel; nothing is pickled, no process is started, and it works in Jupyter.
  ``num_workers=0`` loads in the calling thread.
- Randomness is counter-based: the k-th sample of epoch e is loaded inside
  ``resnetc.utils.random_state.sample_generator((seed, e, k))``, so a random transform drawing from
  ``current_sample_generator()`` gets the same numbers whichever thread loads it, and the batches
  are identical for any ``num_workers``. k is the sample's position in the epoch's sampling order,
  not its dataset index, so an index drawn twice in one epoch (sampling with replacement) gets two
  different augmentations. The shuffle order of epoch e (``shuffle=True``) is drawn from the
  stream ``(seed, e, 0, stream=1)``, and ``collate_fn`` runs inside ``(seed, e, k0, stream=2)``
  where k0 is the position of the batch's first sample (for batch-level augmentation). Each ``iter(loader)`` is a new epoch (0, 1, 2, ...);
  ``set_epoch(e)`` chooses the epoch of the next iteration (e.g. when resuming a run).
- ``seed`` (or ``generator``: an int or a numpy Generator, from which one seed is drawn) fixes all
  of this; without either, the seed is drawn once from resnetc's default generator, so
  ``resnetc.manual_seed`` before building the loader makes runs repeatable.
- An exception in a worker is re-raised in the main thread (the same exception object, with the
  worker's traceback) with a note naming the sample index, the file when known, and the epoch.
  Breaking out of the loop, an exception, or dropping the iterator stops the workers: queued
  batches are cancelled, a running batch stops at its next sample, threads exit.
- ``skip_errors=True`` (or a tuple of exception types) skips samples whose loading raises: each
  skip warns (SkippedSampleWarning, naming index, file and error) and is recorded in
  ``loader.skipped_samples``; the batch is then shorter (a batch with no sample left is dropped).
  By default a bad sample raises.
- With an ImageFolder (or Subsets/concatenations of them) whose transform takes the fused JPEG
  path (resnetc.transforms.fused) and the default collate_fn, each sample is written straight
  into its row of the batch array: no per-sample array and no copy in default_collate. The
  batches are the same as without it.
- Workers share the dataset object (nothing is copied), so ``__getitem__`` must be safe to call
  from several threads at once: ImageFolder is; a dataset holding one open file handle should keep
  one per thread (``threading.local()``, or ``get_worker_info().id``).
- Accepted for compatibility, without effect: ``pin_memory``, ``pin_memory_device``,
  ``multiprocessing_context``, ``in_order=False`` (batches always come in order).
"""
import collections
import concurrent.futures
import queue
import threading
import warnings

import numpy as np

from resnetc.tensor import Tensor
from resnetc.transforms.fused import output_slot
from resnetc.utils.data.collate import default_collate, default_convert, prefilled_batch
from resnetc.utils.data.dataset import ConcatDataset, IterableDataset, Subset, sample_path
from resnetc.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from resnetc.utils.random_state import lazy_sample_generator, philox_generator

_worker_local = threading.local()


class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker thread."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """The WorkerInfo of the calling DataLoader worker thread, or None outside workers."""
    return getattr(_worker_local, "info", None)


SkippedSample = collections.namedtuple("SkippedSample", "epoch index path error")


class SkippedSampleWarning(UserWarning):
    """Warned for each sample a DataLoader with ``skip_errors`` leaves out."""


def _add_note(exc, note):
    if hasattr(exc, "add_note"):
        exc.add_note(note)


class _Cancelled(Exception):
    pass


_SKIPPED = object()


class _WorkerPool:
    """``num_workers`` daemon threads running submitted functions; results come back as Futures."""

    def __init__(self, num_workers, worker_init_fn, seed, dataset):
        self._tasks = queue.SimpleQueue()
        self.threads = []
        for worker_id in range(num_workers):
            info = WorkerInfo(worker_id, num_workers, seed + worker_id, dataset)
            thread = threading.Thread(target=self._run, args=(info, worker_init_fn), daemon=True,
                                      name=f"resnetc-DataLoader-worker-{worker_id}")
            thread.start()
            self.threads.append(thread)

    def _run(self, info, worker_init_fn):
        _worker_local.info = info
        init_error = None
        if worker_init_fn is not None:
            try:
                worker_init_fn(info.id)
            except BaseException as exc:  # reported through every task this worker takes
                _add_note(exc, f"in worker_init_fn of DataLoader worker {info.id}")
                init_error = exc
        while True:
            task = self._tasks.get()
            if task is None:
                return
            future, fn, args = task
            if not future.set_running_or_notify_cancel():
                continue
            if init_error is not None:
                future.set_exception(init_error)
                continue
            try:
                result = fn(*args)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def submit(self, fn, *args):
        future = concurrent.futures.Future()
        self._tasks.put((future, fn, args))
        return future

    def shutdown(self, wait=True, timeout=2.0):
        for _ in self.threads:
            self._tasks.put(None)
        if wait:
            for thread in self.threads:
                if thread is not threading.current_thread():
                    thread.join(timeout)

    def is_alive(self):
        return any(t.is_alive() for t in self.threads)


class DataLoader:
    """Iterates ``dataset`` in batches. Same arguments as torch.utils.data.DataLoader, plus
    ``seed`` and ``skip_errors``; see the module docstring for threads, randomness and errors.

    Args:
        dataset: a map-style Dataset (``__getitem__``/``__len__``) or an IterableDataset.
        batch_size: samples per batch (None: no batching, samples converted by default_convert).
        shuffle: reshuffle the indices every epoch (a RandomSampler seeded by (seed, epoch)).
        sampler: iterable of indices (exclusive with shuffle).
        batch_sampler: iterable of index lists (exclusive with batch_size, shuffle, sampler,
            drop_last).
        num_workers: loader threads (0: load in the calling thread).
        collate_fn: list of samples -> batch (default: default_collate).
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a batch from the workers (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each thread when it starts.
        generator: int seed or numpy Generator (one seed is drawn from it).
        prefetch_factor: batches in flight per worker (default 2 when num_workers > 0).
        persistent_workers: keep the threads between epochs.
        seed: the seed of the shuffles and of the per-sample generators (exclusive with generator).
        skip_errors: False, True (skip on any Exception) or a tuple of exception types.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, seed=None, skip_errors=False):
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable worker threads.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified with worker threads. "
                             "let num_workers > 0 to enable them, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor should be a positive integer, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if seed is not None and generator is not None:
            raise ValueError("seed and generator are mutually exclusive")
        if seed is None:
            seed = self._seed_from(generator)
        self.seed = int(seed)

        self._owns_random_sampler = False
        if sampler is None and not isinstance(dataset, IterableDataset):
            if shuffle:
                sampler = RandomSampler(dataset)
                self._owns_random_sampler = True
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        if skip_errors is True:
            skip_errors = (Exception,)
        elif skip_errors is False or skip_errors is None:
            skip_errors = ()
        elif isinstance(skip_errors, type) and issubclass(skip_errors, BaseException):
            skip_errors = (skip_errors,)
        else:
            skip_errors = tuple(skip_errors)
            if not all(isinstance(t, type) and issubclass(t, BaseException) for t in skip_errors):
                raise TypeError("skip_errors must be a bool, an exception type or a tuple of exception types")

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None or batch_sampler is not None else default_convert)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.skip_errors = skip_errors
        self.skipped_samples = []
        self._next_epoch = 0
        self._pool = None

    @staticmethod
    def _seed_from(generator):
        if generator is None:
            from resnetc.random import default_generator
            generator = default_generator()
        if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
            return int(generator)
        if isinstance(generator, np.random.Generator):
            return int(generator.integers(2**63))
        raise TypeError(f"generator must be an int seed or a numpy Generator, got {type(generator).__name__}")

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def set_epoch(self, epoch):
        """The epoch number the next iteration uses (shuffle order and per-sample generators)."""
        epoch = int(epoch)
        if epoch < 0:
            raise ValueError(f"epoch must be non-negative, got {epoch}")
        self._next_epoch = epoch

    @property
    def epoch(self):
        """The epoch number the next iteration will use."""
        return self._next_epoch

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self):
        epoch = self._next_epoch
        self._next_epoch += 1
        if isinstance(self.dataset, IterableDataset):
            return _iterable_batches(self, epoch)
        return _DataLoaderIter(self, epoch)

    def _epoch_index_sampler(self, epoch):
        """The index sampler to iterate in ``epoch``: for shuffle=True, a copy of ``self.sampler``
        drawing from the epoch's own stream (so concurrent iterators cannot mix epochs)."""
        if not self._owns_random_sampler:
            return self._index_sampler
        sampler = RandomSampler(self.dataset, generator=philox_generator(self.seed, epoch, 0, stream=1))
        return BatchSampler(sampler, self.batch_size, self.drop_last) if self._auto_collation else sampler

    def _get_pool(self):
        if self.persistent_workers:
            if self._pool is None:
                self._pool = _WorkerPool(self.num_workers, self.worker_init_fn, self.seed, self.dataset)
            return self._pool
        return _WorkerPool(self.num_workers, self.worker_init_fn, self.seed, self.dataset)

    def _record_skipped(self, skipped):
        for record in skipped:
            self.skipped_samples.append(record)
            where = f" ({record.path})" if record.path else ""
            warnings.warn(f"DataLoader skipped sample {record.index}{where} in epoch {record.epoch}: "
                          f"{type(record.error).__name__}: {record.error}", SkippedSampleWarning, stacklevel=3)

    @property
    def num_skipped(self):
        """How many samples ``skip_errors`` has left out so far (all epochs)."""
        return len(self.skipped_samples)

    def close(self):
        """Stops persistent worker threads (they also stop when the loader is garbage collected)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)


class _DataLoaderIter:
    """One epoch over a map-style dataset."""

    def __init__(self, loader, epoch):
        self._loader = loader
        self._auto_collation = loader._auto_collation
        self._timeout = loader.timeout or None
        # Workers hold the _BatchLoader, not this iterator, so dropping the iterator (a `break`)
        # collects it at once and __del__ stops the workers.
        self._load = _BatchLoader(loader, epoch)
        self._batches = _numbered(iter(loader._epoch_index_sampler(epoch)), self._auto_collation)
        self._pending = collections.deque()
        self._done = False
        self._pool = None
        if loader.num_workers > 0:
            self._pool = loader._get_pool()
            self._owns_pool = not loader.persistent_workers
            self._max_pending = loader.num_workers * loader.prefetch_factor

    def __len__(self):
        return len(self._loader)

    def __iter__(self):
        return self

    def _fill(self):
        while len(self._pending) < self._max_pending:
            item = next(self._batches, None)
            if item is None:
                return
            self._pending.append(self._pool.submit(self._load, *item))

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            while True:
                if self._pool is None:
                    item = next(self._batches, None)
                    if item is None:
                        break
                    batch, skipped = self._load(*item)
                else:
                    self._fill()
                    if not self._pending:
                        break
                    try:
                        batch, skipped = self._pending.popleft().result(self._timeout)
                    except concurrent.futures.TimeoutError:
                        raise RuntimeError(f"DataLoader timed out after {self._loader.timeout} seconds") from None
                    self._fill()
                if skipped:
                    self._loader._record_skipped(skipped)
                if batch is not _SKIPPED:
                    return batch
        except BaseException:
            self._shutdown()
            raise
        self._shutdown()
        raise StopIteration

    def _shutdown(self):
        if self._done:
            return
        self._done = True
        self._load._stop.set()
        if self._pool is not None:
            for future in self._pending:
                future.cancel()
            self._pending.clear()
            if self._owns_pool:
                self._pool.shutdown(wait=True)

    def __del__(self):
        try:
            self._shutdown()
        except Exception:
            pass


def _numbered(indices, batched):
    """Yields (batch of indices, position of its first sample in the epoch). A plain function,
    not a method: a generator holding the iterator would keep it alive after a `break`."""
    position = 0
    for item in indices:
        yield item, position
        position += len(item) if batched else 1


class _BatchLoader:
    """Loads and collates one batch of an epoch; runs in the worker threads."""

    def __init__(self, loader, epoch):
        self._epoch = epoch
        self._seed = loader.seed
        self._dataset = loader.dataset
        self._collate_fn = loader.collate_fn
        self._auto_collation = loader._auto_collation
        self._skip_errors = loader.skip_errors
        self._stop = threading.Event()
        self._fill_in_place = (self._collate_fn is default_collate and self._auto_collation
                               and _returns_transform_output(self._dataset))

    def __call__(self, indices, first_position):
        """Runs in a worker: loads and collates one batch; returns (batch, skipped samples)."""
        skipped = []
        if not self._auto_collation:
            sample = self._fetch(indices, first_position, skipped)
            return (_SKIPPED if sample is _SKIPPED else self._collate_fn(sample)), skipped
        samples = []
        buffer = None  # with the fused path: the batch's image array, filled sample by sample
        for k, index in enumerate(indices):
            if self._stop.is_set():
                raise _Cancelled()
            if buffer is None:
                sample = self._fetch(index, first_position + k, skipped)
            else:
                with output_slot(buffer[len(samples)]):
                    sample = self._fetch(index, first_position + k, skipped)
            if sample is not _SKIPPED:
                samples.append(sample)
                if buffer is None and self._fill_in_place:
                    buffer = _batch_buffer_for(sample, len(indices))
        if not samples:
            return _SKIPPED, skipped
        try:
            # Batch-level randomness (e.g. a MixUp collate_fn) gets its own counter-based stream.
            with lazy_sample_generator(self._seed, self._epoch, first_position, 2), prefilled_batch(buffer):
                return self._collate_fn(samples), skipped
        except Exception as exc:
            _add_note(exc, f"in DataLoader collate_fn, batch of sample indices {list(indices)[:8]}"
                           f"{'...' if len(indices) > 8 else ''}, epoch {self._epoch}")
            raise

    def _fetch(self, index, position, skipped):
        with lazy_sample_generator(self._seed, self._epoch, position):
            try:
                return self._dataset[index]
            except Exception as exc:
                path = sample_path(self._dataset, index)
                if self._skip_errors and isinstance(exc, self._skip_errors):
                    # Drop the traceback: its frames would keep the sample's buffers alive.
                    skipped.append(SkippedSample(self._epoch, index, path, exc.with_traceback(None)))
                    return _SKIPPED
                info = get_worker_info()
                where = f"worker {info.id}" if info is not None else "main thread"
                _add_note(exc, f"in DataLoader {where}: sample index {index}"
                               f"{f' ({path})' if path else ''}, epoch {self._epoch}")
                raise


def _returns_transform_output(dataset):
    """True for datasets whose item is (transform output, target) and that keep no reference to
    it: DatasetFolder/ImageFolder with their own __getitem__, and Subsets/concatenations of them.
    Their transform may then write into a row of the batch (the fused path's output_slot)."""
    from resnetc.datasets.folder import DatasetFolder
    if isinstance(dataset, Subset):
        return _returns_transform_output(dataset.dataset)
    if isinstance(dataset, ConcatDataset):
        return all(_returns_transform_output(d) for d in dataset.datasets)
    return isinstance(dataset, DatasetFolder) and type(dataset).__getitem__ is DatasetFolder.__getitem__


def _batch_buffer_for(sample, batch_size):
    """An empty float32 (batch_size, 3, H, W) array if the sample's image is a (3, H, W) float32
    Tensor (as the fused path makes), else None."""
    image = sample[0] if isinstance(sample, (tuple, list)) and sample else sample
    if isinstance(image, Tensor):
        array = image.array
        if array.dtype == np.float32 and array.ndim == 3 and array.shape[0] == 3:
            return np.empty((batch_size,) + array.shape, np.float32)
    return None


def _iterable_batches(loader, epoch):
    """One epoch over an IterableDataset, in the calling thread (num_workers is not used)."""
    dataset, batch_size, seed = loader.dataset, loader.batch_size, loader.seed
    it = iter(dataset)
    position = 0
    batch = []
    while True:
        with lazy_sample_generator(seed, epoch, position):
            try:
                sample = next(it)
            except StopIteration:
                break
            except Exception as exc:
                _add_note(exc, f"in DataLoader: IterableDataset item {position}, epoch {epoch}")
                raise
        position += 1
        if batch_size is None:
            yield loader.collate_fn(sample)
            continue
        batch.append(sample)
        if len(batch) == batch_size:
            yield loader.collate_fn(batch)
            batch = []
    if batch and not loader.drop_last:
        yield loader.collate_fn(batch)
