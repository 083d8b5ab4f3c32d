"""Tensor transforms on batches (N, C, H, W), as torchvision's tensor path takes them: every
image gets the same operation (and a random transform the same draw). Tolerance: 1e-5 (float32
math, as the single-image tensor tests)."""
import numpy as np
import pytest
import torch
import torchvision.models as tvm
import torchvision.transforms as TV
import torchvision.transforms.functional as TVF

import resnetc
import resnetc.transforms as T
import resnetc.transforms.functional as F
from resnetc.models import ResNet50_Weights

TOL = 1e-5


def _batch(dtype=np.float32):
    rng = np.random.default_rng(4)
    if dtype == np.uint8:
        return rng.integers(0, 256, (3, 3, 18, 22), dtype=np.uint8)
    return rng.random((3, 3, 18, 22), dtype=np.float32)


CASES = {
    "resize": (lambda f, t: f.resize(t, [9, 13], antialias=True)),
    "resize_short_side": (lambda f, t: f.resize(t, [12], antialias=True)),
    "center_crop": (lambda f, t: f.center_crop(t, [10, 7])),
    "crop": (lambda f, t: f.crop(t, 2, 3, 8, 9)),
    "resized_crop": (lambda f, t: f.resized_crop(t, 1, 2, 12, 15, [8, 8], antialias=True)),
    "pad": (lambda f, t: f.pad(t, [1, 2, 3, 4], padding_mode="reflect")),
    "hflip": (lambda f, t: f.hflip(t)),
    "vflip": (lambda f, t: f.vflip(t)),
    "brightness": (lambda f, t: f.adjust_brightness(t, 1.3)),
    "contrast": (lambda f, t: f.adjust_contrast(t, 0.6)),
    "saturation": (lambda f, t: f.adjust_saturation(t, 1.4)),
    "hue": (lambda f, t: f.adjust_hue(t, -0.2)),
    "grayscale": (lambda f, t: f.rgb_to_grayscale(t, 3)),
    "rotate": (lambda f, t: f.rotate(t, 15.0)),
    "affine": (lambda f, t: f.affine(t, 10.0, [2, -1], 0.9, [5.0, 0.0])),
    "gaussian_blur": (lambda f, t: f.gaussian_blur(t, [3, 5], [0.8, 1.2])),
    "sharpness": (lambda f, t: f.adjust_sharpness(t, 1.7)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_functionals_take_batches(name):
    images = _batch()
    ours = CASES[name](F, resnetc.tensor(images)).numpy()
    theirs = CASES[name](TVF, torch.from_numpy(images)).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=TOL)
    first = CASES[name](F, resnetc.tensor(images[0])).numpy()
    np.testing.assert_array_equal(ours[0], first)  # batched == image by image


@pytest.mark.parametrize("name", ["invert", "posterize", "solarize", "autocontrast", "equalize"])
def test_uint8_functionals_take_batches(name):
    images = _batch(np.uint8)
    fn = {"invert": lambda f, t: f.invert(t), "posterize": lambda f, t: f.posterize(t, 3),
          "solarize": lambda f, t: f.solarize(t, 100), "autocontrast": lambda f, t: f.autocontrast(t),
          "equalize": lambda f, t: f.equalize(t)}[name]
    np.testing.assert_array_equal(fn(F, resnetc.tensor(images)).numpy(), fn(TVF, torch.from_numpy(images)).numpy())


def test_more_leading_dimensions_and_sizes():
    images = np.random.default_rng(0).random((2, 4, 3, 16, 20), dtype=np.float32)
    out = T.Resize((8, 10))(resnetc.tensor(images))
    assert out.shape == (2, 4, 3, 8, 10)
    np.testing.assert_array_equal(out.numpy()[1, 2], T.Resize((8, 10))(resnetc.tensor(images[1, 2])).numpy())
    assert F.get_dimensions(resnetc.tensor(images)) == [3, 16, 20]
    assert F.get_image_size(resnetc.tensor(images)) == [20, 16]


def test_weights_preset_on_a_batch():
    images = np.random.default_rng(1).random((2, 3, 250, 300), dtype=np.float32)
    ours = ResNet50_Weights.IMAGENET1K_V1.transforms()(resnetc.tensor(images)).numpy()
    theirs = tvm.ResNet50_Weights.IMAGENET1K_V1.transforms()(torch.from_numpy(images)).numpy()
    assert ours.shape == (2, 3, 224, 224)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_a_random_transform_draws_once_for_the_whole_batch():
    images = _batch()
    with T.sample_generator(T.philox_generator(0, 0, 0)):
        out = T.RandomResizedCrop(8, antialias=True)(resnetc.tensor(images)).numpy()
    assert out.shape == (3, 3, 8, 8)
    # one box for every image: each output equals the crop of its own input with that box
    with T.sample_generator(T.philox_generator(0, 0, 0)):
        first = T.RandomResizedCrop(8, antialias=True)(resnetc.tensor(images[0])).numpy()
    np.testing.assert_array_equal(out[0], first)
    with T.sample_generator(T.philox_generator(0, 0, 0)):
        second = T.RandomResizedCrop(8, antialias=True)(resnetc.tensor(images[1])).numpy()
    np.testing.assert_array_equal(out[1], second)
    composed = T.Compose([T.CenterCrop(12), T.Normalize([0.5] * 3, [0.2] * 3)])(resnetc.tensor(images))
    reference = TV.Compose([TV.CenterCrop(12), TV.Normalize([0.5] * 3, [0.2] * 3)])(torch.from_numpy(images))
    np.testing.assert_allclose(composed.numpy(), reference.numpy(), atol=TOL)
