"""Dataset combinators, random_split and samplers against torch.utils.data."""
import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import resnetc
import resnetc.utils.data as rud


def test_tensor_dataset_subset_concat():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ds = rud.TensorDataset(resnetc.tensor(x), y)
    assert len(ds) == 6
    sample = ds[4]
    np.testing.assert_array_equal(sample[0].array, x[4]) and sample[1] == 4
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        rud.TensorDataset(x, y[:5])

    sub = rud.Subset(ds, [5, 0, 3])
    assert len(sub) == 3 and sub[0][1] == 5 and sub[2][1] == 3

    cat = rud.ConcatDataset([range(3), range(10, 14), range(20, 22)])
    tcat = tud.ConcatDataset([range(3), range(10, 14), range(20, 22)])
    assert len(cat) == len(tcat) == 9 and cat.cumulative_sizes == tcat.cumulative_sizes
    assert [cat[i] for i in range(-9, 9)] == [tcat[i] for i in range(-9, 9)]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-10]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        rud.ConcatDataset([])
    assert len(rud.Subset(ds, [0]) + rud.Subset(ds, [1, 2])) == 3


@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]),
                                        (7, [0.1, 0.2, 0.7]), (5, [0.25, 0.25, 0.25, 0.25]), (100, [1.0])])
def test_random_split_lengths_like_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = rud.random_split(range(n), lengths, generator=np.random.default_rng(0))
        theirs = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    items = sorted(i for s in ours for i in (s[k] for k in range(len(s))))
    assert items == list(range(n))  # a partition


def test_random_split_seeding_and_errors():
    a = rud.random_split(range(20), [5, 15], generator=3)
    b = rud.random_split(range(20), [5, 15], generator=np.random.default_rng(3))
    assert a[0].indices == b[0].indices
    resnetc.manual_seed(1)
    c = rud.random_split(range(20), [5, 15])
    resnetc.manual_seed(1)
    assert rud.random_split(range(20), [5, 15])[0].indices == c[0].indices
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        rud.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        rud.random_split(range(10), [0.5, 1.5, -1.0])
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        rud.random_split(range(2), [0.5, 0.5, 0.0])


def test_sequential_and_batch_sampler_like_torch():
    data = range(10)
    assert list(rud.SequentialSampler(data)) == list(tud.SequentialSampler(data))
    for bs in (1, 3, 5, 11):
        for drop_last in (False, True):
            ours = rud.BatchSampler(rud.SequentialSampler(data), bs, drop_last)
            theirs = tud.BatchSampler(tud.SequentialSampler(data), bs, drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            rud.BatchSampler(data, bad, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        rud.BatchSampler(data, 2, 0)


def test_random_sampler():
    data = range(50)
    s = rud.RandomSampler(data, generator=np.random.default_rng(0))
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(data) and first != second  # stateful generator
    assert list(rud.RandomSampler(data, generator=7)) == list(rud.RandomSampler(data, generator=7))
    long = list(rud.RandomSampler(data, num_samples=120, generator=1))
    assert len(long) == 120 and sorted(long[:50]) == list(data) and sorted(long[50:100]) == list(data)
    with_replacement = rud.RandomSampler(range(5), replacement=True, num_samples=1000, generator=2)
    counts = np.bincount(list(with_replacement), minlength=5)
    assert len(with_replacement) == 1000 and counts.min() > 150
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        rud.RandomSampler(data, num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        rud.RandomSampler(data, replacement=1)
    resnetc.manual_seed(5)
    a = list(rud.RandomSampler(data))
    resnetc.manual_seed(5)
    assert list(rud.RandomSampler(data)) == a


def test_subset_and_weighted_samplers():
    idx = [3, 9, 27, 81]
    assert sorted(rud.SubsetRandomSampler(idx, generator=0)) == idx and len(rud.SubsetRandomSampler(idx)) == 4
    w = rud.WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000, generator=0)
    counts = np.bincount(list(w), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03 and len(w) == 4000
    without = list(rud.WeightedRandomSampler([1, 2, 3, 4, 5], 5, replacement=False, generator=0))
    assert sorted(without) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape"):
        rud.WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        rud.WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement"):
        rud.WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)
    with pytest.raises(ValueError, match="weights must be finite and non-negative"):
        rud.WeightedRandomSampler([1.0, -1.0], 1)


Point = collections.namedtuple("Point", "x y")


def _to_numpy(value):
    """Collated output (ours or torch's) as nested plain Python/NumPy, for comparison."""
    if isinstance(value, torch.Tensor):
        return ("T", value.numpy().dtype.name, value.numpy().tolist())
    if isinstance(value, resnetc.Tensor):
        return ("T", value.array.dtype.name, value.array.tolist())
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, Point):
        return ("Point", _to_numpy(value.x), _to_numpy(value.y))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_to_numpy(v) for v in value])
    return value


def test_default_collate_matches_torch():
    rng = np.random.default_rng(0)
    samples = [(rng.random((3, 4, 5), dtype=np.float32), i, {"w": 0.5 * i, "name": f"s{i}",
                "pt": Point(np.int32(i), np.float64(i)), "flag": i % 2 == 0, "seq": [i, i + 1]})
               for i in range(4)]
    ours = rud.default_collate(samples)
    theirs = tud.default_collate(samples)
    assert _to_numpy(ours) == _to_numpy(theirs)
    images = ours[0]
    assert isinstance(images, resnetc.Tensor) and images.dtype == np.float32 and images.shape == (4, 3, 4, 5)
    assert images.array.flags.c_contiguous and ours[1].dtype == np.int64
    tensors = [resnetc.tensor(s[0]) for s in samples]
    np.testing.assert_array_equal(rud.default_collate(tensors).array, np.stack([s[0] for s in samples]))

    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        rud.default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        rud.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, "
                                        "dicts or lists; found <class 'object'>"):
        rud.default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        rud.default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_matches_torch():
    data = {"a": np.arange(3), "b": (np.float32(2.0), "s"), "c": [1, 2.5], "p": Point(np.zeros(2), 3)}
    assert _to_numpy(rud.default_convert(data)) == _to_numpy(tud.default_convert(data))
