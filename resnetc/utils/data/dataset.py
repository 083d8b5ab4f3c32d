"""Datasets and their combinators (torch.utils.data.dataset's names and semantics)."""
import bisect
import itertools
import math
import warnings

import numpy as np


class Dataset:
    """A map-style dataset: ``dataset[i]`` for ``0 <= i < len(dataset)``.

    Subclasses define ``__getitem__`` (and usually ``__len__``). ``a + b`` concatenates.
    Random transforms called from ``__getitem__`` should draw from
    ``resnetc.utils.random_state.current_sample_generator()`` so that the DataLoader's batches
    depend only on its seed (see resnetc.utils.random_state).
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``.

    The DataLoader iterates it in the calling thread (threads cannot split an arbitrary stream
    without the dataset's help), batching and collating as usual; ``num_workers`` is not used.
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterates the given IterableDatasets one after another."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _first_dim(x):
    return x.shape[0] if hasattr(x, "shape") else len(x)


class TensorDataset(Dataset):
    """Samples are ``tuple(t[i] for t in tensors)``; tensors may be Tensors or ndarrays."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        if any(_first_dim(tensors[0]) != _first_dim(t) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return _first_dim(self.tensors[0])


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets."""

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def locate(self, idx):
        """``(dataset_index, sample_index)`` of item ``idx``."""
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return dataset_idx, sample_idx

    def __getitem__(self, idx):
        dataset_idx, sample_idx = self.locate(idx)
        return self.datasets[dataset_idx][sample_idx]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


def _permutation(n, generator):
    from resnetc.random import default_generator
    if generator is None:
        generator = default_generator()
    elif isinstance(generator, (int, np.integer)):
        generator = np.random.default_rng(int(generator))
    elif not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy Generator, an int seed or None, got {type(generator).__name__}")
    return generator.permutation(n).tolist()


def random_split(dataset, lengths, generator=None):
    """Splits ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1: then each split
    gets ``floor(frac * len(dataset))`` items and the remainder is dealt one by one, round-robin,
    from the first split (torch's rule). The permutation comes from ``generator`` (a numpy
    Generator or an int seed), else from resnetc's default generator (``resnetc.manual_seed``).
    """
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(math.floor(len(dataset) * frac))
        remainder = len(dataset) - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                              stacklevel=2)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = _permutation(sum(lengths), generator)
    return [Subset(dataset, indices[offset - length:offset])
            for offset, length in zip(itertools.accumulate(lengths), lengths)]


def sample_path(dataset, index):
    """The file behind ``dataset[index]`` when it can be found (through Subset/ConcatDataset to a
    dataset with ``sample_path(i)`` or a ``samples`` list of ``(path, target)``), else None."""
    try:
        while True:
            if isinstance(dataset, Subset):
                dataset, index = dataset.dataset, dataset.indices[index]
            elif isinstance(dataset, ConcatDataset):
                d, index = dataset.locate(index)
                dataset = dataset.datasets[d]
            else:
                break
        if hasattr(dataset, "sample_path"):
            return dataset.sample_path(index)
        samples = getattr(dataset, "samples", None)
        if samples is not None and isinstance(samples[index][0], str):
            return samples[index][0]
    except Exception:  # a description is best effort; never mask the real error
        return None
    return None


__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "ConcatDataset", "Subset",
           "random_split", "sample_path"]
