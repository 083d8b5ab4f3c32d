"""torchvision.transforms.functional's operations for PIL images, NumPy arrays and tensors.

Accepted images, and what comes back:
- ``PIL.Image.Image`` (modes RGB, L, RGBA for geometry): a PIL image, computed with Pillow's
  arithmetic (resizing, blending, HSV conversion reproduced in C) as torchvision's PIL path.
- NumPy ``uint8`` arrays, HWC ``(H, W, C)`` or ``(H, W)``: treated exactly as the PIL image with
  those pixels; the result is an array of the same layout.
- ``resnetc.Tensor`` (CHW, float in [0, 1] or uint8): torchvision's tensor semantics
  (float math, antialiased resize in float, ``0.2989/0.587/0.114`` grayscale); returns a Tensor.
  A batch ``(..., C, H, W)`` works too: every image gets the same operation, as in torchvision.
- ``resnetc.io.EncodedImage``: decoded first (a PIL image when Pillow is installed, as
  torchvision's ImageFolder loader gives, else an HWC array).
"""
import enum
import functools
import math
import numbers

import numpy as np

from resnetc import _C
from resnetc.io import EncodedImage, decode_to_pil
from resnetc.tensor import Tensor

try:
    from PIL import Image as _PILImage
except ImportError:  # Pillow is optional
    _PILImage = None


class InterpolationMode(enum.Enum):
    """torchvision's interpolation names."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_CODES = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.LANCZOS: 1,
              InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4,
              InterpolationMode.HAMMING: 5}
_FROM_PIL_CODE = {0: InterpolationMode.NEAREST, 1: InterpolationMode.LANCZOS, 2: InterpolationMode.BILINEAR,
                  3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING}

_COLOR_OPS = {"brightness": 0, "contrast": 1, "saturation": 2, "hue": 3}


def _interpolation(mode):
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, (int, np.integer)) and int(mode) in _FROM_PIL_CODE:
        return _FROM_PIL_CODE[int(mode)]
    if isinstance(mode, str):
        for m in InterpolationMode:
            if m.value == mode.lower():
                return m
    raise TypeError(f"interpolation must be an InterpolationMode (or a PIL filter int), got {mode!r}; "
                    f"valid: {[m.value for m in InterpolationMode]}")


# --------------------------------------------------------------------------------- image kinds
def _is_pil(img):
    return _PILImage is not None and isinstance(img, _PILImage.Image)


class _Img:
    """An image unpacked for computing: ``a`` is HWC uint8 (pil/array) or CHW (tensor)."""
    __slots__ = ("kind", "a", "mode", "squeeze")

    def __init__(self, img):
        if isinstance(img, EncodedImage):
            img = decode_to_pil(img)
        self.squeeze = False
        self.mode = None
        if _is_pil(img):
            self.kind = "pil"
            self.mode = img.mode
            if img.mode not in ("RGB", "L", "RGBA"):
                raise TypeError(f"PIL images of mode {img.mode!r} are not supported; convert to 'RGB' or 'L' first")
            a = np.asarray(img)
            self.a = a[:, :, None] if a.ndim == 2 else a
        elif isinstance(img, Tensor):
            self.kind = "tensor"
            a = img.array
            if a.ndim == 2:
                a = a[None]
                self.squeeze = True
            if a.ndim != 3:
                raise ValueError(f"expected a CHW tensor, got shape {a.shape}")
            self.a = a
        elif isinstance(img, np.ndarray):
            self.kind = "array"
            if img.dtype != np.uint8:
                raise TypeError(f"NumPy images must be HWC uint8 arrays, got dtype {img.dtype}")
            if img.ndim == 2:
                self.a = img[:, :, None]
                self.squeeze = True
            elif img.ndim == 3:
                self.a = img
            else:
                raise ValueError(f"NumPy images must be (H, W) or (H, W, C), got shape {img.shape}")
        else:
            raise TypeError(f"img should be a PIL Image, a NumPy HWC uint8 array, a resnetc Tensor or an "
                            f"EncodedImage. Got {type(img).__name__}")

    @property
    def tensor(self):
        return self.kind == "tensor"

    @property
    def hw(self):
        return self.a.shape[-2:] if self.tensor else self.a.shape[:2]

    @property
    def channels(self):
        return self.a.shape[0] if self.tensor else self.a.shape[2]

    def wrap(self, a, mode=None):
        """Packs a result array back into the input's kind."""
        if self.kind == "tensor":
            return Tensor(a[0] if self.squeeze and a.shape[0] == 1 else a)
        a = np.ascontiguousarray(a)
        if self.kind == "array":
            return a[:, :, 0] if self.squeeze and a.shape[2] == 1 else a
        mode = mode or ({1: "L", 3: "RGB", 4: "RGBA"}[a.shape[2]])
        return _PILImage.fromarray(a[:, :, 0] if a.shape[2] == 1 else a, mode)


def _over_batch(fn):
    """Lets a functional take a batch of tensor images (..., C, H, W), as torchvision's do: each
    image goes through ``fn`` with the same arguments and the results are stacked back."""
    @functools.wraps(fn)
    def over_batch(img, *args, **kwargs):
        if not isinstance(img, Tensor) or img.array.ndim <= 3:
            return fn(img, *args, **kwargs)
        a = img.array
        images = a.reshape((-1,) + a.shape[-3:])
        out = np.stack([fn(Tensor(image), *args, **kwargs).array for image in images])
        return Tensor(out.reshape(a.shape[:-3] + out.shape[1:]))
    return over_batch


def get_dimensions(img):
    """[channels, height, width]."""
    if isinstance(img, Tensor) and img.array.ndim > 3:
        return [int(n) for n in img.array.shape[-3:]]
    im = _Img(img)
    h, w = im.hw
    return [im.channels, int(h), int(w)]


def get_image_size(img):
    """[width, height]."""
    if isinstance(img, EncodedImage):
        return list(img.size)
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# --------------------------------------------------------------------------- conversions
def to_tensor(pic):
    """PIL image or HWC ndarray -> CHW float32 Tensor; uint8 data is scaled to [0, 1]."""
    if isinstance(pic, EncodedImage):
        pic = decode_to_pil(pic)
    if not (_is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        a = pic[:, :, None] if pic.ndim == 2 else pic
        if a.dtype != np.uint8:
            return Tensor(np.ascontiguousarray(a.transpose(2, 0, 1)))
    else:
        a = np.asarray(pic)
        a = a[:, :, None] if a.ndim == 2 else a
        if a.dtype == np.bool_:
            a = a.astype(np.uint8) * 255
        if a.dtype != np.uint8:
            return Tensor(np.ascontiguousarray(a.transpose(2, 0, 1)))
    return Tensor(_C.to_tensor_u8(np.ascontiguousarray(a), None, None))


def pil_to_tensor(pic):
    """PIL image (or HWC uint8 array) -> CHW uint8 Tensor, no scaling."""
    if isinstance(pic, EncodedImage):
        pic = decode_to_pil(pic)
    if not (_is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a = np.asarray(pic)
    a = a[:, :, None] if a.ndim == 2 else a
    return Tensor(np.ascontiguousarray(a.transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """CHW Tensor (float in [0, 1] or uint8) or HWC ndarray -> PIL image."""
    if _PILImage is None:
        raise ImportError("to_pil_image needs Pillow (pip install pillow)")
    if isinstance(pic, Tensor):
        a = pic.array
        a = a[None] if a.ndim == 2 else a
        if a.dtype != np.uint8:
            a = (a * 255).astype(np.uint8)  # torchvision's mul(255).byte(): truncation
        a = a.transpose(1, 2, 0)
    else:
        a = np.asarray(pic)
        a = a[:, :, None] if a.ndim == 2 else a
    a = np.ascontiguousarray(a)
    if a.shape[2] == 1:
        return _PILImage.fromarray(a[:, :, 0], mode or "L")
    return _PILImage.fromarray(a, mode or {3: "RGB", 4: "RGBA"}[a.shape[2]])


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean[c]) / std[c] per channel of a float CHW (or NCHW) tensor."""
    if not isinstance(tensor, (Tensor, np.ndarray)):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    a = tensor.array if isinstance(tensor, Tensor) else tensor
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"Input tensor should be a float tensor. Got {a.dtype}.")
    if a.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {a.shape}")
    mean = np.asarray(mean, dtype=a.dtype).reshape(-1, 1, 1)
    std = np.asarray(std, dtype=a.dtype).reshape(-1, 1, 1)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {a.dtype}, leading to division by zero.")
    if inplace:
        np.subtract(a, mean, out=a)
        np.divide(a, std, out=a)
        return tensor
    out = (a - mean) / std
    return Tensor(out) if isinstance(tensor, Tensor) else out


# ----------------------------------------------------------------------------- geometry
def _output_size(h, w, size, max_size):
    """torchvision's _compute_resized_output_size -> (new_h, new_w)."""
    if isinstance(size, numbers.Number):
        size = [int(size)]
    size = list(size)
    if len(size) == 1:
        requested = size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size "
                                 f"for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return new_h, new_w
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                         "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    return size[0], size[1]


def _nearest_index(out, inp, pil):
    if pil:  # Pillow's ImagingScaleAffine: position accumulated in double from scale / 2
        scale = float(np.float32(inp)) / out
        idx = np.empty(out, dtype=np.int64)
        pos = scale * 0.5
        for x in range(out):
            idx[x] = int(pos)
            pos += scale
    else:  # torch 'nearest': floor(x * scale), scale in float32
        idx = np.floor(np.arange(out, dtype=np.float32) * np.float32(inp / out)).astype(np.int64)
    return np.minimum(idx, inp - 1)


def _resize_array(im, new_h, new_w, mode, antialias=True):
    a = im.a
    h, w = im.hw
    if (h, w) == (new_h, new_w):
        return a
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        exact = mode is InterpolationMode.NEAREST_EXACT
        iy = _nearest_index(new_h, h, not im.tensor or exact)
        ix = _nearest_index(new_w, w, not im.tensor or exact)
        return a[:, iy][:, :, ix] if im.tensor else a[iy][:, ix]
    code = _PIL_CODES[mode]
    box = (0.0, 0.0, float(w), float(h))
    if not im.tensor:
        return _C.resample_u8(np.ascontiguousarray(a), new_w, new_h, code, box)
    if mode not in (InterpolationMode.BILINEAR, InterpolationMode.BICUBIC):
        raise ValueError(f"tensor resize supports nearest, nearest-exact, bilinear and bicubic, got {mode.value}")
    src = np.ascontiguousarray(a, dtype=np.float32)
    if antialias or (new_h >= h and new_w >= w):
        out = _C.resample_f32(src, new_w, new_h, code, box)
    else:
        out = _resize_no_antialias(src, new_h, new_w, mode)
    if a.dtype == np.uint8:
        return np.clip(np.round(out), 0, 255).astype(np.uint8)
    if mode is InterpolationMode.BICUBIC and a.dtype != np.uint8:
        return out.astype(a.dtype)
    return out.astype(a.dtype)


def _resize_no_antialias(a, new_h, new_w, mode):
    """torch.nn.functional.interpolate(align_corners=False) without antialiasing."""
    def weights(out, inp):
        x = (np.arange(out) + 0.5) * (inp / out) - 0.5
        if mode is InterpolationMode.BILINEAR:
            x = np.maximum(x, 0)
            x0 = np.floor(x).astype(np.int64)
            t = x - x0
            idx = np.stack([x0, x0 + 1], 1)
            wts = np.stack([1 - t, t], 1)
        else:
            x0 = np.floor(x).astype(np.int64)
            t = x - x0
            A = -0.75
            def cub1(d): return ((A + 2) * d - (A + 3)) * d * d + 1
            def cub2(d): return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A
            wts = np.stack([cub2(t + 1), cub1(t), cub1(1 - t), cub2(2 - t)], 1)
            idx = np.stack([x0 - 1, x0, x0 + 1, x0 + 2], 1)
        return np.clip(idx, 0, inp - 1), wts
    iy, wy = weights(new_h, a.shape[1])
    ix, wx = weights(new_w, a.shape[2])
    tmp = (a[:, iy] * wy[None, :, :, None]).sum(2)
    return (tmp[:, :, ix] * wx[None, None]).sum(3).astype(np.float32)


@_over_batch
def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resizes to `size` ((h, w), or the shorter side when an int) with Pillow's antialiased
    filters; tensors follow torch's interpolate (antialias=True by default, as torchvision)."""
    mode = _interpolation(interpolation)
    im = _Img(img)
    h, w = im.hw
    new_h, new_w = _output_size(h, w, size, max_size)
    if new_h <= 0 or new_w <= 0:
        raise ValueError(f"resize: output size must be positive, got {new_h}x{new_w}")
    return im.wrap(_resize_array(im, new_h, new_w, mode, antialias), im.mode)


def _fill_values(fill, channels, dtype):
    if fill is None:
        fill = 0
    if isinstance(fill, numbers.Number):
        return np.full(channels, fill, dtype=np.float64)
    fill = list(fill)
    if len(fill) == 1:
        return np.full(channels, fill[0], dtype=np.float64)
    if len(fill) != channels:
        raise ValueError(f"fill must have 1 or {channels} values, got {len(fill)}")
    return np.asarray(fill, dtype=np.float64)


def _pad_array(im, left, top, right, bottom, fill=0, padding_mode="constant"):
    a = im.a
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if im.tensor:
        pads = [(0, 0), (top, bottom), (left, right)]
    else:
        pads = [(top, bottom), (left, right), (0, 0)]
    if min(left, top, right, bottom) < 0:
        # negative padding crops, as torch and Pillow do
        h, w = im.hw
        crop_t, crop_b, crop_l, crop_r = max(-top, 0), max(-bottom, 0), max(-left, 0), max(-right, 0)
        a = a[:, crop_t:h - crop_b, crop_l:w - crop_r] if im.tensor else a[crop_t:h - crop_b, crop_l:w - crop_r]
        pads = [(max(p0, 0), max(p1, 0)) for p0, p1 in pads]
    if padding_mode != "constant":
        return np.pad(a, pads, mode=padding_mode)
    values = _fill_values(fill, im.channels, a.dtype)
    out_shape = tuple(n + p0 + p1 for n, (p0, p1) in zip(a.shape, pads))
    out = np.empty(out_shape, dtype=a.dtype)
    if im.tensor:
        out[...] = values.astype(a.dtype)[:, None, None]
        out[:, pads[1][0]:pads[1][0] + a.shape[1], pads[2][0]:pads[2][0] + a.shape[2]] = a
    else:
        out[...] = values.astype(a.dtype)[None, None, :]
        out[pads[0][0]:pads[0][0] + a.shape[0], pads[1][0]:pads[1][0] + a.shape[1]] = a
    return out


def _parse_padding(padding):
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    padding = list(padding)
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    if len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


@_over_batch
def pad(img, padding, fill=0, padding_mode="constant"):
    """Pads (left, top, right, bottom) with a constant, or edge/reflect/symmetric copies."""
    im = _Img(img)
    left, top, right, bottom = _parse_padding(padding)
    return im.wrap(_pad_array(im, left, top, right, bottom, fill, padding_mode), im.mode)


def _crop_array(im, top, left, height, width):
    h, w = im.hw
    if top < 0 or left < 0 or top + height > h or left + width > w:
        # torchvision pads with zeros where the box leaves the image
        pl, pt = max(-left, 0), max(-top, 0)
        pr, pb = max(left + width - w, 0), max(top + height - h, 0)
        im2 = _Img.__new__(_Img)
        im2.kind, im2.mode, im2.squeeze = im.kind, im.mode, im.squeeze
        im2.a = _pad_array(im, pl, pt, pr, pb, 0)
        im, top, left = im2, top + pt, left + pl
    if im.tensor:
        return im.a[:, top:top + height, left:left + width]
    return im.a[top:top + height, left:left + width]


@_over_batch
def crop(img, top, left, height, width):
    im = _Img(img)
    return im.wrap(_crop_array(im, int(top), int(left), int(height), int(width)), im.mode)


def _center_crop_box(h, w, output_size):
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    ch, cw = int(output_size[0]), int(output_size[1])
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return top, left, ch, cw


@_over_batch
def center_crop(img, output_size):
    im = _Img(img)
    h, w = im.hw
    top, left, ch, cw = _center_crop_box(h, w, output_size)
    if ch > h or cw > w:
        # torchvision pads (zeros) to the crop size first, then crops
        pl, pt = (cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0
        pr, pb = (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0
        im.a = _pad_array(im, pl, pt, pr, pb, 0)
        h, w = im.hw
        if ch == h and cw == w:
            return im.wrap(im.a, im.mode)
        top, left, ch, cw = _center_crop_box(h, w, (ch, cw))
    return im.wrap(_crop_array(im, top, left, ch, cw), im.mode)


@_over_batch
def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    im = _Img(img)
    mode = _interpolation(interpolation)
    im.a = np.ascontiguousarray(_crop_array(im, int(top), int(left), int(height), int(width)))
    h, w = im.hw
    new_h, new_w = _output_size(h, w, size, None)
    return im.wrap(_resize_array(im, new_h, new_w, mode, antialias), im.mode)


def _crop_size(size):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return tuple(size)


def five_crop(img, size):
    """(top-left, top-right, bottom-left, bottom-right, center) crops of ``size``."""
    crop_h, crop_w = _crop_size(size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(f"Requested crop size {(crop_h, crop_w)} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, crop_h, crop_w), crop(img, 0, w - crop_w, crop_h, crop_w),
            crop(img, h - crop_h, 0, crop_h, crop_w), crop(img, h - crop_h, w - crop_w, crop_h, crop_w),
            center_crop(img, [crop_h, crop_w]))


def ten_crop(img, size, vertical_flip=False):
    """five_crop of the image, then of its horizontal (or vertical) flip."""
    size = _crop_size(size)
    return five_crop(img, size) + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def convert_image_dtype(image, dtype=np.float32):
    """A tensor image in another dtype with its values rescaled: integers span [0, max of the
    type], floats [0, 1] (torchvision's rules, including which casts it refuses)."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    a, dtype = image.array, np.dtype(dtype)
    if a.dtype == dtype:
        return image
    if a.dtype.kind == "f":
        if dtype.kind == "f":
            return Tensor(a.astype(dtype))
        if (a.dtype == np.float32 and dtype in (np.int32, np.int64)) or (a.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {a.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        top = float(np.iinfo(dtype).max)
        return Tensor((a * a.dtype.type(top + 1.0 - eps)).astype(dtype))
    in_max = int(np.iinfo(a.dtype).max)
    if dtype.kind == "f":
        return Tensor(a.astype(dtype) / dtype.type(in_max))
    out_max = int(np.iinfo(dtype).max)
    if in_max > out_max:
        return Tensor((a // ((in_max + 1) // (out_max + 1))).astype(dtype))
    return Tensor(a.astype(dtype) * dtype.type((out_max + 1) // (in_max + 1)))


@_over_batch
def hflip(img):
    im = _Img(img)
    return im.wrap(im.a[..., ::-1] if im.tensor else im.a[:, ::-1], im.mode)


@_over_batch
def vflip(img):
    im = _Img(img)
    return im.wrap(im.a[:, ::-1] if im.tensor else im.a[::-1], im.mode)


# ------------------------------------------------------------------------------- color
def _float_bound(a):
    return 1.0 if np.issubdtype(a.dtype, np.floating) else 255.0


def _blend(img1, img2, ratio):
    """torchvision's tensor _blend: (ratio * img1 + (1 - ratio) * img2).clamp(0, bound)."""
    bound = _float_bound(img1)
    out = np.clip(np.float32(ratio) * img1 + np.float32(1.0 - ratio) * img2, 0, bound)
    return out.astype(img1.dtype)


def _gray_tensor(a):
    """torchvision's rgb_to_grayscale on a CHW array (keeps 1 channel)."""
    if a.shape[0] == 1:
        return a
    r, g, b = a[0].astype(np.float32), a[1].astype(np.float32), a[2].astype(np.float32)
    l = (0.2989 * r + 0.587 * g + 0.114 * b)
    return l.astype(a.dtype)[None]


def _adjust_u8(im, op, factor):
    if im.channels == 1:
        if op == "hue":
            return im.a
        rgb = np.ascontiguousarray(np.repeat(im.a, 3, axis=2))
        _C.adjust_u8(rgb, _COLOR_OPS[op], float(factor))
        # Pillow works on the L image directly: blend of L values
        return rgb[:, :, :1].copy() if op != "contrast" else _contrast_gray(im.a, factor)
    out = np.array(im.a[:, :, :3], copy=True, order="C")
    _C.adjust_u8(out, _COLOR_OPS[op], float(factor))
    if im.channels == 4:
        out = np.concatenate([out, im.a[:, :, 3:]], axis=2)
    return out


def _contrast_gray(a, factor):
    mean = int(a.mean() + 0.5)
    f = np.float32(factor)
    t = np.float32(mean) + f * (a.astype(np.float32) - np.float32(mean))
    if 0 <= factor <= 1:
        return t.astype(np.uint8)
    return np.clip(t, 0, 255).astype(np.uint8)


@_over_batch
def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    im = _Img(img)
    if im.tensor:
        return im.wrap(_blend(im.a, np.zeros_like(im.a), brightness_factor))
    return im.wrap(_adjust_u8(im, "brightness", brightness_factor), im.mode)


@_over_batch
def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    im = _Img(img)
    if im.tensor:
        a = im.a
        gray = _gray_tensor(a) if a.shape[0] == 3 else a
        mean = np.float32(gray.astype(np.float32).mean())
        return im.wrap(_blend(a, mean, contrast_factor))
    return im.wrap(_adjust_u8(im, "contrast", contrast_factor), im.mode)


@_over_batch
def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    im = _Img(img)
    if im.tensor:
        if im.channels == 1:
            return im.wrap(im.a)
        return im.wrap(_blend(im.a, _gray_tensor(im.a), saturation_factor))
    return im.wrap(_adjust_u8(im, "saturation", saturation_factor), im.mode)


def _rgb2hsv(a):
    r, g, b = a[0], a[1], a[2]
    maxc, minc = a.max(0), a.min(0)
    eqc = maxc == minc
    cr = maxc - minc
    s = cr / np.where(eqc, 1, maxc)
    crd = np.where(eqc, 1, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc]).astype(np.float32)


def _hsv2rgb(a):
    h, s, v = a[0], a[1], a[2]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0, 1)
    q = np.clip(v * (1.0 - s * f), 0, 1)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0, 1)
    choices_r = [v, q, p, p, t, v]
    choices_g = [t, v, v, q, p, p]
    choices_b = [p, p, t, v, v, q]
    return np.stack([np.choose(i, choices_r), np.choose(i, choices_g), np.choose(i, choices_b)]).astype(np.float32)


@_over_batch
def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    im = _Img(img)
    if im.tensor:
        a = im.a
        if a.shape[0] == 1:
            return im.wrap(a)
        x = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
        hsv = _rgb2hsv(x)
        hsv[0] = np.fmod(hsv[0] + np.float32(hue_factor), np.float32(1.0))
        hsv[0] = np.where(hsv[0] < 0, hsv[0] + 1.0, hsv[0])  # torch's % is a floored modulo
        out = _hsv2rgb(hsv)
        if a.dtype == np.uint8:  # torchvision's convert_image_dtype: x * (255 + 1 - 1e-3), truncated
            out = (out * np.float32(255.999)).astype(np.uint8)
        return im.wrap(out.astype(a.dtype))
    return im.wrap(_adjust_u8(im, "hue", hue_factor), im.mode)


@_over_batch
def rgb_to_grayscale(img, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    im = _Img(img)
    if im.tensor:
        g = _gray_tensor(im.a)
        return im.wrap(np.repeat(g, num_output_channels, 0) if num_output_channels == 3 else g)
    if im.channels == 1:
        g = im.a
    else:
        g = _C.rgb_to_gray_u8(np.ascontiguousarray(im.a[:, :, :3]))[:, :, None]
    if num_output_channels == 3:
        return im.wrap(np.repeat(g, 3, axis=2), "RGB")
    return im.wrap(g, "L")


to_grayscale = rgb_to_grayscale


@_over_batch
def adjust_gamma(img, gamma, gain=1):
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    im = _Img(img)
    if im.tensor:
        a = im.a
        x = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a
        out = np.clip(gain * np.power(x, gamma), 0, 1)
        return im.wrap((out * 255).astype(np.uint8) if a.dtype == np.uint8 else out.astype(a.dtype))
    lut = np.array([int((255 + 1 - 1e-3) * gain * pow(e / 255.0, gamma)) for e in range(256)])
    return im.wrap(np.clip(lut, 0, 255).astype(np.uint8)[im.a], im.mode)


@_over_batch
def invert(img):
    im = _Img(img)
    if im.tensor:
        return im.wrap((_float_bound(im.a) - im.a).astype(im.a.dtype))
    return im.wrap(255 - im.a, im.mode)


@_over_batch
def posterize(img, bits):
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    im = _Img(img)
    if im.a.dtype != np.uint8:
        raise TypeError(f"Only uint8 images are supported by posterize, got {im.a.dtype}")
    mask = np.uint8(-int(2 ** (8 - bits)) & 0xFF)
    return im.wrap(im.a & mask, im.mode)


@_over_batch
def solarize(img, threshold):
    im = _Img(img)
    a = im.a
    bound = _float_bound(a)
    return im.wrap(np.where(a >= threshold, (bound - a).astype(a.dtype), a), im.mode)


@_over_batch
def autocontrast(img):
    im = _Img(img)
    a = im.a
    if im.tensor:
        bound = _float_bound(a)
        x = a.astype(np.float32)
        lo = x.min(axis=(1, 2), keepdims=True)
        hi = x.max(axis=(1, 2), keepdims=True)
        eq = lo == hi
        scale = np.where(eq, 1.0, bound / np.where(eq, 1.0, hi - lo))
        lo = np.where(eq, 0.0, lo)
        return im.wrap(np.clip((x - lo) * scale, 0, bound).astype(a.dtype))
    out = np.empty_like(a)
    for c in range(a.shape[2]):  # PIL.ImageOps.autocontrast(cutoff=0)
        ch = a[:, :, c]
        lo, hi = int(ch.min()), int(ch.max())
        if hi <= lo:
            out[:, :, c] = ch
            continue
        scale = 255.0 / (hi - lo)
        offset = -lo * scale
        lut = np.clip(np.arange(256) * scale + offset, 0, 255)
        lut = np.array([int(v) if v >= 0 else 0 for v in (np.arange(256) * scale + offset)])
        out[:, :, c] = np.clip(lut, 0, 255).astype(np.uint8)[ch]
    return im.wrap(out, im.mode)


@_over_batch
def equalize(img):
    """PIL.ImageOps.equalize per channel (tensors: uint8 only, torchvision's algorithm)."""
    im = _Img(img)
    a = im.a
    if a.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {a.dtype}")
    out = np.empty_like(a)
    planes = [a[c] for c in range(a.shape[0])] if im.tensor else [a[:, :, c] for c in range(a.shape[2])]
    for c, ch in enumerate(planes):
        hist = np.bincount(ch.ravel(), minlength=256)
        nonzero = hist[hist != 0]
        step = (nonzero[:-1].sum()) // 255 if len(nonzero) else 0
        if step == 0:
            res = ch
        else:
            n = step // 2
            lut = np.empty(256, dtype=np.int64)
            for i in range(256):
                lut[i] = n // step
                n += hist[i]
            res = np.clip(lut, 0, 255).astype(np.uint8)[ch]
        if im.tensor:
            out[c] = res
        else:
            out[:, :, c] = res
    return im.wrap(out, im.mode)


@_over_batch
def adjust_sharpness(img, sharpness_factor):
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    im = _Img(img)
    a = im.a
    h, w = im.hw
    if h <= 2 or w <= 2:
        return im.wrap(a, im.mode)
    k = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=np.float32) / 13.0
    x = a.astype(np.float32)
    if not im.tensor:
        x = x.transpose(2, 0, 1)
    blurred = x.copy()
    acc = np.zeros_like(x[:, 1:-1, 1:-1])
    for dy in range(3):
        for dx in range(3):
            acc += k[dy, dx] * x[:, dy:dy + h - 2, dx:dx + w - 2]
    if a.dtype == np.uint8:
        acc = np.round(acc) if im.tensor else np.floor(acc + 0.5)
    blurred[:, 1:-1, 1:-1] = acc
    if im.tensor:
        return im.wrap(_blend(a, blurred.astype(a.dtype) if a.dtype != np.uint8 else blurred, sharpness_factor)
                       if a.dtype != np.uint8 else
                       np.clip(np.float32(sharpness_factor) * x + np.float32(1 - sharpness_factor) * blurred, 0, 255).astype(np.uint8))
    deg = blurred.transpose(1, 2, 0)
    f = np.float32(sharpness_factor)
    t = deg + f * (a.astype(np.float32) - deg)
    out = t.astype(np.uint8) if 0 <= sharpness_factor <= 1 else np.clip(t, 0, 255).astype(np.uint8)
    return im.wrap(out, im.mode)


# ------------------------------------------------------------------------- blur, affine, erase
def _gaussian_kernel1d(ksize, sigma):
    half = (ksize - 1) * 0.5
    x = np.linspace(-half, half, ksize, dtype=np.float32)
    pdf = np.exp(-0.5 * (x / np.float32(sigma)) ** 2)
    return (pdf / pdf.sum()).astype(np.float32)


@_over_batch
def gaussian_blur(img, kernel_size, sigma=None):
    """torchvision's gaussian_blur: separable kernel, reflect padding; uint8 results rounded."""
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    kernel_size = list(kernel_size)
    if len(kernel_size) == 1:
        kernel_size = [kernel_size[0]] * 2
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, numbers.Number):
        sigma = [float(sigma), float(sigma)]
    sigma = list(sigma)
    if len(sigma) == 1:
        sigma = [sigma[0]] * 2
    for s in sigma:
        if s <= 0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    im = _Img(img)
    a = im.a
    x = a.astype(np.float32)
    if not im.tensor:
        x = x.transpose(2, 0, 1)
    kx, ky = _gaussian_kernel1d(kernel_size[0], sigma[0]), _gaussian_kernel1d(kernel_size[1], sigma[1])
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    xp = np.pad(x, [(0, 0), (py, py), (px, px)], mode="reflect")
    h, w = x.shape[1:]
    tmp = np.zeros((x.shape[0], h + 2 * py, w), dtype=np.float32)
    for i in range(kernel_size[0]):
        tmp += kx[i] * xp[:, :, i:i + w]
    out = np.zeros_like(x)
    for i in range(kernel_size[1]):
        out += ky[i] * tmp[:, i:i + h, :]
    if a.dtype == np.uint8:
        out = np.clip(np.round(out), 0, 255).astype(np.uint8)
    else:
        out = out.astype(a.dtype)
    return im.wrap(out if im.tensor else out.transpose(1, 2, 0), im.mode)


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """torchvision's _get_inverse_affine_matrix (output -> input pixel map)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [d, -b, 0.0, -c, a, 0.0]
    matrix = [x / scale for x in matrix]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def _warp(im, matrix, out_h, out_w, mode, fill):
    """Samples im at matrix @ (x + 0.5, y + 0.5) for each output pixel (Pillow's convention;
    torchvision's grid_sample with align_corners=False maps the same points). Tensors follow
    grid_sample's zero padding and torchvision's fill blending, PIL images Pillow's filters."""
    a = im.a
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float64) + 0.5
    sx = matrix[0] * xs + matrix[1] * ys + matrix[2]
    sy = matrix[3] * xs + matrix[4] * ys + matrix[5]
    fillv = _fill_values(fill, im.channels, np.float32).astype(np.float32)
    if mode is InterpolationMode.BILINEAR and not im.tensor:
        return _pil_bilinear(a, sx, sy, fillv)
    x = a.astype(np.float32) if im.tensor else a.transpose(2, 0, 1).astype(np.float32)
    C, h, w = x.shape
    if mode is InterpolationMode.BILINEAR:
        fx, fy = sx - 0.5, sy - 0.5
        x0, y0 = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
        tx, ty = (fx - x0).astype(np.float32), (fy - y0).astype(np.float32)
        out = np.zeros((C, out_h, out_w), np.float32)
        wsum = np.zeros((out_h, out_w), np.float32)
        for dy, wy in ((0, 1 - ty), (1, ty)):
            for dx, wx in ((0, 1 - tx), (1, tx)):
                xi, yi = x0 + dx, y0 + dy
                valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
                wgt = wy * wx * valid
                out += x[:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * wgt
                wsum += wgt
        if fill is not None:  # torchvision blends with the sampled coverage, applied twice
            out = out * wsum + fillv[:, None, None] * (1 - wsum)
    else:
        if im.tensor:
            xi, yi = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
        else:
            xi, yi = _pil_nearest_coords(matrix, out_h, out_w, w, h)
        valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out = x[:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        out = np.where(valid, out, fillv[:, None, None])
    if a.dtype == np.uint8:
        out = np.clip(np.round(out) if im.tensor else out + 0.5, 0, 255).astype(np.uint8)
    else:
        out = out.astype(a.dtype)
    return out if im.tensor else out.transpose(1, 2, 0)


def _pil_bilinear(a, sx, sy, fillv):
    """Pillow's bilinear transform filter on an HWC uint8 image, sampled at (sx, sy): double
    math, edge pixels repeated rather than blended with the fill, the result truncated; points
    outside the image get the fill."""
    h, w = a.shape[:2]
    inside = (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
    fx, fy = sx - 0.5, sy - 0.5
    x0, y0 = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    dx, dy = (fx - x0)[..., None], (fy - y0)[..., None]
    xa, xb = np.clip(x0, 0, w - 1), np.clip(x0 + 1, 0, w - 1)
    ya, yb = np.clip(y0, 0, h - 1), np.clip(y0 + 1, 0, h - 1)
    src = a.astype(np.float64)
    v1 = src[ya, xa] + (src[ya, xb] - src[ya, xa]) * dx
    v2 = src[yb, xa] + (src[yb, xb] - src[yb, xa]) * dx
    v2 = np.where(((y0 + 1 >= 0) & (y0 + 1 < h))[..., None], v2, v1)
    value = (v1 + (v2 - v1) * dy).astype(np.uint8)
    return np.where(inside[..., None], value, fillv.astype(np.uint8))


def _pil_nearest_coords(a, out_h, out_w, w, h):
    """Source pixel indices of Pillow's nearest-neighbour affine transform: ImagingScaleAffine
    (positions accumulated in double) for pure scale/translate, else 16.16 fixed point."""
    if a[1] == 0 and a[3] == 0:
        def axis(n, step, start):
            idx = np.empty(n, dtype=np.int64)
            pos = start + step * 0.5
            for k in range(n):
                idx[k] = -1 if pos < 0 else int(pos)
                pos += step
            return idx
        xi, yi = axis(out_w, a[0], a[2]), axis(out_h, a[4], a[5])
        return np.broadcast_to(xi[None, :], (out_h, out_w)), np.broadcast_to(yi[:, None], (out_h, out_w))

    def fix(v):
        return int(math.floor(v * 65536.0 + 0.5))
    a0, a1, a3, a4 = fix(a[0]), fix(a[1]), fix(a[3]), fix(a[4])
    a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5)
    a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5)
    y, x = np.mgrid[0:out_h, 0:out_w].astype(np.int64)
    return (a2 + x * a0 + y * a1) >> 16, (a5 + x * a3 + y * a4) >> 16


@_over_batch
def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    mode = _interpolation(interpolation)
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    im = _Img(img)
    h, w = im.hw
    if center is None:
        center_f = [w * 0.5, h * 0.5]
    else:
        center_f = [float(center[0]), float(center[1])]
    matrix = _inverse_affine_matrix(center_f, angle, [float(t) for t in translate], scale, shear)
    return im.wrap(_warp(im, matrix, h, w, mode, fill), im.mode)


@_over_batch
def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    mode = _interpolation(interpolation)
    im = _Img(img)
    h, w = im.hw
    cx, cy = (w * 0.5, h * 0.5) if center is None else (float(center[0]), float(center[1]))
    rad = -math.radians(angle)
    cos_a, sin_a = round(math.cos(rad), 15), round(math.sin(rad), 15)
    matrix = [cos_a, sin_a, 0.0, -sin_a, cos_a, 0.0]
    matrix[2] = matrix[0] * -cx + matrix[1] * -cy + cx
    matrix[5] = matrix[3] * -cx + matrix[4] * -cy + cy
    out_w, out_h = w, h
    if expand:  # Pillow's Image.rotate(expand=True)
        def fwd(x, y):
            return matrix[0] * x + matrix[1] * y + matrix[2], matrix[3] * x + matrix[4] * y + matrix[5]
        pts = [fwd(x, y) for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out_w = int(math.ceil(max(xs)) - math.floor(min(xs)))
        out_h = int(math.ceil(max(ys)) - math.floor(min(ys)))
        matrix[2], matrix[5] = fwd(-(out_w - w) / 2.0, -(out_h - h) / 2.0)
    return im.wrap(_warp(im, matrix, out_h, out_w, mode, fill), im.mode)


def erase(img, i, j, h, w, v, inplace=False):
    """Sets img[..., i:i+h, j:j+w] = v on a CHW tensor (torchvision's erase)."""
    if not isinstance(img, (Tensor, np.ndarray)):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    a = img.array if isinstance(img, Tensor) else img
    out = a if inplace else a.copy()
    out[..., i:i + h, j:j + w] = np.asarray(v.array if isinstance(v, Tensor) else v, dtype=out.dtype)
    if inplace:
        return img
    return Tensor(out) if isinstance(img, Tensor) else out
