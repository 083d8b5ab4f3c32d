"""compute_mean_std against NumPy over all pixels; the per-sample generator contract."""
import threading

import numpy as np
import pytest

import resnetc
import resnetc.utils.data as rud
from resnetc.utils import random_state


class Images(rud.Dataset):
    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index], 0


def _reference(images_chw):
    pixels = np.concatenate([im.reshape(im.shape[0], -1).astype(np.float64) for im in images_chw], axis=1)
    return pixels.mean(axis=1), pixels.std(axis=1), pixels.std(axis=1, ddof=1)


def test_mean_std_matches_numpy_on_mixed_sizes():
    rng = np.random.default_rng(0)
    # A large offset with a small spread: a naive float32 sum-of-squares would lose the spread.
    images = [(1000 + rng.standard_normal((3, h, w))).astype(np.float32) * np.float32([[[1]], [[2]], [[0.5]]])
              for h, w in [(5, 7), (8, 8), (3, 11), (6, 2)] * 5]
    mean, std, std1 = _reference(images)
    for workers in (0, 2):
        got_mean, got_std = rud.compute_mean_std(Images(images), num_workers=workers, batch_size=3)
        np.testing.assert_allclose(got_mean, mean, rtol=1e-12)
        np.testing.assert_allclose(got_std, std, rtol=1e-9)
    _, got_std1 = rud.compute_mean_std(Images([resnetc.tensor(im) for im in images]), unbiased=True)
    np.testing.assert_allclose(got_std1, std1, rtol=1e-9)
    assert got_std1.dtype == np.float64


def test_mean_std_layouts_and_subset():
    rng = np.random.default_rng(1)
    hwc = [rng.integers(0, 256, (4, 5, 3), dtype=np.uint8) for _ in range(10)]
    mean, std, _ = _reference([im.transpose(2, 0, 1) for im in hwc])
    got_mean, got_std = rud.compute_mean_std(Images(hwc), layout="HWC")
    np.testing.assert_allclose(got_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(got_std, std, rtol=1e-9)
    gray = [im[..., 0] for im in hwc]
    assert rud.compute_mean_std(Images(gray))[0].shape == (1,)
    sub_mean, _ = rud.compute_mean_std(Images(hwc), layout="HWC", num_samples=4, seed=3)
    chosen = sorted(np.random.default_rng(3).choice(10, size=4, replace=False).tolist())
    np.testing.assert_allclose(sub_mean, _reference([hwc[i].transpose(2, 0, 1) for i in chosen])[0], rtol=1e-12)
    with pytest.raises(ValueError, match="layout must be 'CHW' or 'HWC'"):
        rud.compute_mean_std(Images(hwc), layout="NHWC")
    with pytest.raises(ValueError, match="all must have the same number"):
        rud.compute_mean_std(Images([np.zeros((3, 2, 2)), np.zeros((1, 2, 2))]))
    with pytest.raises(TypeError, match="compute_mean_std needs images as Tensors or ndarrays"):
        rud.compute_mean_std(Images([b"jpeg bytes"]))
    with pytest.raises(ValueError, match="the dataset is empty"):
        rud.compute_mean_std(Images([]))


def test_sample_generator_contract():
    default = random_state.current_sample_generator()
    assert isinstance(default, np.random.Generator)
    with random_state.sample_generator((5, 1, 2)) as g:
        assert random_state.current_sample_generator() is g
        first = g.random(4)
        with random_state.sample_generator(9) as inner:
            assert random_state.current_sample_generator() is inner
        assert random_state.current_sample_generator() is g
    assert random_state.current_sample_generator() is default
    with random_state.sample_generator((5, 1, 2)) as g:
        np.testing.assert_array_equal(g.random(4), first)
    streams = [random_state.philox_generator(5, e, i).random() for e, i in [(2, 1), (1, 3), (0, 2), (1, 1)]]
    assert len(set(streams + [first[0]])) == 5
    np.testing.assert_array_equal(random_state.philox_generator(-1).random(2),
                                  random_state.philox_generator(2**128 - 1).random(2))
    with pytest.raises(ValueError, match="index must be in"):
        random_state.philox_generator(0, 0, -1)
    with pytest.raises(TypeError, match="sample_generator expects"):
        with random_state.sample_generator("x"):
            pass
    with pytest.raises(ValueError, match=r"sample_generator expects \(seed, epoch, index\[, stream\]\)"):
        with random_state.sample_generator((1, 2, 3, 4, 5)):
            pass
    random_state.manual_seed_samples(4)
    a = random_state.current_sample_generator().random()
    random_state.manual_seed_samples(4)
    assert random_state.current_sample_generator().random() == a


def test_lazy_sample_generator_opens_the_same_stream_on_demand():
    with random_state.lazy_sample_generator(5, 1, 2):
        g = random_state.current_sample_generator()
        assert random_state.current_sample_generator() is g  # opened once
        a = g.random(3)
    np.testing.assert_array_equal(a, random_state.philox_generator(5, 1, 2).random(3))
    with random_state.lazy_sample_generator(5, 1, 2, 1):
        b = random_state.current_sample_generator().random(3)
    np.testing.assert_array_equal(b, random_state.philox_generator(5, 1, 2, stream=1).random(3))
    assert not np.array_equal(a, b)


def test_sample_generator_is_thread_local():
    seen = {}
    barrier = threading.Barrier(2)

    def worker(name, seed):
        with random_state.sample_generator((seed, 0, 0)) as g:
            barrier.wait()
            seen[name] = random_state.current_sample_generator() is g

    threads = [threading.Thread(target=worker, args=(n, s)) for n, s in (("a", 1), ("b", 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": True, "b": True}
