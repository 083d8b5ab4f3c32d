"""Deterministic transforms against torchvision itself, on PIL images, NumPy arrays and tensors.

PIL inputs: torchvision's PIL path uses Pillow, and resnetc reproduces Pillow's arithmetic in C,
so results are pixel-identical (asserted exactly; nearest-neighbour rotate/affine reproduce
Pillow's 16.16 fixed-point mapping). Tensor inputs follow torchvision's tensor path within 1/255 (float32 math).
"""
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

TOL = 1.0 / 255


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (61, 83, 3), dtype=np.uint8)
    return {"noise": noise, "photo": photo_like(120, 160, seed=3)}


def as_np(x):
    if isinstance(x, Image.Image):
        return np.asarray(x)
    if isinstance(x, torch.Tensor):
        return x.numpy()
    if isinstance(x, Tensor):
        return x.array
    return np.asarray(x)


def check_pil(ours_fn, theirs_fn, array, exact=True, max_frac=0.0):
    pil = Image.fromarray(array)
    ref = as_np(theirs_fn(pil))
    out_pil = ours_fn(pil)
    assert isinstance(out_pil, Image.Image) and out_pil.mode == theirs_fn(pil).mode
    out_arr = ours_fn(array.copy())  # the same pixels as an HWC array
    for out in (as_np(out_pil), as_np(out_arr).reshape(ref.shape)):
        assert out.shape == ref.shape
        diff = np.abs(out.astype(int) - ref.astype(int))
        if exact:
            assert diff.max() == 0, f"max diff {diff.max()}"
        else:
            assert (diff > 1).mean() <= max_frac, f"{(diff > 1).mean():.4f} of pixels differ"


def check_tensor(ours_fn, theirs_fn, array, tol=TOL, max_frac=0.0):
    chw = np.ascontiguousarray(array.transpose(2, 0, 1)).astype(np.float32) / 255
    ref = theirs_fn(torch.from_numpy(chw.copy())).numpy()
    out = ours_fn(Tensor(chw.copy()))
    assert isinstance(out, Tensor)
    assert out.shape == ref.shape
    diff = np.abs(out.array - ref)
    assert (diff > tol).mean() <= max_frac, f"max diff {diff.max()}"


RESIZES = [
    (T.Resize(50), TV.Resize(50)),
    (T.Resize((40, 97)), TV.Resize((40, 97))),
    (T.Resize(200, max_size=230), TV.Resize(200, max_size=230)),
    (T.Resize(37, T.InterpolationMode.BICUBIC), TV.Resize(37, TV.InterpolationMode.BICUBIC)),
    (T.Resize((90, 70), T.InterpolationMode.NEAREST), TV.Resize((90, 70), TV.InterpolationMode.NEAREST)),
    (T.Resize(33, T.InterpolationMode.BOX), TV.Resize(33, TV.InterpolationMode.BOX)),
    (T.Resize(41, T.InterpolationMode.HAMMING), TV.Resize(41, TV.InterpolationMode.HAMMING)),
    (T.Resize(45, T.InterpolationMode.LANCZOS), TV.Resize(45, TV.InterpolationMode.LANCZOS)),
    (T.Resize(150), TV.Resize(150)),
]


@pytest.mark.parametrize("pair", RESIZES, ids=lambda p: repr(p[0]))
@pytest.mark.parametrize("name", ["noise", "photo"])
def test_resize(images, pair, name):
    ours, theirs = pair
    check_pil(ours, theirs, images[name])
    if theirs.interpolation in (TV.InterpolationMode.BILINEAR, TV.InterpolationMode.BICUBIC, TV.InterpolationMode.NEAREST):
        check_tensor(ours, theirs, images[name], tol=2e-5 if theirs.interpolation.value != "nearest" else 0)


def test_resize_tensor_without_antialias(images):
    for size in (30, 200):
        check_tensor(T.Resize(size, antialias=False), TV.Resize(size, antialias=False), images["photo"], tol=1e-5)


DETERMINISTIC = [
    (T.CenterCrop(40), TV.CenterCrop(40)),
    (T.CenterCrop((33, 71)), TV.CenterCrop((33, 71))),
    (T.CenterCrop(100), TV.CenterCrop(100)),  # larger than the image: zero padding
    (T.Pad(5), TV.Pad(5)),
    (T.Pad((3, 7), fill=(10, 20, 30)), TV.Pad((3, 7), fill=(10, 20, 30))),
    (T.Pad((1, 2, 3, 4), padding_mode="reflect"), TV.Pad((1, 2, 3, 4), padding_mode="reflect")),
    (T.Pad(4, padding_mode="edge"), TV.Pad(4, padding_mode="edge")),
    (T.Pad(4, padding_mode="symmetric"), TV.Pad(4, padding_mode="symmetric")),
    (T.Grayscale(), TV.Grayscale()),
    (T.Grayscale(3), TV.Grayscale(3)),
]


@pytest.mark.parametrize("pair", DETERMINISTIC, ids=lambda p: repr(p[0]))
@pytest.mark.parametrize("name", ["noise", "photo"])
def test_deterministic_transforms(images, pair, name):
    check_pil(*pair, images[name])
    if not (isinstance(pair[1], TV.Pad) and isinstance(pair[1].fill, tuple)):  # torchvision: int fill only
        check_tensor(*pair, images[name], tol=2e-6)


FUNCTIONAL = [
    ("hflip", ()), ("vflip", ()), ("crop", (5, 7, 30, 41)), ("crop", (-3, 60, 20, 40)),
    ("resized_crop", (3, 9, 40, 50, [31, 27])), ("adjust_brightness", (0.7,)), ("adjust_brightness", (1.6,)),
    ("adjust_contrast", (0.4,)), ("adjust_contrast", (1.8,)), ("adjust_saturation", (0.0,)),
    ("adjust_saturation", (1.7,)), ("adjust_hue", (0.23,)), ("adjust_hue", (-0.5,)), ("adjust_hue", (0.01,)),
    ("adjust_sharpness", (0.3,)), ("adjust_sharpness", (2.0,)), ("autocontrast", ()), ("invert", ()),
    ("solarize", (128,)), ("adjust_gamma", (0.7,)), ("gaussian_blur", ([5, 3], [1.3, 0.8])),
]


@pytest.mark.parametrize("fn,args", FUNCTIONAL, ids=lambda x: str(x))
@pytest.mark.parametrize("name", ["noise", "photo"])
def test_functional_pil_exact(images, fn, args, name):
    ours, theirs = getattr(F, fn), getattr(TVF, fn)
    check_pil(lambda im: ours(im, *args), lambda im: theirs(im, *args), images[name])


@pytest.mark.parametrize("fn,args", FUNCTIONAL, ids=lambda x: str(x))
def test_functional_tensor(images, fn, args):
    ours, theirs = getattr(F, fn), getattr(TVF, fn)
    # torchvision's hue goes through HSV in float32: allow a few pixels at the hue wrap
    frac = 0.002 if fn == "adjust_hue" else 0.0
    if fn == "solarize":
        args = (0.5,)  # thresholds are in the image's range: [0, 1] for float tensors
    check_tensor(lambda im: ours(im, *args), lambda im: theirs(im, *args), images["photo"], max_frac=frac)


@pytest.mark.parametrize("bits", [1, 4, 7])
def test_posterize_and_equalize(images, bits):
    for name in ("noise", "photo"):
        check_pil(lambda im: F.posterize(im, bits), lambda im: TVF.posterize(im, bits), images[name])
        check_pil(F.equalize, TVF.equalize, images[name])
    u8 = np.ascontiguousarray(images["photo"].transpose(2, 0, 1))
    np.testing.assert_array_equal(F.equalize(Tensor(u8)).array, TVF.equalize(torch.from_numpy(u8)).numpy())
    np.testing.assert_array_equal(F.posterize(Tensor(u8), bits).array, TVF.posterize(torch.from_numpy(u8), bits).numpy())


@pytest.mark.parametrize("angle", [17.0, -42.5, 90.0])
def test_rotate_and_affine(images, angle):
    array = images["photo"]
    check_pil(lambda im: F.rotate(im, angle), lambda im: TVF.rotate(im, angle), array)
    check_pil(lambda im: F.rotate(im, angle, expand=True), lambda im: TVF.rotate(im, angle, expand=True), array)
    kw = dict(angle=angle / 3, translate=[4, -3], scale=1.1, shear=[8.0, 3.0])
    check_pil(lambda im: F.affine(im, **kw), lambda im: TVF.affine(im, **kw), array)
    check_pil(lambda im: F.rotate(im, angle, fill=(9, 99, 199)), lambda im: TVF.rotate(im, angle, fill=(9, 99, 199)), array)
    bilinear = dict(interpolation=F.InterpolationMode.BILINEAR)
    tv_bilinear = dict(interpolation=TVF.InterpolationMode.BILINEAR)
    check_pil(lambda im: F.rotate(im, angle, expand=True, fill=(9, 99, 199), **bilinear),
              lambda im: TVF.rotate(im, angle, expand=True, fill=(9, 99, 199), **tv_bilinear), array)
    check_pil(lambda im: F.affine(im, **kw, **bilinear, center=[20, 30]),
              lambda im: TVF.affine(im, **kw, **tv_bilinear, center=[20, 30]), array)
    # None: zero padding; else torchvision's coverage blend. 5e-5: torch maps the sampling grid
    # in float32 (normalised and back), resnetc in float64
    for fill in (None, 0.0, [0.2, 0.5, 0.9]):
        check_tensor(lambda im: F.rotate(im, angle, fill=fill, **bilinear),
                     lambda im: TVF.rotate(im, angle, fill=fill, **tv_bilinear), array, tol=5e-5)
        check_tensor(lambda im: F.affine(im, **kw, fill=fill, **bilinear),
                     lambda im: TVF.affine(im, **kw, fill=fill, **tv_bilinear), array, tol=5e-5)
    u8 = np.ascontiguousarray(array.transpose(2, 0, 1))  # rounded: the float32 grid moves a few .5s
    diff = np.abs(F.rotate(Tensor(u8), angle, fill=[1, 2, 3], **bilinear).array.astype(int)
                  - TVF.rotate(torch.from_numpy(u8), angle, fill=[1, 2, 3], **tv_bilinear).numpy())
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def test_to_tensor_pil_to_tensor_normalize(images):
    array = images["photo"]
    pil = Image.fromarray(array)
    ref = TV.ToTensor()(pil).numpy()
    for src in (pil, array):
        out = T.ToTensor()(src)
        assert isinstance(out, Tensor) and out.dtype == np.float32
        np.testing.assert_array_equal(out.array, ref)
    np.testing.assert_array_equal(T.PILToTensor()(pil).array, TV.PILToTensor()(pil).numpy())
    gray = pil.convert("L")
    np.testing.assert_array_equal(T.ToTensor()(gray).array, TV.ToTensor()(gray).numpy())
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    norm = T.Normalize(mean, std)(T.ToTensor()(pil)).array
    np.testing.assert_array_equal(norm, TV.Normalize(mean, std)(TV.ToTensor()(pil)).numpy())
    floats = np.random.default_rng(0).random((4, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(T.ToTensor()(floats).array, TV.ToTensor()(floats).numpy())


def test_to_pil_image(images):
    t = T.ToTensor()(images["photo"])
    np.testing.assert_array_equal(np.asarray(T.ToPILImage()(t)), np.asarray(TV.ToPILImage()(torch.from_numpy(t.array))))


def test_input_validation(images):
    with pytest.raises(TypeError, match="img should be a PIL Image, a NumPy HWC uint8 array"):
        F.hflip([1, 2, 3])
    with pytest.raises(TypeError, match="NumPy images must be HWC uint8 arrays, got dtype float64"):
        F.resize(np.zeros((4, 4, 3)), 2)
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(images["photo"], 0.7)
    with pytest.raises(ValueError, match="brightness_factor"):
        F.adjust_brightness(images["photo"], -1)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        F.normalize(Tensor(np.zeros((3, 2, 2), np.uint8)), [0.5] * 3, [0.5] * 3)
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(Tensor(np.zeros((3, 2, 2), np.float32)), [0.5] * 3, [0, 1, 1])
    with pytest.raises(TypeError, match="interpolation must be an InterpolationMode"):
        T.Resize(4, interpolation="sideways")
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(500)(images["photo"])
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive number"):
        T.GaussianBlur(4)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(Tensor(np.zeros((3, 2, 2), np.float32)))


def test_reprs_match_torchvision():
    pairs = [
        (T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2, 0.2),
                    T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
         TV.Compose([TV.RandomResizedCrop(224), TV.RandomHorizontalFlip(), TV.ColorJitter(0.2, 0.2, 0.2, 0.2),
                     TV.ToTensor(), TV.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])),
        (T.Resize(256, max_size=300), TV.Resize(256, max_size=300)), (T.CenterCrop(224), TV.CenterCrop(224)),
        (T.RandomCrop(32, padding=4), TV.RandomCrop(32, padding=4)), (T.RandomVerticalFlip(0.3), TV.RandomVerticalFlip(0.3)),
        (T.ColorJitter(hue=0.1), TV.ColorJitter(hue=0.1)), (T.ColorJitter((0.5, 1.5)), TV.ColorJitter((0.5, 1.5))),
        (T.Grayscale(3), TV.Grayscale(3)), (T.RandomGrayscale(), TV.RandomGrayscale()),
        (T.GaussianBlur(5), TV.GaussianBlur(5)), (T.GaussianBlur(3, 1.5), TV.GaussianBlur(3, 1.5)),
        (T.RandomRotation(30), TV.RandomRotation(30)), (T.RandomRotation((10, 20), expand=True, center=(1, 2), fill=5),
                                                       TV.RandomRotation((10, 20), expand=True, center=(1, 2), fill=5)),
        (T.RandomErasing(), TV.RandomErasing()), (T.RandomErasing(value="random"), TV.RandomErasing(value="random")),
        (T.RandomApply([T.Grayscale()], p=0.3), TV.RandomApply([TV.Grayscale()], p=0.3)),
        (T.RandomChoice([T.Grayscale(), T.ToTensor()]), TV.RandomChoice([TV.Grayscale(), TV.ToTensor()])),
        (T.RandomOrder([T.Grayscale(), T.ToTensor()]), TV.RandomOrder([TV.Grayscale(), TV.ToTensor()])),
        (T.Lambda(lambda x: x), TV.Lambda(lambda x: x)), (T.PILToTensor(), TV.PILToTensor()),
        (T.Pad(3, padding_mode="edge"), TV.Pad(3, padding_mode="edge")),
        (T.TrivialAugmentWide(), TV.TrivialAugmentWide()), (T.RandAugment(), TV.RandAugment()),
        (T.AutoAugment(), TV.AutoAugment()),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_hue_is_exact_over_the_color_cube(isa):
    """Pillow's 8-bit HSV round trip, vectorized in C (generic and AVX2 builds): identical on
    2^18 random colors."""
    rng = np.random.default_rng(0)
    colors = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    colors[0, :256] = np.arange(256)[:, None]  # grays
    pil = Image.fromarray(colors)
    for factor in (-0.5, -0.21, 0.0, 0.004, 0.33, 0.5):
        np.testing.assert_array_equal(np.asarray(F.adjust_hue(pil, factor)), np.asarray(TVF.adjust_hue(pil, factor)))


@pytest.mark.parametrize("fn,arg", [("adjust_brightness", 1.3), ("adjust_contrast", 0.6), ("adjust_saturation", 1.4),
                                    ("adjust_hue", -0.3), ("adjust_sharpness", 1.5), ("invert", None),
                                    ("autocontrast", None)])
def test_uint8_tensors(images, fn, arg):
    """uint8 CHW tensors follow torchvision's tensor path (computed in float, truncated back)."""
    a = np.ascontiguousarray(images["photo"].transpose(2, 0, 1))
    args = () if arg is None else (arg,)
    out = getattr(F, fn)(Tensor(a), *args)
    ref = getattr(TVF, fn)(torch.from_numpy(a), *args).numpy()
    assert out.dtype == np.uint8
    assert np.abs(out.array.astype(int) - ref).max() <= 1
