"""AutoAugment, RandAugment and TrivialAugmentWide with torchvision's op spaces and draws.

Each op is torchvision's ``_apply_op`` built on resnetc.transforms.functional; random numbers
come from resnetc.transforms.rng() (the per-sample generator), in torchvision's order.
"""
import enum
import math

import numpy as np

from resnetc.transforms import functional as F
from resnetc.utils.random_state import current_sample_generator as rng
from resnetc.transforms.functional import InterpolationMode, _interpolation
from resnetc.tensor import Tensor
from resnetc.io import EncodedImage, decode_to_pil

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide"]


def _apply_op(img, op_name, magnitude, interpolation, fill):
    if op_name == "ShearX":
        # magnitude is the shear's tangent: the angle is atan(magnitude)
        img = F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                       shear=[math.degrees(math.atan(magnitude)), 0.0], interpolation=interpolation,
                       fill=fill, center=[0, 0])
    elif op_name == "ShearY":
        img = F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                       shear=[0.0, math.degrees(math.atan(magnitude))], interpolation=interpolation,
                       fill=fill, center=[0, 0])
    elif op_name == "TranslateX":
        img = F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0, interpolation=interpolation,
                       shear=[0.0, 0.0], fill=fill)
    elif op_name == "TranslateY":
        img = F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0, interpolation=interpolation,
                       shear=[0.0, 0.0], fill=fill)
    elif op_name == "Rotate":
        img = F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    elif op_name == "Brightness":
        img = F.adjust_brightness(img, 1.0 + magnitude)
    elif op_name == "Color":
        img = F.adjust_saturation(img, 1.0 + magnitude)
    elif op_name == "Contrast":
        img = F.adjust_contrast(img, 1.0 + magnitude)
    elif op_name == "Sharpness":
        img = F.adjust_sharpness(img, 1.0 + magnitude)
    elif op_name == "Posterize":
        img = F.posterize(img, int(magnitude))
    elif op_name == "Solarize":
        img = F.solarize(img, magnitude)
    elif op_name == "AutoContrast":
        img = F.autocontrast(img)
    elif op_name == "Equalize":
        img = F.equalize(img)
    elif op_name == "Invert":
        img = F.invert(img)
    elif op_name == "Identity":
        pass
    else:
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return img


class AutoAugmentPolicy(enum.Enum):
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


def _linspace(a, b, n):
    return np.linspace(a, b, n, dtype=np.float32)


def _posterize_bins(num_bins, div):
    return (8 - np.round(np.arange(num_bins) / ((num_bins - 1) / div))).astype(np.int32)


def _space(num_bins, image_size, wide=False):
    """op name -> (magnitudes or None, signed), in torchvision's order."""
    if wide:
        return {
            "Identity": (None, False),
            "ShearX": (_linspace(0.0, 0.99, num_bins), True),
            "ShearY": (_linspace(0.0, 0.99, num_bins), True),
            "TranslateX": (_linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (_linspace(0.0, 32.0, num_bins), True),
            "Rotate": (_linspace(0.0, 135.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.99, num_bins), True),
            "Color": (_linspace(0.0, 0.99, num_bins), True),
            "Contrast": (_linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bins(num_bins, 6), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (None, False),
            "Equalize": (None, False),
        }
    return {
        "ShearX": (_linspace(0.0, 0.3, num_bins), True),
        "ShearY": (_linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (_linspace(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
        "TranslateY": (_linspace(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
        "Rotate": (_linspace(0.0, 30.0, num_bins), True),
        "Brightness": (_linspace(0.0, 0.9, num_bins), True),
        "Color": (_linspace(0.0, 0.9, num_bins), True),
        "Contrast": (_linspace(0.0, 0.9, num_bins), True),
        "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
        "Posterize": (_posterize_bins(num_bins, 4), False),
        "Solarize": (_linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (None, False),
        "Equalize": (None, False),
        "Invert": (None, False),
    }


def _prepare(img, fill):
    if isinstance(img, EncodedImage):
        img = decode_to_pil(img)
    channels, height, width = F.get_dimensions(img)
    if isinstance(img, Tensor):
        if isinstance(fill, (int, float)):
            fill = [float(fill)] * channels
        elif fill is not None:
            fill = [float(f) for f in fill]
    return img, fill, height, width


_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (('Posterize', 0.4, 8), ('Rotate', 0.6, 9)),
        (('Solarize', 0.6, 5), ('AutoContrast', 0.6, None)),
        (('Equalize', 0.8, None), ('Equalize', 0.6, None)),
        (('Posterize', 0.6, 7), ('Posterize', 0.6, 6)),
        (('Equalize', 0.4, None), ('Solarize', 0.2, 4)),
        (('Equalize', 0.4, None), ('Rotate', 0.8, 8)),
        (('Solarize', 0.6, 3), ('Equalize', 0.6, None)),
        (('Posterize', 0.8, 5), ('Equalize', 1.0, None)),
        (('Rotate', 0.2, 3), ('Solarize', 0.6, 8)),
        (('Equalize', 0.6, None), ('Posterize', 0.4, 6)),
        (('Rotate', 0.8, 8), ('Color', 0.4, 0)),
        (('Rotate', 0.4, 9), ('Equalize', 0.6, None)),
        (('Equalize', 0.0, None), ('Equalize', 0.8, None)),
        (('Invert', 0.6, None), ('Equalize', 1.0, None)),
        (('Color', 0.6, 4), ('Contrast', 1.0, 8)),
        (('Rotate', 0.8, 8), ('Color', 1.0, 2)),
        (('Color', 0.8, 8), ('Solarize', 0.8, 7)),
        (('Sharpness', 0.4, 7), ('Invert', 0.6, None)),
        (('ShearX', 0.6, 5), ('Equalize', 1.0, None)),
        (('Color', 0.4, 0), ('Equalize', 0.6, None)),
        (('Equalize', 0.4, None), ('Solarize', 0.2, 4)),
        (('Solarize', 0.6, 5), ('AutoContrast', 0.6, None)),
        (('Invert', 0.6, None), ('Equalize', 1.0, None)),
        (('Color', 0.6, 4), ('Contrast', 1.0, 8)),
        (('Equalize', 0.8, None), ('Equalize', 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (('Invert', 0.1, None), ('Contrast', 0.2, 6)),
        (('Rotate', 0.7, 2), ('TranslateX', 0.3, 9)),
        (('Sharpness', 0.8, 1), ('Sharpness', 0.9, 3)),
        (('ShearY', 0.5, 8), ('TranslateY', 0.7, 9)),
        (('AutoContrast', 0.5, None), ('Equalize', 0.9, None)),
        (('ShearY', 0.2, 7), ('Posterize', 0.3, 7)),
        (('Color', 0.4, 3), ('Brightness', 0.6, 7)),
        (('Sharpness', 0.3, 9), ('Brightness', 0.7, 9)),
        (('Equalize', 0.6, None), ('Equalize', 0.5, None)),
        (('Contrast', 0.6, 7), ('Sharpness', 0.6, 5)),
        (('Color', 0.7, 7), ('TranslateX', 0.5, 8)),
        (('Equalize', 0.3, None), ('AutoContrast', 0.4, None)),
        (('TranslateY', 0.4, 3), ('Sharpness', 0.2, 6)),
        (('Brightness', 0.9, 6), ('Color', 0.2, 8)),
        (('Solarize', 0.5, 2), ('Invert', 0.0, None)),
        (('Equalize', 0.2, None), ('AutoContrast', 0.6, None)),
        (('Equalize', 0.2, None), ('Equalize', 0.6, None)),
        (('Color', 0.9, 9), ('Equalize', 0.6, None)),
        (('AutoContrast', 0.8, None), ('Solarize', 0.2, 8)),
        (('Brightness', 0.1, 3), ('Color', 0.7, 0)),
        (('Solarize', 0.4, 5), ('AutoContrast', 0.9, None)),
        (('TranslateY', 0.9, 9), ('TranslateY', 0.7, 9)),
        (('AutoContrast', 0.9, None), ('Solarize', 0.8, 3)),
        (('Equalize', 0.8, None), ('Invert', 0.1, None)),
        (('TranslateY', 0.7, 9), ('AutoContrast', 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (('ShearX', 0.9, 4), ('Invert', 0.2, None)),
        (('ShearY', 0.9, 8), ('Invert', 0.7, None)),
        (('Equalize', 0.6, None), ('Solarize', 0.6, 6)),
        (('Invert', 0.9, None), ('Equalize', 0.6, None)),
        (('Equalize', 0.6, None), ('Rotate', 0.9, 3)),
        (('ShearX', 0.9, 4), ('AutoContrast', 0.8, None)),
        (('ShearY', 0.9, 8), ('Invert', 0.4, None)),
        (('ShearY', 0.9, 5), ('Solarize', 0.2, 6)),
        (('Invert', 0.9, None), ('AutoContrast', 0.8, None)),
        (('Equalize', 0.6, None), ('Rotate', 0.9, 3)),
        (('ShearX', 0.9, 4), ('Solarize', 0.3, 3)),
        (('ShearY', 0.8, 8), ('Invert', 0.7, None)),
        (('Equalize', 0.9, None), ('TranslateY', 0.6, 6)),
        (('Invert', 0.9, None), ('Equalize', 0.6, None)),
        (('Contrast', 0.3, 3), ('Rotate', 0.8, 4)),
        (('Invert', 0.8, None), ('TranslateY', 0.0, 2)),
        (('ShearY', 0.7, 6), ('Solarize', 0.4, 8)),
        (('Invert', 0.6, None), ('Rotate', 0.8, 4)),
        (('ShearY', 0.3, 7), ('TranslateX', 0.9, 3)),
        (('ShearX', 0.1, 6), ('Invert', 0.6, None)),
        (('Solarize', 0.7, 2), ('TranslateY', 0.6, 7)),
        (('ShearY', 0.8, 4), ('Invert', 0.8, None)),
        (('ShearX', 0.7, 9), ('TranslateY', 0.8, 3)),
        (('ShearY', 0.8, 5), ('AutoContrast', 0.7, None)),
        (('ShearX', 0.7, 2), ('Invert', 0.1, None)),
    ],
}


class AutoAugment:
    """AutoAugment (Cubuk et al. 2019) with the learned ImageNet/CIFAR10/SVHN policies: picks a
    sub-policy uniformly, then applies each of its two ops with its probability."""

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST, fill=None):
        self.policy = policy
        self.interpolation = _interpolation(interpolation)
        self.fill = fill
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policies = _POLICIES[policy]

    @staticmethod
    def get_params(transform_num):
        """(policy_id, probs[2], signs[2])."""
        g = rng()
        policy_id = int(g.integers(0, transform_num))
        probs = g.random(2)
        signs = g.integers(0, 2, size=2)
        return policy_id, probs, signs

    def __call__(self, img):
        img, fill, height, width = _prepare(img, self.fill)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = _space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment:
    """RandAugment (Cubuk et al. 2020): num_ops ops drawn uniformly, each at a fixed magnitude
    bin, negated with probability 1/2 when signed."""

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = _interpolation(interpolation)
        self.fill = fill

    def __call__(self, img):
        img, fill, height, width = _prepare(img, self.fill)
        space = _space(self.num_magnitude_bins, (height, width))
        space.pop("Invert")
        op_meta = {"Identity": (None, False), **space}
        names = list(op_meta.keys())
        g = rng()
        for _ in range(self.num_ops):
            op_name = names[int(g.integers(0, len(op_meta)))]
            magnitudes, signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude]) if magnitudes is not None else 0.0
            if signed and g.integers(0, 2):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        s = (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
             f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, fill={self.fill})")
        return s


class TrivialAugmentWide:
    """TrivialAugment (Mueller & Hutter 2021), wide space: one op drawn uniformly, magnitude bin
    drawn uniformly, negated with probability 1/2 when signed."""

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None):
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = _interpolation(interpolation)
        self.fill = fill

    def __call__(self, img):
        img, fill, height, width = _prepare(img, self.fill)
        op_meta = _space(self.num_magnitude_bins, (height, width), wide=True)
        g = rng()
        op_name = list(op_meta.keys())[int(g.integers(0, len(op_meta)))]
        magnitudes, signed = op_meta[op_name]
        magnitude = float(magnitudes[int(g.integers(0, len(magnitudes)))]) if magnitudes is not None else 0.0
        if signed and g.integers(0, 2):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self):
        s = (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
             f"interpolation={self.interpolation}, fill={self.fill})")
        return s
