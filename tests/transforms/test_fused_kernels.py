"""The SIMD kernels behind the fused path, per instruction set: the resampling passes against
Pillow itself, and the one-pass color/ToTensor/Normalize kernel against the general path on
chains with every flip and color op (extrapolating factors, two contrasts)."""
import numpy as np
import pytest
from PIL import Image

import resnetc.io as rio
import resnetc.transforms as T
from resnetc import _C

from samples.images import jpeg_bytes, photo_like

FILTERS = {Image.Resampling.BILINEAR: 2, Image.Resampling.BICUBIC: 3, Image.Resampling.LANCZOS: 1,
           Image.Resampling.BOX: 4, Image.Resampling.HAMMING: 5}


def resize_cases(rng):
    """(in h, w), (out w, h) and box: down/up-scaling on either axis, both pass orders, widths
    that are not multiples of the SIMD width, one-pixel images."""
    cases = [((1, 1), (5, 3)), ((7, 1), (1, 9)), ((250, 300), (224, 224)), ((120, 150), (224, 224)),
             ((375, 500), (224, 224)), ((400, 60), (60, 100)), ((33, 47), (47, 12)), ((64, 64), (64, 31))]
    for _ in range(12):
        h, w = rng.integers(1, 200, 2)
        cases.append(((int(h), int(w)), tuple(int(v) for v in rng.integers(1, 240, 2))))
    for (h, w), out in cases:
        x0, y0 = rng.uniform(0, w / 4), rng.uniform(0, h / 4)
        box = (float(np.float32(x0)), float(np.float32(y0)), float(w), float(h))
        yield (h, w), out, box


@pytest.mark.parametrize("channels", [3, 1])
def test_resample_matches_pillow(isa, channels):
    rng = np.random.default_rng(1)
    for (h, w), (ow, oh), box in resize_cases(rng):
        img = photo_like(h, w, seed=int(h * w) % 97)
        if channels == 1:
            img = img[..., :1].copy()
        pil = Image.fromarray(img[..., 0] if channels == 1 else img)
        for pil_filter, code in FILTERS.items():
            ours = _C.resample_u8(img, ow, oh, code, box)
            ref = np.asarray(pil.resize((ow, oh), pil_filter, box=box)).reshape(oh, ow, channels)
            np.testing.assert_array_equal(ours, ref, err_msg=f"{(h, w)} -> {(oh, ow)} box {box} filter {pil_filter}")


def test_fused_color_pass_equals_general_path(isa):
    chain = T.Compose([T.RandomResizedCrop((72, 88), scale=(0.05, 1.0)), T.RandomHorizontalFlip(),
                       T.RandomVerticalFlip(), T.ColorJitter(0.9, 0.9, 0.9, 0.5),
                       T.ColorJitter(brightness=(0.0, 2.0), contrast=(0.0, 2.0), saturation=(0.0, 3.0)),
                       T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    img = rio.EncodedImage(jpeg_bytes(photo_like(211, 301, seed=4), quality=90), "photo.jpg")
    try:
        for i in range(24):
            outs = []
            for fast in (True, False):
                T.set_fast_path(fast, False)
                with T.sample_generator(T.philox_generator(11, 0, i)):
                    outs.append(chain(img).array)
            np.testing.assert_array_equal(outs[0], outs[1], err_msg=f"sample {i}")
    finally:
        T.set_fast_path(True, True)
