"""The fused fast path of Compose: a JPEG EncodedImage through a chain of known ops in one C call.

Eligible chains (checked once per Compose):
    [RandomResizedCrop | Resize | CenterCrop]*  [RandomHorizontalFlip | RandomVerticalFlip | ColorJitter]*
    ToTensor  [Normalize]
with at most one resize (Resize/RandomResizedCrop, not NEAREST) and crops that fit inside the
image. The parameters are drawn here, in chain order, from resnetc.transforms.rng() -- the very
draws the general path would make -- and the C kernel (csrc/image/pipeline.c) then runs with the
GIL released:
- decode: only the rows down to the last one the resize reads (rows above are entropy-decoded
  and skipped, rows below never touched) and the iMCU columns around the crop; libjpeg writes
  them straight into per-thread scratch memory that the resize reads in place;
- one resize (Pillow's two passes, AVX2 when available) of the crop to the output;
- one planar pass per contrast op (its mean needs the whole image) plus one, doing flips, every
  ColorJitter op in its drawn order, ToTensor and Normalize, and writing float32 CHW rows.
In a DataLoader over an ImageFolder the output is written straight into the sample's row of the
batch (see output_slot), so default_collate has nothing to copy.

Numerics: with DCT scaling off, the output equals the general path (Pillow arithmetic) bit for
bit, with either instruction set: the AVX2 kernels keep Pillow's operation order and types and
were checked bit-identical to the portable ones (hue for 6 shifts and saturation for 8 factors
on all 2^24 colors, blends on all 256 values and bases; the tests re-check samples against
Pillow and torchvision per ISA). With DCT scaling on (the default), when the crop is at least
4x the resize target in both directions libjpeg decodes at 1/2, 1/4 or 1/8 scale, keeping the
decoded crop at least 2x the target (Pillow's reducing_gap for JPEG drafts), and the resize's
antialiasing filter does the rest: the pixels then differ slightly from the exact path. Measured
on a 1600x1200 photo-like JPEG, after ToTensor (test_fused.py::test_dct_scaling_difference_is_small
bounds it): RandomResizedCrop(224), 20 samples: mean absolute difference 0.0007, max 0.039 (10/255, on
sharp edges); Resize(256)+CenterCrop(224): mean 0.0017, max 0.016. It takes ~25% off the time of
Resize(256)+CenterCrop(224) on such photos (10.3 -> 7.7 ms per sample here) and ~5% off the
training chain, whose crops are mostly smaller. On ~500x375 photos with
224 outputs it never applies (bench_data.py measures the exact path).
Turn it off with ``set_fast_path(dct_scaling=False)``; turn the whole path off with
``set_fast_path(False)``.
"""
import contextlib
import threading

import numpy as np

from resnetc import _C
from resnetc import io as _io
from resnetc.tensor import Tensor
from resnetc.transforms import functional as F
from resnetc.utils.random_state import current_sample_generator as rng

_settings = {"enabled": True, "dct_scaling": True}
_slot = threading.local()  # the output buffer offered by output_slot()
_COLOR = {"brightness": 0, "contrast": 1, "saturation": 2, "hue": 3}


def set_fast_path(enabled=True, dct_scaling=True):
    """Enables/disables the fused JPEG path of Compose, and its DCT-domain downscaling."""
    _settings["enabled"] = bool(enabled)
    _settings["dct_scaling"] = bool(dct_scaling)


def get_fast_path():
    return dict(_settings)


class _Fallback(Exception):
    pass


def _v1_spelling(transforms):
    """The chain with v2's ToImage() + ToDtype(float32, scale=True) as the ToTensor() it equals."""
    from resnetc.transforms import transforms as T
    from resnetc.transforms.v2 import ToDtype, ToImage
    out, i = [], 0
    while i < len(transforms):
        t = transforms[i]
        after = transforms[i + 1] if i + 1 < len(transforms) else None
        if type(t) is ToImage and type(after) is ToDtype and after.scale and after.dtype == np.float32:
            out.append(T.ToTensor())
            i += 2
        else:
            out.append(t)
            i += 1
    return out


def plan(transforms):
    """The chain as [(kind, transform)], or None when the fused path cannot run it."""
    from resnetc.transforms import transforms as T
    transforms = _v1_spelling(transforms)
    steps, phase = [], 0  # 0: geometry, 1: flips/color, 2: after ToTensor, 3: after Normalize
    resizes = 0
    for t in transforms:
        cls = type(t)
        if cls in (T.RandomResizedCrop, T.Resize):
            if phase > 0 or t.interpolation in (F.InterpolationMode.NEAREST, F.InterpolationMode.NEAREST_EXACT):
                return None
            resizes += 1
            if resizes > 1:
                return None
            steps.append(("rrc" if cls is T.RandomResizedCrop else "resize", t))
        elif cls is T.CenterCrop:
            if phase > 0:
                return None
            steps.append(("center", t))
        elif cls in (T.RandomHorizontalFlip, T.RandomVerticalFlip, T.ColorJitter):
            if phase > 1:
                return None
            phase = 1
            steps.append(({T.RandomHorizontalFlip: "hflip", T.RandomVerticalFlip: "vflip",
                           T.ColorJitter: "jitter"}[cls], t))
        elif cls is T.ToTensor:
            if phase > 1:
                return None
            phase = 2
            steps.append(("totensor", t))
        elif cls is T.Normalize:
            if phase != 2 or len(np.atleast_1d(t.mean)) not in (1, 3) or len(np.atleast_1d(t.std)) not in (1, 3):
                return None
            phase = 3
            steps.append(("normalize", t))
        else:
            return None
    return steps if phase >= 2 else None


def _triple(values):
    """Normalize's mean or std as 3 floats (the values np.broadcast_to(float64) gives)."""
    if type(values) in (list, tuple) and len(values) == 3:
        return float(values[0]), float(values[1]), float(values[2])
    return tuple(float(v) for v in np.broadcast_to(np.asarray(values, dtype=np.float64), 3))


def _may_fall_back(steps):
    """True if _draw can give up after drawing (a CenterCrop larger than its input, or more than
    16 color ops): run() must then be able to rewind the generator. A zero std is checked
    before any draw."""
    kinds = [kind for kind, _ in steps]
    return "center" in kinds or kinds.count("jitter") > 4


def _zero_std(steps):
    return any(kind == "normalize" and min(abs(s) for s in _triple(t.std)) == 0 for kind, t in steps)


def _draw(steps, width, height, g):
    """Draws the chain's parameters as the general path would; returns the kernel's arguments."""
    from resnetc.transforms.transforms import ColorJitter, _sample_box
    crop = [0, 0, width, height]      # x, y, w, h in the decoded image
    resize = None                     # (w, h) the crop is resized to
    filt = 2
    out = None                        # x, y, w, h in the resized image
    cur_w, cur_h = width, height
    hflip = vflip = 0
    color, mean, std = [], None, None
    for kind, t in steps:
        if kind == "rrc":
            i, j, h, w = _sample_box(cur_h, cur_w, t.scale, t.ratio, g)
            crop = [crop[0] + j, crop[1] + i, w, h]
            size = list(t.size)
            resize, filt = (int(size[1]), int(size[0])), F._PIL_CODES[t.interpolation]
            cur_w, cur_h = resize
        elif kind == "resize":
            nh, nw = F._output_size(cur_h, cur_w, t.size, t.max_size)
            if (nh, nw) != (cur_h, cur_w):
                resize, filt = (nw, nh), F._PIL_CODES[t.interpolation]
                cur_w, cur_h = nw, nh
        elif kind == "center":
            top, left, h, w = F._center_crop_box(cur_h, cur_w, t.size)
            if h > cur_h or w > cur_w or top < 0 or left < 0:
                raise _Fallback()
            if resize is None:
                crop = [crop[0] + left, crop[1] + top, w, h]
            else:
                base = out or [0, 0, cur_w, cur_h]
                out = [base[0] + left, base[1] + top, w, h]
            cur_w, cur_h = w, h
        elif kind == "hflip":
            if g.random() < t.p:
                hflip ^= 1
        elif kind == "vflip":
            if g.random() < t.p:
                vflip ^= 1
        elif kind == "jitter":
            params = ColorJitter.get_params(t.brightness, t.contrast, t.saturation, t.hue)
            color += [(_COLOR[name], float(f)) for name, f in ColorJitter.ops_from_params(params)]
        elif kind == "normalize":
            mean, std = _triple(t.mean), _triple(t.std)
    if resize is None:
        resize = (crop[2], crop[3])
    if out is None:
        out = [0, 0, resize[0], resize[1]]
    if len(color) > 16:
        raise _Fallback()
    return tuple(crop), resize, filt, tuple(out), hflip, vflip, color, mean, std


def run(steps, img, out=None, slot=None):
    """Runs a planned chain on a JPEG EncodedImage; returns the CHW float32 ndarray: ``out``
    when given, else ``slot`` (taken from output_slot) when it has the output's shape."""
    name = img.path or "<bytes>"
    width, height, _, _, _ = _io._jpeg_header(img.data, name)
    _io._check_pixels(width, height, name)
    if _zero_std(steps):
        return None  # the general path raises the error
    g = rng()
    state = g.bit_generator.state if _may_fall_back(steps) else None
    try:
        crop, resize, filt, rect, hflip, vflip, color, mean, std = _draw(steps, width, height, g)
    except _Fallback:
        g.bit_generator.state = state
        return None
    if out is None and slot is not None and slot.shape == (3, rect[3], rect[2]):
        out, _slot.out = slot, None
    max_pixels, max_scans = _io._limits()
    try:
        array, _ = _C.jpeg_pipeline(img.data, crop, resize, filt, rect, hflip, vflip, color, mean, std,
                                    max_pixels, max_scans, int(_settings["dct_scaling"]), out)
    except ValueError as e:
        raise ValueError(f"{name}: cannot decode JPEG: {e}") from None
    return array


@contextlib.contextmanager
def output_slot(out):
    """Offers ``out`` (a C-contiguous float32 (3, H, W) array, e.g. one slot of a batch buffer) to
    the next fused Compose call of this thread: if its output has that shape it is written there,
    and the call returns a Tensor viewing ``out``. Taken at most once. The DataLoader uses this
    so that default_collate finds the samples already in place (no per-sample array, no copy)."""
    _slot.out = out
    try:
        yield
    finally:
        _slot.out = None


def try_fused(compose, img):
    """Compose's hook: the fused result, or None to take the general path."""
    if not _settings["enabled"] or not img.is_jpeg:
        return None
    steps = compose._plan
    if steps is None:
        steps = plan(compose.transforms) or False
        compose._plan = steps
    if steps is False:
        return None
    array = run(steps, img, slot=getattr(_slot, "out", None))
    return None if array is None else Tensor(array)
