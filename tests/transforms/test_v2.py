"""resnetc.transforms.v2 against torchvision.transforms.v2: conversions exact, the usual
classification chain within 1e-6 (and on the fused JPEG path), MixUp/CutMix with the same draw."""
import numpy as np
import pytest
import torch
import torchvision.transforms.v2 as TV2
from PIL import Image

import resnetc
import resnetc.transforms as T
from resnetc import io as rio
from resnetc.transforms import fused, v2

from samples.images import jpeg_bytes, photo_like


def test_to_image_and_to_dtype_match_torchvision():
    array = photo_like(23, 31, seed=1)
    for source in (array, Image.fromarray(array), array[:, :, 0]):
        ours, theirs = v2.ToImage()(source), TV2.ToImage()(source)
        assert ours.dtype == np.uint8
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    u8 = v2.ToImage()(array)
    for dtype, scale in [("float32", True), ("float32", False), ("float64", True), ("uint8", True)]:
        ours = v2.ToDtype(dtype, scale=scale)(u8)
        theirs = TV2.ToDtype(getattr(torch, dtype), scale=scale)(torch.from_numpy(u8.numpy()))
        assert ours.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert repr(v2.ToDtype("float32", scale=True)) == repr(TV2.ToDtype(torch.float32, scale=True))
    assert v2.ToPureTensor()(u8) is u8 and v2.ToImage()(u8) is u8


def _chains(size=48):
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    ours = v2.Compose([v2.Resize(size + 8), v2.CenterCrop(size), v2.ToImage(), v2.ToDtype(resnetc.float32, scale=True),
                       v2.Normalize(mean, std)])
    theirs = TV2.Compose([TV2.Resize(size + 8), TV2.CenterCrop(size), TV2.ToImage(),
                          TV2.ToDtype(torch.float32, scale=True), TV2.Normalize(mean, std)])
    return ours, theirs


def test_the_classification_chain_matches_torchvision_and_takes_the_fused_path():
    ours, theirs = _chains()
    array = photo_like(90, 120, seed=2)
    expected = theirs(Image.fromarray(array)).numpy()
    np.testing.assert_allclose(ours(Image.fromarray(array)).numpy(), expected, atol=1e-6)
    assert fused.plan(ours.transforms) is not None
    encoded = rio.EncodedImage(jpeg_bytes(array, quality=95), "x.jpg")
    decoded = Image.fromarray(rio.read_image(encoded))
    T.set_fast_path(True, dct_scaling=False)
    try:
        np.testing.assert_allclose(ours(encoded).numpy(), theirs(decoded).numpy(), atol=1e-6)
    finally:
        T.set_fast_path(True, dct_scaling=True)
    assert fused.plan([v2.ToImage(), v2.ToDtype("float32", scale=False)]) is None  # unscaled: not ToTensor


def test_mixup_matches_torchvision_for_the_same_lambda(monkeypatch):
    images = np.random.default_rng(0).random((4, 3, 5, 6), dtype=np.float32)
    labels = np.array([0, 2, 1, 2])
    with T.sample_generator(T.philox_generator(7, 0, 0)):
        lam = float(T.rng().beta(0.4, 0.4))
    with T.sample_generator(T.philox_generator(7, 0, 0)):
        ours_images, ours_labels = v2.MixUp(alpha=0.4, num_classes=3)(resnetc.tensor(images), resnetc.tensor(labels))
    theirs = TV2.MixUp(alpha=0.4, num_classes=3)
    monkeypatch.setattr(theirs, "make_params", lambda flat_inputs: dict(lam=lam))
    theirs_images, theirs_labels = theirs(torch.from_numpy(images), torch.from_numpy(labels))
    np.testing.assert_array_equal(ours_images.numpy(), theirs_images.numpy())
    np.testing.assert_array_equal(ours_labels.numpy(), theirs_labels.numpy())


def test_cutmix_pastes_a_box_and_mixes_labels_by_its_area(monkeypatch):
    images = np.random.default_rng(1).random((3, 3, 20, 30), dtype=np.float32)
    labels = np.eye(4, dtype=np.float32)[[1, 3, 0]]
    for index in range(10):
        with T.sample_generator(T.philox_generator(0, 0, index)):
            mixed, mixed_labels = v2.CutMix(alpha=1.0)(resnetc.tensor(images), resnetc.tensor(labels))
        mixed, mixed_labels = mixed.numpy(), mixed_labels.numpy()
        changed = np.any(mixed != images, axis=(0, 1))
        rolled = np.roll(images, 1, axis=0)
        if changed.any():
            rows, cols = np.nonzero(changed)
            y1, y2, x1, x2 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
            np.testing.assert_array_equal(mixed[..., y1:y2, x1:x2], rolled[..., y1:y2, x1:x2])
            area = (y2 - y1) * (x2 - x1)
        else:
            area = 0
        lam = 1.0 - area / (20 * 30)
        # same box through torchvision: its labels agree
        theirs = TV2.CutMix(alpha=1.0)
        box = (x1, y1, x2, y2) if area else (0, 0, 0, 0)
        monkeypatch.setattr(theirs, "make_params", lambda flat_inputs: dict(box=box, lam_adjusted=lam))
        theirs_images, theirs_labels = theirs(torch.from_numpy(images), torch.from_numpy(labels))
        if area:
            np.testing.assert_array_equal(mixed, theirs_images.numpy())
        np.testing.assert_allclose(mixed_labels, theirs_labels.numpy(), atol=1e-6)
        np.testing.assert_allclose(mixed_labels.sum(axis=1), 1.0, atol=1e-6)


def test_mix_errors_name_the_problem():
    images = resnetc.tensor(np.zeros((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match="num_classes must be given"):
        v2.MixUp()(images, resnetc.tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match="batched input with 4 dims"):
        v2.CutMix(num_classes=2)(resnetc.tensor(np.zeros((3, 4, 4), np.float32)), resnetc.tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match="does not match the batch size"):
        v2.MixUp(num_classes=2)(images, resnetc.tensor(np.array([0, 1, 1])))
    with pytest.raises(ValueError, match="shape \\(2, 2, 2\\)"):
        v2.MixUp(num_classes=2)(images, resnetc.tensor(np.zeros((2, 2, 2), np.float32)))
