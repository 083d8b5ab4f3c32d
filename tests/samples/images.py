"""Test images, generated here (no binary files in the repository); used by tests/image and
tests/transforms."""
import io

import numpy as np
from PIL import Image


def photo_like(h, w, seed=0, noise=6.0):
    """Smooth color fields plus edges and sensor-like noise: JPEG-compresses like a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([128 + 100 * np.sin(x / 17 + y / 31 + seed),
                    128 + 90 * np.cos(x / 23 - y / 13),
                    128 + 80 * np.sin((x + y) / 11 + 2 * seed)], -1)
    img[(x // 40 + y // 30) % 2 == 0] *= 0.6  # hard edges
    img += rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def jpeg_bytes(array, mode="RGB", **save_args):
    buf = io.BytesIO()
    im = Image.fromarray(array)
    if mode != im.mode:
        im = im.convert(mode)
    im.save(buf, "JPEG", **save_args)
    return buf.getvalue()
