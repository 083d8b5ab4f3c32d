"""The rest of torchvision.transforms (v1): RandomAffine, the test-time FiveCrop/TenCrop, the
p-gated photometric transforms (RandomInvert, RandomPosterize, RandomSolarize,
RandomAdjustSharpness, RandomAutocontrast, RandomEqualize) and ConvertImageDtype. Same
arguments, semantics and __repr__; draws come from the per-sample generator (see __init__)."""
import numbers
from collections.abc import Sequence

import numpy as np

from resnetc.tensor import Tensor
from resnetc.transforms import functional as F
from resnetc.transforms.functional import InterpolationMode, _interpolation
from resnetc.transforms.transforms import _setup_angle
from resnetc.utils.random_state import current_sample_generator as rng


def _check_pair(value, name):
    if not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{name} should be a sequence of length 2.")


class RandomAffine:
    """Rotation ~ U(degrees), translation up to ``translate`` of the size, scale ~ U(scale) and
    shear ~ U(shear) (x, or x and y), about the center."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.interpolation = _interpolation(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_pair(translate, "translate")
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_pair(scale, "scale")
            if not all(s > 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, name="shear", req_sizes=(2, 4))
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill
        if center is not None:
            _check_pair(center, "center")
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty), scale, (shear_x, shear_y)); img_size is [width, height]."""
        g = rng()
        angle = float(g.uniform(float(degrees[0]), float(degrees[1])))
        translations = (0, 0)
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(g.uniform(-max_dx, max_dx))), int(round(g.uniform(-max_dy, max_dy))))
        scale = 1.0 if scale_ranges is None else float(g.uniform(scale_ranges[0], scale_ranges[1]))
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(g.uniform(shears[0], shears[1]))
            if len(shears) == 4:
                shear_y = float(g.uniform(shears[2], shears[3]))
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = self.fill
        if isinstance(img, Tensor):
            fill = [float(fill)] * channels if isinstance(fill, numbers.Number) else [float(f) for f in fill]
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, *params, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self):
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class FiveCrop:
    """The four corner crops and the center crop of ``size``, as a tuple (test-time augmentation:
    stack them and average the predictions)."""

    def __init__(self, size):
        self.size = F._crop_size(size)

    def __call__(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class TenCrop:
    """FiveCrop of the image and of its horizontal (or vertical) flip."""

    def __init__(self, size, vertical_flip=False):
        self.size = F._crop_size(size)
        self.vertical_flip = vertical_flip

    def __call__(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class ConvertImageDtype:
    """A tensor image converted to ``dtype`` with its values rescaled (F.convert_image_dtype)."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def __call__(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self):
        return f"{type(self).__name__}()"


class _RandomlyApplied:
    """Applies ``self._apply(img)`` with probability p; ``_args`` name the options in __repr__."""
    _args = ()

    def __call__(self, img):
        if rng().random() < self.p:
            return self._apply(img)
        return img

    def __repr__(self):
        options = "".join(f"{name}={getattr(self, name)}," for name in self._args)
        return f"{type(self).__name__}({options}p={self.p})"


class RandomInvert(_RandomlyApplied):
    def __init__(self, p=0.5):
        self.p = p

    def _apply(self, img):
        return F.invert(img)


class RandomPosterize(_RandomlyApplied):
    _args = ("bits",)

    def __init__(self, bits, p=0.5):
        self.bits, self.p = bits, p

    def _apply(self, img):
        return F.posterize(img, self.bits)


class RandomSolarize(_RandomlyApplied):
    _args = ("threshold",)

    def __init__(self, threshold, p=0.5):
        self.threshold, self.p = threshold, p

    def _apply(self, img):
        return F.solarize(img, self.threshold)


class RandomAdjustSharpness(_RandomlyApplied):
    _args = ("sharpness_factor",)

    def __init__(self, sharpness_factor, p=0.5):
        self.sharpness_factor, self.p = sharpness_factor, p

    def _apply(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(_RandomlyApplied):
    def __init__(self, p=0.5):
        self.p = p

    def _apply(self, img):
        return F.autocontrast(img)


class RandomEqualize(_RandomlyApplied):
    def __init__(self, p=0.5):
        self.p = p

    def _apply(self, img):
        return F.equalize(img)
