"""torchvision.transforms.v2's MixUp and CutMix: batch-level augmentation that blends each
image with the next one in the batch (MixUp) or pastes a box of it (CutMix), and mixes the
labels in the same proportion. Call them on a batch after the DataLoader (or in its
collate_fn): ``images, labels = cutmix(images, labels)``; the labels come back as
probabilities, which nn.CrossEntropyLoss takes as targets."""
import math

import numpy as np

from resnetc.tensor import Tensor
from resnetc.utils.random_state import current_sample_generator as rng


def _array(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


class _MixBase:
    def __init__(self, *, alpha=1.0, num_classes=None, labels_getter="default"):
        if labels_getter != "default":
            raise ValueError("only labels_getter='default' (the second input) is supported")
        if alpha <= 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        self.alpha, self.num_classes = float(alpha), num_classes

    def __call__(self, *inputs):
        if len(inputs) == 1 and isinstance(inputs[0], (tuple, list)):
            inputs = tuple(inputs[0])
        if len(inputs) != 2:
            raise ValueError(f"{type(self).__name__}() takes (images, labels), got {len(inputs)} inputs")
        images, labels = _array(inputs[0]), _array(inputs[1])
        if labels.ndim not in (1, 2):
            raise ValueError(f"labels should be index based with shape (batch_size,) or probability based with "
                             f"shape (batch_size, num_classes), but got a tensor of shape {labels.shape} instead.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be given for index labels")
        if labels.ndim == 2 and self.num_classes is not None and labels.shape[-1] != self.num_classes:
            raise ValueError(f"When passing 2D labels, the number of elements in last dimension must match "
                             f"num_classes: {labels.shape[-1]} != {self.num_classes}. You can Leave num_classes "
                             f"to None.")
        if images.ndim != 4:
            raise ValueError(f"Expected a batched input with 4 dims, but got {images.ndim} dimensions instead.")
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"The batch size of the image or video does not match the batch size of the labels: "
                             f"{images.shape[0]} != {labels.shape[0]}.")
        lam = float(rng().beta(self.alpha, self.alpha))
        mixed, lam = self._mix_images(images, lam)
        return Tensor(mixed), Tensor(self._mix_labels(labels, lam))

    def _mix_labels(self, labels, lam):
        if labels.ndim == 1:
            labels = np.eye(self.num_classes, dtype=np.float32)[labels]
        elif labels.dtype.kind != "f":
            labels = labels.astype(np.float32)
        return np.roll(labels, 1, axis=0) * labels.dtype.type(1.0 - lam) + labels * labels.dtype.type(lam)

    def __repr__(self):
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_MixBase):
    """images = lam * images + (1 - lam) * (the batch rolled by one), lam ~ Beta(alpha, alpha)."""

    def _mix_images(self, images, lam):
        if images.dtype.kind != "f":
            raise TypeError(f"MixUp needs floating-point images, got {images.dtype}")
        kind = images.dtype.type  # the factors rounded from double, as torch's scalar multiplies
        return np.roll(images, 1, axis=0) * kind(1.0 - lam) + images * kind(lam), lam


class CutMix(_MixBase):
    """A box covering about 1 - lam of each image (lam ~ Beta(alpha, alpha)) is taken from the
    next image in the batch; the labels mix by the box's actual area."""

    def _mix_images(self, images, lam):
        height, width = images.shape[-2:]
        g = rng()
        center_x, center_y = int(g.integers(0, width)), int(g.integers(0, height))
        r = 0.5 * math.sqrt(1.0 - lam)
        half_w, half_h = int(r * width), int(r * height)
        x1, y1 = max(center_x - half_w, 0), max(center_y - half_h, 0)
        x2, y2 = min(center_x + half_w, width), min(center_y + half_h, height)
        out = images.copy()
        out[..., y1:y2, x1:x2] = np.roll(images, 1, axis=0)[..., y1:y2, x1:x2]
        return out, 1.0 - (x2 - x1) * (y2 - y1) / (width * height)
