"""Random transforms: same output as torchvision for the same parameters, parameter
distributions that match torchvision's, and counter-based determinism."""
import threading

import numpy as np
import pytest
import torch
import torchvision.transforms as TV
import torchvision.transforms.functional as TVF
from PIL import Image

import resnetc.transforms as T
import resnetc.transforms.functional as F
from resnetc.tensor import Tensor

from samples.images import photo_like


@pytest.fixture(scope="module")
def pil():
    return Image.fromarray(photo_like(90, 120, seed=5))


def test_random_resized_crop_with_params(pil):
    t = T.RandomResizedCrop(48)
    for s in range(20):
        with T.sample_generator(T.philox_generator(1, 0, s)):
            i, j, h, w = t.get_params(pil, t.scale, t.ratio)
        with T.sample_generator(T.philox_generator(1, 0, s)):
            out = t(pil)
        ref = TVF.resized_crop(pil, i, j, h, w, [48, 48], TVF.InterpolationMode.BILINEAR)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))


def test_color_jitter_with_params(pil):
    t = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    ops = {"brightness": TVF.adjust_brightness, "contrast": TVF.adjust_contrast,
           "saturation": TVF.adjust_saturation, "hue": TVF.adjust_hue}
    for s in range(20):
        with T.sample_generator(T.philox_generator(2, 0, s)):
            params = t.get_params(t.brightness, t.contrast, t.saturation, t.hue)
        with T.sample_generator(T.philox_generator(2, 0, s)):
            out = t(pil)
        ref = pil
        for name, factor in T.ColorJitter.ops_from_params(params):
            ref = ops[name](ref, factor)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))
        tensor = Tensor(np.asarray(TVF.to_tensor(pil)))
        with T.sample_generator(T.philox_generator(2, 0, s)):
            out_t = t(tensor)
        ref_t = TVF.to_tensor(pil)
        for name, factor in T.ColorJitter.ops_from_params(params):
            ref_t = ops[name](ref_t, factor)
        assert np.abs(out_t.array - ref_t.numpy()).max() <= 1 / 255


def test_random_crop_padding_and_erasing(pil):
    t = T.RandomCrop(100, padding=4, pad_if_needed=True, fill=7)
    with T.sample_generator(T.philox_generator(3, 0, 0)):
        out = t(pil)
    padded = TVF.pad(pil, 4, fill=7)
    padded = TVF.pad(padded, [0, 100 - padded.size[1]], fill=7)
    with T.sample_generator(T.philox_generator(3, 0, 0)):
        i, j, h, w = T.RandomCrop.get_params(padded, (100, 100))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(TVF.crop(padded, i, j, h, w)))
    img = Tensor(np.asarray(TVF.to_tensor(pil)))
    e = T.RandomErasing(p=1.0, value="random")
    with T.sample_generator(T.philox_generator(4, 0, 0)):
        out = e(img)
    with T.sample_generator(T.philox_generator(4, 0, 0)):
        T.rng().random()
        i, j, h, w, v = e.get_params(img, e.scale, e.ratio, None)
    ref = TVF.erase(torch.from_numpy(img.array.copy()), i, j, h, w, torch.from_numpy(v))
    np.testing.assert_array_equal(out.array, ref.numpy())
    assert not np.array_equal(out.array, img.array)


def test_rotation_blur_grayscale_flip_with_params(pil):
    with T.sample_generator(T.philox_generator(5, 0, 0)):
        angle = T.RandomRotation.get_params([-30.0, 30.0])
    with T.sample_generator(T.philox_generator(5, 0, 0)):
        out = T.RandomRotation(30)(pil)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(TVF.rotate(pil, angle)))
    with T.sample_generator(T.philox_generator(6, 0, 0)):
        sigma = T.GaussianBlur.get_params(0.1, 2.0)
    with T.sample_generator(T.philox_generator(6, 0, 0)):
        out = T.GaussianBlur(5)(pil)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(TVF.gaussian_blur(pil, [5, 5], [sigma, sigma])))
    assert np.asarray(T.RandomGrayscale(p=1.0)(pil)).shape == (90, 120, 3)
    np.testing.assert_array_equal(np.asarray(T.RandomGrayscale(p=1.0)(pil)), np.asarray(TVF.rgb_to_grayscale(pil, 3)))
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(pil)), np.asarray(TVF.hflip(pil)))
    np.testing.assert_array_equal(np.asarray(T.RandomVerticalFlip(1.0)(pil)), np.asarray(TVF.vflip(pil)))
    assert T.RandomHorizontalFlip(0.0)(pil) is pil


def _quantiles(x):
    return np.quantile(np.asarray(x, dtype=np.float64), [0.1, 0.25, 0.5, 0.75, 0.9])


def test_random_resized_crop_distribution_matches_torchvision():
    """Same sampling procedure: the crop-size quantiles agree within sampling noise."""
    n = 3000
    img = Image.new("RGB", (500, 375))
    torch.manual_seed(0)
    theirs = np.array([TV.RandomResizedCrop.get_params(img, [0.08, 1.0], [3 / 4, 4 / 3]) for _ in range(n)])
    with T.sample_generator(np.random.default_rng(0)):
        ours = np.array([T.RandomResizedCrop.get_params(img, [0.08, 1.0], [3 / 4, 4 / 3]) for _ in range(n)])
    for col in range(4):  # i, j, h, w
        np.testing.assert_allclose(_quantiles(ours[:, col]), _quantiles(theirs[:, col]), rtol=0.08, atol=6)
    area_o, area_t = ours[:, 2] * ours[:, 3], theirs[:, 2] * theirs[:, 3]
    assert abs(area_o.mean() - area_t.mean()) / area_t.mean() < 0.04
    # the fallback (central crop with the clamped ratio) when no sample fits
    wide = Image.new("RGB", (1000, 10))
    with T.sample_generator(np.random.default_rng(1)):
        assert T.RandomResizedCrop.get_params(wide, [0.9, 1.0], [3 / 4, 4 / 3]) == \
            TV.RandomResizedCrop.get_params(wide, [0.9, 1.0], [3 / 4, 4 / 3]) == (0, 493, 10, 13)


def test_color_jitter_and_autoaugment_distributions():
    n = 4000
    with T.sample_generator(np.random.default_rng(0)):
        draws = [T.ColorJitter.get_params((0.8, 1.2), (0.6, 1.4), None, (-0.1, 0.1)) for _ in range(n)]
    b = np.array([d[1] for d in draws])
    h = np.array([d[4] for d in draws])
    assert b.min() >= 0.8 and b.max() <= 1.2 and abs(b.mean() - 1.0) < 0.01
    assert h.min() >= -0.1 and h.max() <= 0.1 and abs(h.mean()) < 0.005
    assert all(d[3] is None for d in draws)
    first = np.bincount([d[0][0] for d in draws], minlength=4) / n
    np.testing.assert_allclose(first, 0.25, atol=0.03)  # uniform random order
    with T.sample_generator(np.random.default_rng(0)):
        ids = [T.AutoAugment.get_params(25)[0] for _ in range(n)]
    np.testing.assert_allclose(np.bincount(ids, minlength=25) / n, 1 / 25, atol=0.015)


def test_autoaugment_family_runs_on_all_inputs(pil):
    array = np.asarray(pil)
    tensor_u8 = Tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))
    for t in (T.AutoAugment(), T.RandAugment(), T.TrivialAugmentWide(),
              T.AutoAugment(T.AutoAugmentPolicy.CIFAR10), T.AutoAugment(T.AutoAugmentPolicy.SVHN)):
        for s in range(12):
            with T.sample_generator(T.philox_generator(7, 0, s)):
                out = t(pil)
            assert isinstance(out, Image.Image) and out.size == pil.size
            with T.sample_generator(T.philox_generator(7, 0, s)):
                np.testing.assert_array_equal(t(array), np.asarray(out))  # arrays behave like PIL
            with T.sample_generator(T.philox_generator(7, 0, s)):
                assert t(tensor_u8).shape == (3, 90, 120)


def test_trivial_augment_ops_match_torchvision(pil):
    """Each op of the wide space at a fixed magnitude, against torchvision's _apply_op."""
    from torchvision.transforms.autoaugment import _apply_op as tv_apply
    from resnetc.transforms.autoaugment import _apply_op as rc_apply
    cases = [("Brightness", 0.5), ("Color", -0.4), ("Contrast", 0.6), ("Sharpness", 0.7), ("Posterize", 4),
             ("Solarize", 100.0), ("AutoContrast", 0.0), ("Equalize", 0.0), ("Invert", 0.0), ("Identity", 0.0),
             ("Rotate", 20.0), ("ShearX", 0.2), ("ShearY", -0.3), ("TranslateX", 12.0), ("TranslateY", -9.0)]
    for name, magnitude in cases:
        ours = np.asarray(rc_apply(pil, name, magnitude, T.InterpolationMode.NEAREST, None)).astype(int)
        theirs = np.asarray(tv_apply(pil, name, magnitude, TV.InterpolationMode.NEAREST, None)).astype(int)
        frac = (np.abs(ours - theirs) > 1).mean()
        assert frac == 0.0, (name, frac)


def test_random_apply_choice_order(pil):
    gray = T.Grayscale(3)
    with T.sample_generator(np.random.default_rng(0)):
        outs = [T.RandomApply([gray], p=0.3)(pil) is pil for _ in range(2000)]
    assert abs(np.mean(outs) - 0.7) < 0.04
    with T.sample_generator(np.random.default_rng(0)):
        picks = [T.RandomChoice([T.Lambda(lambda x: 0), T.Lambda(lambda x: 1)], p=[0.2, 0.8])(pil) for _ in range(2000)]
    assert abs(np.mean(picks) - 0.8) < 0.04
    order = []
    ro = T.RandomOrder([T.Lambda(lambda x: order.append("a") or x), T.Lambda(lambda x: order.append("b") or x)])
    with T.sample_generator(np.random.default_rng(0)):
        for _ in range(400):
            ro(pil)
    firsts = order[0::2]
    assert abs(firsts.count("a") / 400 - 0.5) < 0.08


def test_counter_based_determinism_across_threads(pil):
    chain = T.Compose([T.RandomResizedCrop(32), T.RandomHorizontalFlip(), T.ColorJitter(0.3, 0.3, 0.3, 0.1),
                       T.ToTensor()])

    def sample(i):
        with T.sample_generator(T.philox_generator(42, 1, i)):
            return chain(pil).array

    serial = [sample(i) for i in range(16)]
    results = [None] * 16

    def worker(indices):
        for i in indices:
            results[i] = sample(i)

    threads = [threading.Thread(target=worker, args=(list(range(k, 16, 3)),)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(serial, results):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(serial[0], serial[1])
    with T.sample_generator(T.philox_generator(42, 2, 0)):
        assert not np.array_equal(chain(pil).array, serial[0])  # another epoch, other draws
