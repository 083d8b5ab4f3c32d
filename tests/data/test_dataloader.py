"""The threaded DataLoader: batching vs torch, determinism across num_workers, errors, shutdown."""
import threading
import time
import warnings

import numpy as np
import pytest
import torch.utils.data as tud

import resnetc
import resnetc.utils.data as rud
from resnetc.utils.random_state import current_sample_generator


class NoisyImages(rud.Dataset):
    """Each sample: a (3, 4, 4) float32 image with noise drawn from the per-sample generator (like
    a random transform would), and its label. Optionally sleeps to shuffle thread timing."""

    def __init__(self, n=23, sleep=False, bad=()):
        self.n, self.sleep, self.bad = n, sleep, set(bad)

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index in self.bad:
            raise ValueError(f"bad sample {index}")
        rng = current_sample_generator()
        if self.sleep:
            time.sleep(rng.random() * 0.002)
        image = np.full((3, 4, 4), index, dtype=np.float32) + rng.random((3, 4, 4), dtype=np.float32)
        return image, index % 5


def _epoch(loader):
    return [(b[0].array.copy(), b[1].array.copy()) for b in loader]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, b))


def _workers_alive():
    return [t for t in threading.enumerate() if t.name.startswith("resnetc-DataLoader-worker")]


def _wait_no_workers(timeout=5.0):
    deadline = time.monotonic() + timeout
    while _workers_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    return _workers_alive()


def test_batches_identical_for_any_num_workers():
    ds = NoisyImages(sleep=True)
    epochs = {}
    for workers in (0, 1, 2, 3):
        loader = rud.DataLoader(ds, batch_size=4, shuffle=True, num_workers=workers, seed=123)
        epochs[workers] = (_epoch(loader), _epoch(loader))
    for workers in (1, 2, 3):
        assert _same(epochs[workers][0], epochs[0][0]) and _same(epochs[workers][1], epochs[0][1])
    first, second = epochs[0]
    order0 = np.concatenate([b[0][:, 0, 0, 0] for b in first]).astype(int)
    order1 = np.concatenate([b[0][:, 0, 0, 0] for b in second]).astype(int)
    assert sorted(order0) == sorted(order1) == list(range(23)) and list(order0) != list(order1)  # new shuffle


def test_collate_randomness_identical_for_any_num_workers():
    def mix(samples):
        batch = rud.default_collate(samples)
        lam = current_sample_generator().random()
        return batch[0].array * lam + batch[0].array[::-1] * (1 - lam), lam

    results = [[(x.copy(), lam) for x, lam in rud.DataLoader(NoisyImages(sleep=True), batch_size=4, seed=1,
                                                             collate_fn=mix, num_workers=w)] for w in (0, 2)]
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(*results))
    assert len({lam for _, lam in results[0]}) == len(results[0])


def test_concurrent_iterators_keep_their_epochs():
    loader = rud.DataLoader(NoisyImages(), batch_size=4, shuffle=True, seed=2, num_workers=2)
    reference = rud.DataLoader(NoisyImages(), batch_size=4, shuffle=True, seed=2)
    e0, e1 = _epoch(reference), _epoch(reference)
    it0, it1 = iter(loader), iter(loader)
    pairs = list(zip(it0, it1))
    assert _same([(a[0].array, a[1].array) for a, _ in pairs], e0)
    assert _same([(b[0].array, b[1].array) for _, b in pairs], e1)
    assert isinstance(loader.sampler, rud.RandomSampler) and len(loader) == 6
    unbatched = [x[1] for x in rud.DataLoader(NoisyImages(), batch_size=None, shuffle=True, seed=2)]
    assert sorted(unbatched) == sorted(i % 5 for i in range(23)) and len(unbatched) == 23


def test_unpicklable_dataset_works_with_threads():
    lock = threading.Lock()
    square = lambda x: x * x  # noqa: E731 (a lambda cannot be pickled for a worker process)

    class Local(rud.Dataset):  # defined in a function: not importable by a worker process either
        def __len__(self):
            return 9

        def __getitem__(self, index):
            with lock:
                return square(index)

    assert [b.array.tolist() for b in rud.DataLoader(Local(), batch_size=4, num_workers=2)] == \
        [[0, 1, 4, 9], [16, 25, 36, 49], [64]]


def test_batch_contents_and_types():
    loader = rud.DataLoader(NoisyImages(10), batch_size=4, shuffle=False, seed=0)
    batches = list(loader)
    assert len(loader) == 3 and [b[0].shape for b in batches] == [(4, 3, 4, 4), (4, 3, 4, 4), (2, 3, 4, 4)]
    images, labels = batches[1]
    assert isinstance(images, resnetc.Tensor) and images.dtype == np.float32 and images.array.flags.c_contiguous
    assert isinstance(labels, resnetc.Tensor) and labels.dtype == np.int64
    assert labels.array.tolist() == [4 % 5, 5 % 5, 6 % 5, 7 % 5]
    np.testing.assert_array_equal(np.floor(images.array[:, 0, 0, 0]), [4, 5, 6, 7])


def test_seed_epoch_and_set_epoch_reproduce():
    ds = NoisyImages()
    a = rud.DataLoader(ds, batch_size=5, shuffle=True, num_workers=2, seed=7)
    e0, e1 = _epoch(a), _epoch(a)
    b = rud.DataLoader(ds, batch_size=5, shuffle=True, seed=7)
    b.set_epoch(1)
    assert b.epoch == 1 and _same(_epoch(b), e1)
    b.set_epoch(0)
    assert _same(_epoch(b), e0)
    c = rud.DataLoader(ds, batch_size=5, shuffle=True, seed=8)
    assert not _same(_epoch(c), e0)
    resnetc.manual_seed(3)
    d = _epoch(rud.DataLoader(ds, batch_size=5, shuffle=True))
    resnetc.manual_seed(3)
    assert _same(_epoch(rud.DataLoader(ds, batch_size=5, shuffle=True)), d)
    g = rud.DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(11))
    assert _same(_epoch(g), _epoch(rud.DataLoader(ds, batch_size=5, shuffle=True,
                                                  seed=int(np.random.default_rng(11).integers(2**63)))))


def test_lengths_and_batches_match_torch():
    data = list(range(17))
    for kwargs in ({"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": 17},
                   {"batch_size": 20, "drop_last": True}, {"batch_size": None}):
        ours = rud.DataLoader(data, **kwargs)
        theirs = tud.DataLoader(data, **kwargs)
        assert len(ours) == len(theirs)
        ours_batches = [b.array.tolist() if isinstance(b, resnetc.Tensor) else b for b in ours]
        assert ours_batches == [b.tolist() if hasattr(b, "tolist") else b for b in theirs]
    sampler = tud.BatchSampler(range(10), 3, drop_last=False)
    ours = rud.DataLoader(data, batch_sampler=[[5, 1], [0], [16, 2, 3]], num_workers=2)
    assert [b.array.tolist() for b in ours] == [[5, 1], [0], [16, 2, 3]]
    ours = rud.DataLoader(data, batch_sampler=rud.BatchSampler(range(10), 3, False))
    assert len(ours) == len(sampler) == 4 and [b.array.tolist() for b in ours][-1] == [9]
    ours = rud.DataLoader(data, sampler=[3, 1, 2], batch_size=2, collate_fn=lambda b: tuple(b))
    assert list(ours) == [(3, 1), (2,)]


def test_argument_errors_like_torch():
    data = list(range(5))
    cases = [
        (dict(num_workers=-1), "num_workers option should be non-negative"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
        (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
        (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
        (dict(seed=1, generator=2), "seed and generator are mutually exclusive"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            rud.DataLoader(data, **kwargs)
    with pytest.raises(TypeError, match="skip_errors must be a bool"):
        rud.DataLoader(data, skip_errors=("x",))


def test_worker_exception_propagates_with_index_and_path(tmp_path):
    for workers in (0, 2):
        loader = rud.DataLoader(NoisyImages(20, bad={13}), batch_size=4, num_workers=workers, seed=0)
        seen = []
        with pytest.raises(ValueError, match="bad sample 13") as info:
            for images, _ in loader:
                seen.append(images.shape[0])
        assert seen == [4, 4, 4]  # batches before the bad one arrive, in order
        where = "worker" if workers else "main thread"
        assert any(f"in DataLoader {where}" in n and "sample index 13" in n and "epoch 0" in n
                   for n in info.value.__notes__)
        assert not _wait_no_workers()

    root = tmp_path / "imgs"
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            (root / cls / f"{i}.jpg").write_bytes(b"not a jpeg")

    def decode(encoded):
        if encoded.path.endswith("b/1.jpg"):
            raise OSError("truncated file")
        return np.zeros((3, 2, 2), np.float32)

    from resnetc.datasets import ImageFolder
    from resnetc.io import EncodedImage
    ds = ImageFolder(str(root), transform=decode, loader=EncodedImage.from_file)
    with pytest.raises(OSError, match="truncated file") as info:
        list(rud.DataLoader(rud.Subset(ds, [0, 4, 1]), batch_size=2, num_workers=2))
    assert any("sample index 1" in n and str(root / "b" / "1.jpg") in n for n in info.value.__notes__)


def test_early_break_and_drop_stop_threads():
    ds = NoisyImages(200, sleep=True)
    for _ in range(3):
        for i, _batch in enumerate(rud.DataLoader(ds, batch_size=2, num_workers=2, seed=0)):
            if i == 1:
                break
        assert not _wait_no_workers(), "worker threads still running after break"
    it = iter(rud.DataLoader(ds, batch_size=2, num_workers=2))
    next(it)
    del it
    assert not _wait_no_workers()


def test_persistent_workers_and_worker_init_fn():
    started = []
    infos = []

    class Recording(NoisyImages):
        def __getitem__(self, index):
            info = rud.get_worker_info()
            infos.append((info.id, info.num_workers, info.dataset is self))
            return super().__getitem__(index)

    ds = Recording(12)
    loader = rud.DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True, seed=5,
                            worker_init_fn=started.append)
    e0 = _epoch(loader)
    threads = _workers_alive()
    assert len(threads) == 2 and sorted(started) == [0, 1]
    e1 = _epoch(loader)
    assert _workers_alive() == threads and sorted(started) == [0, 1]  # same threads, no re-init
    assert _same(e0, _epoch(rud.DataLoader(NoisyImages(12), batch_size=3, seed=5)))
    assert not _same(e0, e1)
    assert {i[0] for i in infos} <= {0, 1} and all(i[1] == 2 and i[2] for i in infos)
    assert rud.get_worker_info() is None
    loader.close()
    assert not _wait_no_workers()

    def broken_init(worker_id):
        raise RuntimeError("init failed")

    with pytest.raises(RuntimeError, match="init failed"):
        list(rud.DataLoader(ds, batch_size=3, num_workers=2, worker_init_fn=broken_init))
    assert not _wait_no_workers()


def test_skip_errors_warns_and_counts():
    ds = NoisyImages(10, bad={2, 3, 7})
    loader = rud.DataLoader(ds, batch_size=4, num_workers=2, skip_errors=True, seed=0)
    with pytest.warns(rud.SkippedSampleWarning) as record:
        batches = list(loader)
    assert [b[0].shape[0] for b in batches] == [2, 3, 2]
    assert loader.num_skipped == 3 and [s.index for s in loader.skipped_samples] == [2, 3, 7]
    assert all(isinstance(s.error, ValueError) for s in loader.skipped_samples)
    assert [str(w.message).split(":")[0] for w in record] == [f"DataLoader skipped sample {i} in epoch 0"
                                                               for i in (2, 3, 7)]
    # Only the listed exception types are skipped; the others still raise.
    with pytest.raises(ValueError, match="bad sample 2"):
        list(rud.DataLoader(ds, batch_size=4, skip_errors=(KeyError,)))
    # A batch whose samples are all bad is dropped.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rud.SkippedSampleWarning)
        out = list(rud.DataLoader(NoisyImages(6, bad={2, 3}), batch_size=2, skip_errors=True))
    assert len(out) == 2


def test_timeout():
    class Slow(rud.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            time.sleep(0.5)
            return index

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.05 seconds"):
        list(rud.DataLoader(Slow(), batch_size=2, num_workers=1, timeout=0.05))
    assert not _wait_no_workers()


def test_iterable_dataset():
    class Stream(rud.IterableDataset):
        def __iter__(self):
            for i in range(7):
                yield np.float32(i + current_sample_generator().random())

        def __len__(self):
            return 7

    a = rud.DataLoader(Stream(), batch_size=3, seed=1)
    b = rud.DataLoader(Stream(), batch_size=3, seed=1)
    first = [x.array.tolist() for x in a]
    assert [len(x) for x in first] == [3, 3, 1] and len(a) == 3
    assert first == [x.array.tolist() for x in b]
    assert first != [x.array.tolist() for x in a]  # epoch 1
    assert len(rud.DataLoader(Stream(), batch_size=3, drop_last=True)) == 2
    assert len(list(rud.DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        rud.DataLoader(Stream(), shuffle=True)


def test_image_folder_end_to_end_matches_torchvision(tmp_path):
    """Real JPEGs through ImageFolder + DataLoader (PIL decoding in a test transform) give the
    batches torchvision's ImageFolder + DataLoader give; a text file named .jpg is skipped."""
    import io

    import torch.utils.data as tud
    import torchvision.datasets as tvd
    from PIL import Image

    from resnetc.datasets import ImageFolder

    rng = np.random.default_rng(0)
    for cls in ("ant", "bee"):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).save(tmp_path / cls / f"{i}.jpg")

    def to_chw(image):  # PIL image -> float32 CHW in [0, 1], like ToTensor
        return np.ascontiguousarray(np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / 255)

    # the user's own transform gets a PIL image, as from torchvision's ImageFolder
    ours = rud.DataLoader(ImageFolder(str(tmp_path), transform=to_chw), batch_size=4, num_workers=2)
    theirs = tud.DataLoader(tvd.ImageFolder(str(tmp_path), transform=to_chw), batch_size=4)
    pairs = list(zip(ours, theirs))
    assert len(pairs) == len(ours) == 3
    for (images, labels), (t_images, t_labels) in pairs:
        np.testing.assert_array_equal(images.array, t_images.numpy())
        np.testing.assert_array_equal(labels.array, t_labels.numpy())

    (tmp_path / "bee" / "2.jpg").write_text("not an image")
    loader = rud.DataLoader(ImageFolder(str(tmp_path), transform=to_chw), batch_size=4, num_workers=2,
                            skip_errors=True)
    with pytest.warns(rud.SkippedSampleWarning, match=r"bee/2\.jpg"):
        assert sum(b[0].shape[0] for b in loader) == 9
    assert loader.skipped_samples[0].path == str(tmp_path / "bee" / "2.jpg")
    with pytest.raises(Exception, match="cannot identify image file") as info:
        list(rud.DataLoader(ImageFolder(str(tmp_path), transform=to_chw), batch_size=4, num_workers=2))
    assert any(str(tmp_path / "bee" / "2.jpg") in note for note in info.value.__notes__)


def test_fused_samples_are_written_into_the_batch(tmp_path, monkeypatch):
    """With ImageFolder and the fused transform path, workers write each sample into its row of the
    batch: the batches equal the general path's, including a PNG (general path) as a batch's first
    sample and skipped broken files in between."""
    import io
    from PIL import Image
    import resnetc.transforms as T
    from resnetc.datasets import ImageFolder
    import resnetc.utils.data.collate as collate_module
    from samples.images import jpeg_bytes, photo_like

    os_files = {"a/0.png": None, "a/bad.jpg": b"not a jpeg", "b/zz_bad.jpg": b"\xff\xd8\xff"}
    for k in range(9):
        os_files[f"{'ab'[k % 2]}/{k + 1}.jpg"] = jpeg_bytes(photo_like(60 + 7 * k, 90 - 3 * k, seed=k), quality=90)
    buf = io.BytesIO()
    Image.fromarray(photo_like(50, 70, seed=42)).save(buf, "PNG")
    os_files["a/0.png"] = buf.getvalue()
    for name, data in os_files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    chain = T.Compose([T.RandomResizedCrop(32), T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2, 0.1),
                       T.ToTensor(), T.Normalize([0.5, 0.4, 0.3], [0.2, 0.3, 0.25])])
    dataset = rud.ConcatDataset([ImageFolder(str(tmp_path), transform=chain)] * 2)
    in_place = []  # samples collate found already in their row of the batch
    original = collate_module._in_place
    monkeypatch.setattr(collate_module, "_in_place", lambda a, row: original(a, row) and not in_place.append(1))

    def epoch(workers, fast):
        T.set_fast_path(fast, False)
        loader = rud.DataLoader(dataset, batch_size=5, shuffle=True, num_workers=workers, seed=3, skip_errors=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rud.SkippedSampleWarning)
            return _epoch(loader), loader.num_skipped

    try:
        reference, skipped = epoch(0, fast=False)
        assert skipped == 4 and not in_place
        for workers in (0, 2):
            batches, skipped = epoch(workers, fast=True)
            assert skipped == 4 and _same(batches, reference)
        assert len(in_place) > 10
    finally:
        T.set_fast_path(True, True)
