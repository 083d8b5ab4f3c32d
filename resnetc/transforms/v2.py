"""torchvision.transforms.v2 for image classification: the v1 transforms under the same names
(on images they compute what v2's do), plus v2's conversions ``ToImage``, ``ToDtype`` and
``ToPureTensor`` and its batch augmentations ``MixUp`` and ``CutMix``.

The usual v2 chain ``[..., ToImage(), ToDtype(float32, scale=True), Normalize(...)]`` takes
the fused JPEG path like v1's ``ToTensor()`` (which divides by 255 where v2 multiplies by 1/255:
results at most 1 ulp apart). Not covered: bounding boxes, masks and videos
(tv_tensors), and transforms given several inputs other than MixUp/CutMix's (images, labels).
"""
import numpy as np

from resnetc.io import EncodedImage, decode_to_pil
from resnetc.tensor import Tensor
from resnetc.transforms import functional as F
from resnetc.transforms.autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from resnetc.transforms.mix_augment import CutMix, MixUp
from resnetc.transforms.more_transforms import (FiveCrop, RandomAdjustSharpness, RandomAffine,
                                                RandomAutocontrast, RandomEqualize, RandomInvert,
                                                RandomPosterize, RandomSolarize, TenCrop)
from resnetc.transforms.transforms import (CenterCrop, ColorJitter, Compose, GaussianBlur, Grayscale,
                                           InterpolationMode, Lambda, Normalize, Pad, PILToTensor,
                                           RandomApply, RandomChoice, RandomCrop, RandomErasing,
                                           RandomGrayscale, RandomHorizontalFlip, RandomOrder,
                                           RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize,
                                           ToPILImage, ToTensor)

__all__ = ["AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ColorJitter", "Compose", "CutMix",
           "FiveCrop", "GaussianBlur", "Grayscale", "InterpolationMode", "Lambda", "MixUp", "Normalize",
           "Pad", "PILToTensor", "RandAugment", "RandomAdjustSharpness", "RandomAffine", "RandomApply",
           "RandomAutocontrast", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing",
           "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomPosterize",
           "RandomResizedCrop", "RandomRotation", "RandomSolarize", "RandomVerticalFlip", "Resize",
           "TenCrop", "ToDtype", "ToImage", "ToPILImage", "ToPureTensor", "ToTensor",
           "TrivialAugmentWide"]


class ToImage:
    """A PIL image or an HWC uint8 array (or an image file, EncodedImage) -> a CHW uint8
    Tensor, unscaled; a Tensor passes through."""

    def __call__(self, inpt):
        if isinstance(inpt, Tensor):
            return inpt
        if isinstance(inpt, np.ndarray):
            array = inpt[:, :, None] if inpt.ndim == 2 else inpt
            return Tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))
        if isinstance(inpt, EncodedImage):
            inpt = decode_to_pil(inpt)
        return F.pil_to_tensor(inpt)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToDtype:
    """A Tensor image converted to ``dtype``; with ``scale=True`` its values are rescaled
    between the types' ranges (uint8 0-255 <-> float 0-1) as F.convert_image_dtype does, except
    that integers become floats by multiplying by 1/max (v2's rounding, where v1 divides by max:
    at most 1 ulp apart; the fused JPEG path computes v1's)."""

    def __init__(self, dtype, scale=False):
        if isinstance(dtype, dict):
            raise TypeError("ToDtype takes one dtype here (images only): per-type dicts are for tv_tensors")
        self.dtype, self.scale = np.dtype(dtype), bool(scale)

    def __call__(self, inpt):
        if not isinstance(inpt, Tensor):
            return inpt  # as v2: only tensors are converted
        a = inpt.array
        if self.scale and a.dtype.kind in "iu" and self.dtype.kind == "f":
            return Tensor(a.astype(self.dtype) * self.dtype.type(1.0 / np.iinfo(a.dtype).max))
        if self.scale:
            return F.convert_image_dtype(inpt, self.dtype)
        return Tensor(a.astype(self.dtype, copy=False))

    def __repr__(self):
        return f"{type(self).__name__}(scale={self.scale})"


class ToPureTensor:
    """v2's tv_tensor -> plain tensor: resnetc's images are plain Tensors already."""

    def __call__(self, inpt):
        return inpt

    def __repr__(self):
        return f"{type(self).__name__}()"
