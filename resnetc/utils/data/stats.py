"""Per-channel mean and standard deviation of an image dataset, streamed, in float64.

Normalize with your dataset's own statistics rather than ImageNet's
(0.485, 0.456, 0.406) / (0.229, 0.224, 0.225) when its images differ from ImageNet's
(medical, satellite, grayscale, synthetic...): compute them once on the training split, with the
deterministic part of the pipeline (e.g. ``Compose([Resize(256), CenterCrop(224), ToTensor()])``,
no Normalize, no random augmentation), and pass them to ``Normalize(mean, std)``.
"""
import numpy as np

from resnetc.tensor import Tensor


class RunningMeanStd:
    """Per-channel mean/variance over all pixels seen, merged image by image with Chan et al.'s
    parallel update (float64; stable even when the mean is large compared with the spread)."""

    def __init__(self):
        self.count = 0
        self.mean = None
        self.m2 = None

    def update(self, pixels):
        """``pixels``: (C, P) array, P pixels of C channels."""
        pixels = np.asarray(pixels, dtype=np.float64)
        n_b = pixels.shape[1]
        if n_b == 0:
            return
        mean_b = pixels.mean(axis=1)
        m2_b = np.square(pixels - mean_b[:, None]).sum(axis=1)
        if self.mean is None:
            self.count, self.mean, self.m2 = n_b, mean_b, m2_b
            return
        if mean_b.shape != self.mean.shape:
            raise ValueError(f"images have {self.mean.shape[0]} and {mean_b.shape[0]} channels; "
                             "all must have the same number")
        n_a = self.count
        n = n_a + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / n)
        self.m2 = self.m2 + m2_b + np.square(delta) * (n_a * n_b / n)
        self.count = n

    def result(self, unbiased=False):
        if self.mean is None:
            raise ValueError("no pixels were seen: the dataset is empty")
        ddof = 1 if unbiased else 0
        return self.mean.copy(), np.sqrt(self.m2 / max(self.count - ddof, 1))


def _image_of(sample):
    image = sample[0] if isinstance(sample, (tuple, list)) else sample
    if isinstance(image, Tensor):
        return image.array
    if isinstance(image, np.ndarray):
        return image
    if hasattr(image, "mode") and hasattr(image, "size"):  # a PIL image
        return np.asarray(image)
    raise TypeError(f"compute_mean_std needs images as Tensors or ndarrays (e.g. transform=ToTensor()), "
                    f"got {type(image).__name__}")


def compute_mean_std(dataset, layout="CHW", num_samples=None, seed=0, num_workers=0, batch_size=64,
                     unbiased=False):
    """Per-channel ``(mean, std)`` (float64 ndarrays of length C) over every pixel of the images.

    Args:
        dataset: samples are images or ``(image, target)`` pairs; images are Tensors/ndarrays
            (or PIL images, read as HWC). Sizes may differ: every pixel counts once.
        layout: "CHW" (ToTensor's output) or "HWC" (decoded arrays, PIL images); a 2-D image is one
            channel.
        num_samples: use a random subset of this many images (drawn with ``seed``), to estimate
            the statistics of a large dataset quickly; None uses all.
        num_workers, batch_size: loading threads and images per task (see DataLoader).
        unbiased: divide by (pixels - 1) instead of pixels.

    Values are in the images' own units: a uint8 image gives means in 0..255, ToTensor's output in
    0..1 (what Normalize expects after ToTensor).
    """
    from resnetc.utils.data.dataloader import DataLoader
    from resnetc.utils.data.dataset import Subset

    if layout not in ("CHW", "HWC"):
        raise ValueError(f"layout must be 'CHW' or 'HWC', got {layout!r}")
    if num_samples is not None:
        if num_samples <= 0:
            raise ValueError(f"num_samples must be positive, got {num_samples}")
        if num_samples < len(dataset):
            indices = np.random.default_rng(seed).choice(len(dataset), size=num_samples, replace=False)
            dataset = Subset(dataset, sorted(indices.tolist()))
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=list, seed=seed)
    stats = RunningMeanStd()
    for samples in loader:
        for sample in samples:
            image = _image_of(sample)
            if image.ndim == 2:
                pixels = image.reshape(1, -1)
            elif image.ndim != 3:
                raise ValueError(f"images must be 2-D or 3-D, got shape {image.shape}")
            elif layout == "CHW":
                pixels = image.reshape(image.shape[0], -1)
            else:
                pixels = image.reshape(-1, image.shape[2]).T
            stats.update(pixels)
    return stats.result(unbiased)
