"""torchvision.utils.make_grid and save_image: a batch of CHW images tiled into one image, for
looking at augmentations and predictions (in a notebook, TensorBoard or a file)."""
import math

import numpy as np


def _as_batch(tensor):
    """The images as one (B, C, H, W) ndarray (a view where possible), from a Tensor, an ndarray
    or a list of them, with torchvision's handling of 2-D, 3-D and single-channel input."""
    from resnetc.tensor import Tensor

    def array(t):
        if isinstance(t, Tensor):
            return t.array
        if isinstance(t, np.ndarray):
            return t
        raise TypeError(f"tensor or list of tensors expected, got {type(t).__name__}")

    if isinstance(tensor, (list, tuple)):
        batch = np.stack([array(t) for t in tensor])
    else:
        batch = array(tensor)
    if batch.ndim == 2:  # one H x W image
        batch = batch[None]
    if batch.ndim == 3:  # one C x H x W image
        if batch.shape[0] == 1:
            batch = np.concatenate([batch] * 3)
        batch = batch[None]
    if batch.ndim != 4:
        raise ValueError(f"make_grid: expected images of 2, 3 or 4 dimensions, got shape {batch.shape}")
    if batch.shape[1] == 1:  # single-channel images shown as gray RGB
        batch = np.concatenate([batch] * 3, axis=1)
    return batch


def _normalize(batch, value_range, scale_each):
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
    if batch.dtype.kind != "f":
        raise TypeError(f"make_grid(normalize=True) needs floating-point images, got {batch.dtype}")

    def rescale(images):
        low, high = (float(images.min()), float(images.max())) if value_range is None else value_range
        clipped = np.clip(images, low, high)
        return (clipped - low) / max(high - low, 1e-5)

    if scale_each:
        return np.stack([rescale(image) for image in batch])
    return rescale(batch)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """A (C, H', W') Tensor with the images of a (B, C, H, W) batch (or a list of CHW images) in
    rows of ``nrow``, ``padding`` pixels of ``pad_value`` around each; as torchvision's.

    ``normalize`` maps ``value_range`` (default: the batch's min and max, or each image's with
    ``scale_each``) to [0, 1]. A single image comes back unchanged but for channel handling."""
    from resnetc.tensor import Tensor

    batch = _as_batch(tensor)
    if normalize:
        batch = _normalize(batch, value_range, scale_each)
    if batch.shape[0] == 1:
        return Tensor(batch[0])
    count, channels, h, w = batch.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((channels, rows * cell_h + padding, columns * cell_w + padding), pad_value,
                   dtype=batch.dtype)
    for k in range(count):
        y, x = divmod(k, columns)
        grid[:, y * cell_h + padding:(y + 1) * cell_h, x * cell_w + padding:(x + 1) * cell_w] = batch[k]
    return Tensor(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Writes an image, or a batch tiled by :func:`make_grid` (``kwargs`` are its options), to a
    path or file object with Pillow; values in [0, 1] become 0-255, rounded to nearest."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_image needs Pillow: pip install pillow") from None
    grid = make_grid(tensor, **kwargs).array
    pixels = np.clip(grid * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8)
    Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0))).save(fp, format=format)
