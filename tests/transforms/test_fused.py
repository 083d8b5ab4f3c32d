"""The fused JPEG path of Compose: same draws and same pixels as the general path (and as
torchvision given those parameters); DCT scaling differs by a measured, bounded amount."""
import io
import re
import threading

import numpy as np
import pytest
import torch
import torchvision.transforms as TV
import torchvision.transforms.functional as TVF
from PIL import Image

import resnetc.io as rio
import resnetc.transforms as T
from resnetc import _C
from resnetc.transforms import fused

from samples.images import jpeg_bytes, photo_like

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def train_chain(size=224):
    return T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2, 0.2),
                      T.ToTensor(), T.Normalize(MEAN, STD)])


@pytest.fixture(autouse=True)
def restore_fast_path():
    yield
    T.set_fast_path(True, True)


@pytest.fixture(scope="module")
def jpegs(photo):
    return {
        "baseline": rio.EncodedImage(jpeg_bytes(photo, quality=90), "baseline.jpg"),
        "progressive": rio.EncodedImage(jpeg_bytes(photo, quality=85, progressive=True), "progressive.jpg"),
        "gray": rio.EncodedImage(jpeg_bytes(photo, mode="L", quality=90), "gray.jpg"),
        "cmyk": rio.EncodedImage(jpeg_bytes(photo, mode="CMYK", quality=90), "cmyk.jpg"),
        "444": rio.EncodedImage(jpeg_bytes(photo_like(301, 211, seed=9), quality=92, subsampling=0), "444.jpg"),
    }


def run(chain, img, seed, index, fast, dct=False):
    T.set_fast_path(fast, dct)
    with T.sample_generator(T.philox_generator(seed, 0, index)):
        return chain(img).array


@pytest.mark.parametrize("name", ["baseline", "progressive", "gray", "cmyk", "444"])
def test_fused_equals_general_path(jpegs, name):
    chain = train_chain()
    assert fused.plan(chain.transforms) is not None
    for i in range(12):
        a = run(chain, jpegs[name], 0, i, fast=True)
        b = run(chain, jpegs[name], 0, i, fast=False)
        assert a.shape == (3, 224, 224) and a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_fused_equals_torchvision_given_the_params(jpegs):
    img = jpegs["baseline"]
    pil = Image.open(io.BytesIO(img.data)).convert("RGB")
    rrc, jitter = T.RandomResizedCrop(224), T.ColorJitter(0.2, 0.2, 0.2, 0.2)
    ops = {"brightness": TVF.adjust_brightness, "contrast": TVF.adjust_contrast,
           "saturation": TVF.adjust_saturation, "hue": TVF.adjust_hue}
    for i in range(10):
        out = run(train_chain(), img, 5, i, fast=True)
        with T.sample_generator(T.philox_generator(5, 0, i)):  # the same draws, in chain order
            top, left, h, w = rrc.get_params(img, rrc.scale, rrc.ratio)
            flip = T.rng().random() < 0.5
            params = jitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue)
        ref = TVF.resized_crop(pil, top, left, h, w, [224, 224])
        if flip:
            ref = TVF.hflip(ref)
        for name, factor in T.ColorJitter.ops_from_params(params):
            ref = ops[name](ref, factor)
        ref = TVF.normalize(TVF.to_tensor(ref), MEAN, STD).numpy()
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("chain", [
    lambda: (T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)]),
             TV.Compose([TV.Resize(256), TV.CenterCrop(224), TV.ToTensor(), TV.Normalize(MEAN, STD)])),
    lambda: (T.Compose([T.CenterCrop(200), T.Resize((64, 80), T.InterpolationMode.BICUBIC), T.ToTensor()]),
             TV.Compose([TV.CenterCrop(200), TV.Resize((64, 80), TV.InterpolationMode.BICUBIC), TV.ToTensor()])),
    lambda: (T.Compose([T.ToTensor()]), TV.Compose([TV.ToTensor()])),
    lambda: (T.Compose([T.Resize(100), T.CenterCrop((90, 50)), T.CenterCrop(40), T.ToTensor()]),
             TV.Compose([TV.Resize(100), TV.CenterCrop((90, 50)), TV.CenterCrop(40), TV.ToTensor()])),
], ids=["eval", "crop-resize-bicubic", "to-tensor", "resize-two-crops"])
def test_deterministic_chains_equal_torchvision(jpegs, chain):
    ours, theirs = chain()
    assert fused.plan(ours.transforms) is not None
    for name in ("baseline", "gray", "444"):
        img = jpegs[name]
        ref = theirs(Image.open(io.BytesIO(img.data)).convert("RGB")).numpy()
        T.set_fast_path(True, False)
        np.testing.assert_array_equal(ours(img).array, ref)


def test_dct_scaling_difference_is_small():
    """Measured difference documented in resnetc/transforms/fused.py."""
    img = rio.EncodedImage(jpeg_bytes(photo_like(1200, 1600, seed=2), quality=90), "big.jpg")
    chain = T.Compose([T.RandomResizedCrop(224, scale=(0.5, 1.0)), T.ToTensor()])
    means, worst = [], 0.0
    for i in range(8):
        a = run(chain, img, 0, i, fast=True, dct=True)
        b = run(chain, img, 0, i, fast=True, dct=False)
        d = np.abs(a - b)
        means.append(d.mean())
        worst = max(worst, d.max())
    assert 0 < np.mean(means) < 0.003  # measured 0.0017
    assert worst < 0.05  # measured 0.031
    # the denominator picked: the decoded crop stays >= 2x the target in both directions
    for crop, denom in [((0, 0, 1600, 1200), 2), ((0, 0, 1600, 896), 2), ((0, 0, 1600, 895), 1)]:
        _, used = _C.jpeg_pipeline(img.data, crop, (224, 224), 2, (0, 0, 224, 224), 0, 0, [],
                                   None, None, 0, 0, 1, None)
        assert used == denom, crop
    _, used = _C.jpeg_pipeline(img.data, (0, 0, 1600, 1200), (32, 32), 2, (0, 0, 32, 32), 0, 0, [],
                               None, None, 0, 0, 1, None)
    assert used == 8  # 200x150 decoded: still over 2x the target


def test_dct_scaling_never_decodes_straight_to_the_target():
    """A 2x reduction (64x64 to 32x32) is left to the resize filter: identical to the exact path."""
    img = rio.EncodedImage(jpeg_bytes(photo_like(64, 64, seed=5), quality=90), "small.jpg")
    chain = T.Compose([T.Resize((32, 32)), T.ToTensor()])
    np.testing.assert_array_equal(run(chain, img, 0, 0, fast=True, dct=True),
                                  run(chain, img, 0, 0, fast=True, dct=False))


def test_non_fusable_chains_take_the_general_path(jpegs):
    chain = T.Compose([T.RandomResizedCrop(64), T.Grayscale(3), T.ToTensor()])
    assert fused.plan(chain.transforms) is None
    np.testing.assert_array_equal(run(chain, jpegs["baseline"], 1, 0, True), run(chain, jpegs["baseline"], 1, 0, False))
    assert fused.plan([T.ColorJitter(0.1), T.RandomResizedCrop(8), T.ToTensor()]) is None  # color before geometry
    assert fused.plan([T.Resize(8), T.Resize(4), T.ToTensor()]) is None
    assert fused.plan([T.Resize(8, T.InterpolationMode.NEAREST), T.ToTensor()]) is None
    assert fused.plan([T.RandomResizedCrop(8)]) is None  # no ToTensor: the result is an image


def test_fallback_mid_chain_keeps_the_draws(jpegs):
    """CenterCrop larger than the resized crop: the fused path gives up after drawing, restores
    the generator and the general path (zero padding) draws the same numbers."""
    chain = T.Compose([T.RandomResizedCrop(32), T.CenterCrop(40), T.ToTensor()])
    assert fused.plan(chain.transforms) is not None
    np.testing.assert_array_equal(run(chain, jpegs["baseline"], 2, 3, True), run(chain, jpegs["baseline"], 2, 3, False))


def test_out_buffer_and_threads(jpegs):
    batch = np.zeros((4, 3, 224, 224), np.float32)
    chain = train_chain()
    steps = fused.plan(chain.transforms)
    for i in range(4):
        with T.sample_generator(T.philox_generator(0, 0, i)):
            fused.run(steps, jpegs["baseline"], out=batch[i])
    expected = [run(chain, jpegs["baseline"], 0, i, fast=False) for i in range(4)]
    for i in range(4):
        np.testing.assert_array_equal(batch[i], expected[i])
    batch[:] = 0
    T.set_fast_path(True, False)
    for i in range(4):
        with T.sample_generator(T.philox_generator(0, 0, i)), fused.output_slot(batch[i]):
            out = chain(jpegs["baseline"]).array
            again = chain(jpegs["baseline"]).array  # the slot is taken once
        assert np.shares_memory(out, batch[i]) and not np.shares_memory(again, batch)
        np.testing.assert_array_equal(batch[i], expected[i])
    # a chain the fused path cannot run, or an output of another shape, leaves the slot alone
    for other in (T.Compose([T.Grayscale(3), T.ToTensor()]), T.Compose([T.CenterCrop(100), T.ToTensor()])):
        with T.sample_generator(T.philox_generator(0, 0, 0)), fused.output_slot(batch[0]):
            assert not np.shares_memory(other(jpegs["baseline"]).array, batch)
    np.testing.assert_array_equal(batch[0], expected[0])
    T.set_fast_path(True, True)
    results = {}

    def work(k):
        results[k] = run(chain, jpegs["progressive"], 9, k, fast=True, dct=True)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(6):
        np.testing.assert_array_equal(results[k], run(chain, jpegs["progressive"], 9, k, fast=True, dct=True))


def test_bad_files_through_compose(tmp_path, photo, monkeypatch):
    chain = train_chain()
    data = jpeg_bytes(photo, quality=90)
    truncated = rio.EncodedImage(data[:len(data) // 2], str(tmp_path / "half.jpg"))
    # Only the rows a crop needs are decoded: a crop inside the intact top part gives the right
    # pixels, any other raises. Small crops see both cases.
    small_crops = T.Compose([T.RandomResizedCrop(32, scale=(0.005, 0.01)), T.ToTensor()])
    outcomes = {"raised": 0, "decoded": 0}
    for k, c in enumerate([chain] * 10 + [small_crops] * 30):
        try:
            with T.sample_generator(T.philox_generator(3, 0, k)):
                out = c(truncated).array
        except ValueError as e:
            assert re.search(r"half\.jpg: cannot decode JPEG: .*(truncated|premature)", str(e)), e
            outcomes["raised"] += 1
            continue
        with T.sample_generator(T.philox_generator(3, 0, k)):
            np.testing.assert_array_equal(out, c(rio.EncodedImage(data)).array)
        outcomes["decoded"] += 1
    assert outcomes["raised"] >= 10 and outcomes["decoded"] > 0, outcomes
    with pytest.raises(ValueError, match=r"text\.jpg: cannot decode image"):
        chain(rio.EncodedImage(b"hello, not an image", "text.jpg"))
    with pytest.raises(ValueError, match=r"zero\.jpg: cannot decode an empty file"):
        chain(rio.EncodedImage(b"", "zero.jpg"))
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "PNG")
    png = rio.EncodedImage(buf.getvalue(), "png_named.jpg")
    with T.sample_generator(T.philox_generator(0, 0, 0)):
        out = chain(png).array  # not a JPEG: decoded by Pillow, general path
    with T.sample_generator(T.philox_generator(0, 0, 0)):
        ref = chain(Image.fromarray(photo)).array
    np.testing.assert_array_equal(out, ref)
    monkeypatch.setattr(rio, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(rio.DecompressionBombError, match=r"big\.jpg: image size"):
        chain(rio.EncodedImage(data, "big.jpg"))


def test_bad_pipeline_arguments(jpegs):
    data = jpegs["baseline"].data
    with pytest.raises(ValueError, match=r"output rect \(0, 0, 300, 10\) not inside the resized 224x224 image"):
        _C.jpeg_pipeline(data, (0, 0, 100, 100), (224, 224), 2, (0, 0, 300, 10), 0, 0, [], None, None, 0, 0, 0, None)
    with pytest.raises(ValueError, match=r"crop \(400, 0, 200, 100\) outside the 500x375 image"):
        _C.jpeg_pipeline(data, (400, 0, 200, 100), (20, 20), 2, (0, 0, 20, 20), 0, 0, [], None, None, 0, 0, 0, None)
    with pytest.raises(ValueError, match="unknown color op 7"):
        _C.jpeg_pipeline(data, (0, 0, 100, 100), (20, 20), 2, (0, 0, 20, 20), 0, 0, [(7, 1.0)], None, None, 0, 0, 0, None)
    with pytest.raises(ValueError, match=r"jpeg_pipeline: out must have shape \(3, 20, 20\), got \(3, 20, 21\)"):
        _C.jpeg_pipeline(data, (0, 0, 100, 100), (20, 20), 2, (0, 0, 20, 20), 0, 0, [], None, None, 0, 0, 0,
                         np.zeros((3, 20, 21), np.float32))
