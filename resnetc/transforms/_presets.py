"""The preprocessing that comes with torchvision's pretrained weights (``weights.transforms()``)."""
import numpy as np

from resnetc.tensor import Tensor
from resnetc.transforms import functional as F
from resnetc.transforms.functional import InterpolationMode


class ImageClassification:
    """torchvision.transforms._presets.ImageClassification: resize the shorter side to
    resize_size (bilinear, antialiased), center-crop crop_size, scale to float in [0, 1] and
    normalize with the ImageNet mean and std. Takes a PIL image, an HWC uint8 array or a CHW
    Tensor (uint8 or float), or a batch of them as an (N, C, H, W) Tensor; returns float32
    Tensors of the same layout."""

    def __init__(self, *, crop_size, resize_size=256, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def __call__(self, img):
        img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = F.to_tensor(img)
        elif img.array.dtype == np.uint8:
            img = Tensor(img.array.astype(np.float32) / np.float32(255))
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self):
        return (f"{type(self).__name__}(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)")

    def describe(self):
        return (f"Accepts PIL images, HWC uint8 arrays, CHW Tensors and batched (N, C, H, W) Tensors. The images are resized to "
                f"resize_size={self.resize_size} using interpolation={self.interpolation}, followed by a "
                f"central crop of crop_size={self.crop_size}. Finally the values are first rescaled to "
                f"[0.0, 1.0] and then normalized using mean={self.mean} and std={self.std}.")
