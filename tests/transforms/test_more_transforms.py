"""RandomAffine, FiveCrop/TenCrop, the p-gated photometric transforms and ConvertImageDtype
against torchvision: exact on PIL images and integer tensors, 1e-6 on float tensors."""
import numpy as np
import pytest
import torch
import torchvision.transforms as TV
import torchvision.transforms.functional as TVF
from PIL import Image

import resnetc
import resnetc.transforms as T
import resnetc.transforms.functional as F

from samples.images import photo_like


@pytest.fixture(scope="module")
def photo():
    return photo_like(37, 52, seed=7)


def _np(x):
    if isinstance(x, Image.Image):
        return np.asarray(x)
    return x.numpy()


@pytest.mark.parametrize("kind", ["pil", "tensor"])
@pytest.mark.parametrize("size", [10, (12, 20), [9]])
def test_five_and_ten_crop_match_torchvision(photo, kind, size):
    ours_in = Image.fromarray(photo) if kind == "pil" else resnetc.tensor(photo.transpose(2, 0, 1).copy())
    theirs_in = Image.fromarray(photo) if kind == "pil" else torch.from_numpy(photo.transpose(2, 0, 1).copy())
    for ours_t, theirs_t in [(T.FiveCrop(size), TV.FiveCrop(size)),
                             (T.TenCrop(size), TV.TenCrop(size)),
                             (T.TenCrop(size, vertical_flip=True), TV.TenCrop(size, vertical_flip=True))]:
        assert repr(ours_t) == repr(theirs_t)
        ours, theirs = ours_t(ours_in), theirs_t(theirs_in)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(_np(a), _np(b))
    with pytest.raises(ValueError, match="bigger than input size"):
        T.FiveCrop(60)(ours_in)


@pytest.mark.parametrize("source, target", [("uint8", "float32"), ("uint8", "float64"), ("float32", "uint8"),
                                            ("float64", "uint8"), ("uint8", "int32"), ("int32", "uint8"),
                                            ("int16", "int64"), ("float32", "float64"), ("float64", "int32")])
def test_convert_image_dtype_matches_torchvision(source, target):
    rng = np.random.default_rng(0)
    if np.dtype(source).kind == "f":
        values = rng.random((3, 5, 6)).astype(source)
    else:
        values = rng.integers(0, np.iinfo(source).max, (3, 5, 6), endpoint=True).astype(source)
    ours = T.ConvertImageDtype(target)(resnetc.tensor(values))
    theirs = TV.ConvertImageDtype(getattr(torch, target))(torch.from_numpy(values))
    assert ours.numpy().dtype == np.dtype(target)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=0)


def test_convert_image_dtype_refuses_unsafe_casts_as_torchvision():
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(resnetc.tensor(np.zeros((1, 2, 2), np.float32)), np.int32)
    with pytest.raises(TypeError, match="Tensor Image"):
        F.convert_image_dtype(np.zeros((1, 2, 2), np.float32))


@pytest.mark.parametrize("options", [
    {"degrees": 25},
    {"degrees": (-5, 15), "translate": (0.2, 0.1), "scale": (0.7, 1.2)},
    {"degrees": 0, "shear": (-10, 10, -5, 5), "fill": 128},
    {"degrees": 10, "shear": 8, "interpolation": TV.InterpolationMode.BILINEAR, "center": (5, 9)},
])
def test_random_affine_applies_its_draw_as_torchvision(photo, options):
    ours_t = T.RandomAffine(**{k: (T.InterpolationMode.BILINEAR if k == "interpolation" else v)
                               for k, v in options.items()})
    assert repr(ours_t) == repr(TV.RandomAffine(**options))
    for index in range(4):
        with T.sample_generator(T.philox_generator(3, 0, index)):
            params = ours_t.get_params(ours_t.degrees, ours_t.translate, ours_t.scale, ours_t.shear, [52, 37])
        with T.sample_generator(T.philox_generator(3, 0, index)):
            ours = ours_t(Image.fromarray(photo))
        angle, translate, scale, shear = params
        lo, hi = ours_t.degrees
        assert lo <= angle <= hi and ours_t.scale is None or ours_t.scale[0] <= scale <= ours_t.scale[1]
        if options.get("translate"):
            assert abs(translate[0]) <= 0.2 * 52 + 0.5 and abs(translate[1]) <= 0.1 * 37 + 0.5
        theirs = TVF.affine(Image.fromarray(photo), angle, list(translate), scale, list(shear),
                            interpolation=options.get("interpolation", TV.InterpolationMode.NEAREST),
                            fill=options.get("fill", 0), center=options.get("center"))
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_random_affine_on_tensors(photo):
    chw = photo.transpose(2, 0, 1).astype(np.float32) / 255
    ours_t = T.RandomAffine(20, translate=(0.1, 0.1), fill=0.5)
    with T.sample_generator(T.philox_generator(1, 0, 0)):
        angle, translate, scale, shear = ours_t.get_params(ours_t.degrees, ours_t.translate, None, None, [52, 37])
    with T.sample_generator(T.philox_generator(1, 0, 0)):
        ours = ours_t(resnetc.tensor(chw)).numpy()
    theirs = TVF.affine(torch.from_numpy(chw), angle, list(translate), scale, list(shear), fill=[0.5] * 3).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize("name, args", [("RandomInvert", ()), ("RandomPosterize", (3,)), ("RandomSolarize", (100,)),
                                        ("RandomAdjustSharpness", (2.5,)), ("RandomAutocontrast", ()),
                                        ("RandomEqualize", ())])
def test_p_gated_photometric_transforms(photo, name, args):
    assert repr(getattr(T, name)(*args)) == repr(getattr(TV, name)(*args))
    assert repr(getattr(T, name)(*args, p=0.3)) == repr(getattr(TV, name)(*args, p=0.3))
    image = Image.fromarray(photo)
    np.testing.assert_array_equal(np.asarray(getattr(T, name)(*args, p=1.0)(image)),
                                  np.asarray(getattr(TV, name)(*args, p=1.0)(image)))
    assert getattr(T, name)(*args, p=0.0)(image) is image
    chw = resnetc.tensor(photo.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(getattr(T, name)(*args, p=1.0)(chw).numpy(),
                                  getattr(TV, name)(*args, p=1.0)(torch.from_numpy(photo.transpose(2, 0, 1).copy())).numpy())
    applied = 0
    for index in range(200):
        with T.sample_generator(T.philox_generator(0, 0, index)):
            applied += getattr(T, name)(*args, p=0.3)(image) is not image
    assert 40 <= applied <= 80  # p = 0.3 of 200: 60 expected
