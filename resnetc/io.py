"""Reading and writing images (torchvision.io's counterpart, on libjpeg-turbo in C).

An ImageFolder's default loader returns an EncodedImage (the file's bytes, not yet decoded), so
that a transform chain of known ops can decode, crop and resize in one fused C call
(resnetc.transforms.Compose); any other chain decodes it first (:meth:`EncodedImage.decode`).

Arrays: decoded images are NumPy ``uint8`` arrays in HWC layout, ``(height, width, 3)`` for RGB
and ``(height, width, 1)`` for GRAY (torchvision.io returns CHW tensors; use
``resnetc.transforms.functional.pil_to_tensor`` for that layout).

Safety: a JPEG header that declares more than :data:`MAX_IMAGE_PIXELS` pixels is refused before
any pixel memory is allocated (:class:`DecompressionBombError`, as Pillow's), a progressive JPEG
with more than :data:`MAX_JPEG_SCANS` scans is refused, and truncated or corrupt data raises
``ValueError`` naming the file -- libjpeg's habit of filling a truncated image with gray is
turned off. Set either limit to ``None`` to disable it.

Decoding matches Pillow (same libjpeg-turbo IDCT, ISLOW, fancy upsampling): RGB output is
pixel-identical to ``Image.open(f).convert("RGB")``, CMYK/YCCK files are converted with Pillow's
formula (Adobe-inverted CMYK handled), and GRAY output is pixel-identical to Pillow's
``convert("L")`` (torchvision.io.decode_jpeg's GRAY is libjpeg's luma channel instead, which
differs from it by up to ~8 levels). Verified in tests/image/test_jpeg.py.

EXIF orientation is NOT applied by default -- neither torchvision's ImageFolder loader nor
torchvision.io.decode_jpeg applies it -- pass ``apply_exif_orientation=True`` to rotate/flip as
``PIL.ImageOps.exif_transpose`` does.
"""
import enum
import os
import struct

import numpy as np

from resnetc import _C

#: Pillow's DecompressionBombError threshold (2 x Image.MAX_IMAGE_PIXELS). None: no limit.
MAX_IMAGE_PIXELS = 2 * 89_478_485
#: Progressive JPEGs with more scans than this are refused (normal files have ~10). None: no limit.
MAX_JPEG_SCANS = 500


class DecompressionBombError(ValueError):
    """The image declares more pixels than resnetc.io.MAX_IMAGE_PIXELS."""


class ImageReadMode(enum.Enum):
    """torchvision.io.ImageReadMode's names for the modes resnetc decodes to."""
    UNCHANGED = 0
    GRAY = 1
    RGB = 3


_JPEG_MAGIC = b"\xff\xd8\xff"


def _mode_channels(mode):
    if isinstance(mode, ImageReadMode):
        mode = mode.name
    name = str(mode).upper()
    if name in ("RGB", "UNCHANGED"):
        return 3
    if name in ("GRAY", "L"):
        return 1
    raise ValueError(f"mode must be 'RGB' or 'GRAY' (or an ImageReadMode), got {mode!r}")


class EncodedImage:
    """An image file's encoded bytes and the path they came from (for error messages)."""

    __slots__ = ("data", "path")

    def __init__(self, data, path=None):
        self.data = bytes(data)
        self.path = path

    @classmethod
    def from_file(cls, path):
        with open(path, "rb") as f:
            return cls(f.read(), os.fspath(path))

    @property
    def is_jpeg(self):
        return self.data[:3] == _JPEG_MAGIC

    @property
    def size(self):
        """(width, height) from the header alone, as PIL's Image.size."""
        return image_size(self)

    def decode(self, mode="RGB"):
        """The pixels as a uint8 HWC array (JPEG in C, other formats through Pillow)."""
        return read_image(self, mode)

    def __repr__(self):
        return f"EncodedImage(path={self.path!r}, {len(self.data)} bytes)"


def _source(data):
    """(bytes, name for messages) from bytes, a path or an EncodedImage."""
    if isinstance(data, EncodedImage):
        return data.data, data.path or "<bytes>"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "<bytes>"
    if isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1:
        return data.tobytes(), "<bytes>"
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        try:
            with open(path, "rb") as f:
                return f.read(), path
        except OSError as e:
            raise OSError(e.errno, f"cannot read image file {path!r}: {e.strerror}", path) from None
    raise TypeError(f"expected bytes, a path or an EncodedImage, got {type(data).__name__}")


def _limits():
    pixels = MAX_IMAGE_PIXELS if MAX_IMAGE_PIXELS is not None else 0
    scans = MAX_JPEG_SCANS if MAX_JPEG_SCANS is not None else 0
    return int(pixels), int(scans)


def _check_pixels(width, height, name):
    if MAX_IMAGE_PIXELS is not None and width * height > MAX_IMAGE_PIXELS:
        raise DecompressionBombError(
            f"{name}: image size ({width} x {height} = {width * height} pixels) exceeds the limit of "
            f"{MAX_IMAGE_PIXELS} pixels (resnetc.io.MAX_IMAGE_PIXELS); it could be a decompression bomb")


def _jpeg_header(data, name):
    try:
        return _C.jpeg_header(data)
    except ValueError as e:
        raise ValueError(f"{name}: not a valid JPEG: {e}") from None


def decode_jpeg(data, mode="RGB", apply_exif_orientation=False):
    """Decodes JPEG bytes (or a path, or an EncodedImage) to a uint8 (H, W, C) array.

    mode: "RGB" (3 channels) or "GRAY" (1). Grayscale sources are expanded to RGB and CMYK/YCCK
    sources converted as Pillow does. Raises DecompressionBombError above MAX_IMAGE_PIXELS and
    ValueError (naming the file) for truncated, corrupt or non-JPEG data.
    """
    raw, name = _source(data)
    channels = _mode_channels(mode)
    if not raw:
        raise ValueError(f"{name}: cannot decode an empty file (0 bytes)")
    width, height, _, _, _ = _jpeg_header(raw, name)
    _check_pixels(width, height, name)
    max_pixels, max_scans = _limits()
    try:
        image = _C.jpeg_decode(raw, channels, max_pixels, max_scans, 1, None)
    except ValueError as e:
        raise ValueError(f"{name}: cannot decode JPEG: {e}") from None
    if apply_exif_orientation:
        image = apply_orientation(image, exif_orientation(raw))
    return image


def _decode_with_pillow(raw, name, channels):
    try:
        from PIL import Image
    except ImportError:
        raise ValueError(f"{name}: not a JPEG file, and decoding other formats needs Pillow "
                         "(pip install pillow)") from None
    import io as _io
    try:
        with Image.open(_io.BytesIO(raw)) as im:
            _check_pixels(im.width, im.height, name)
            im = im.convert("RGB" if channels == 3 else "L")
            array = np.asarray(im)
    except DecompressionBombError:
        raise
    except Exception as e:  # Pillow raises many types (UnidentifiedImageError, OSError, SyntaxError...)
        raise ValueError(f"{name}: cannot decode image: {e}") from None
    return array.reshape(array.shape[0], array.shape[1], channels)


def read_image(path, mode="RGB", apply_exif_orientation=False):
    """Reads an image file (or bytes, or EncodedImage) to a uint8 (H, W, C) array.

    JPEG goes through libjpeg-turbo in C whatever the file is called; other formats (PNG, ...)
    through Pillow when it is installed, else a clear error.
    """
    raw, name = _source(path)
    channels = _mode_channels(mode)
    if not raw:
        raise ValueError(f"{name}: cannot decode an empty file (0 bytes)")
    if raw[:3] == _JPEG_MAGIC:
        return decode_jpeg(EncodedImage(raw, name), mode, apply_exif_orientation)
    image = _decode_with_pillow(raw, name, channels)
    if apply_exif_orientation:
        image = apply_orientation(image, exif_orientation(raw))
    return image


def decode_to_pil(image):
    """An image file (or bytes, or EncodedImage) as the RGB PIL image torchvision's loader gives,
    decoded by :func:`read_image`; without Pillow installed, the (H, W, 3) uint8 array."""
    array = read_image(image)
    try:
        from PIL import Image
    except ImportError:  # Pillow is optional
        return array
    return Image.fromarray(array, "RGB")


def encode_jpeg(image, quality=75):
    """Encodes a uint8 image to JPEG bytes. image: (H, W, 3) / (H, W, 1) / (H, W) ndarray,
    or a CHW uint8 Tensor (torchvision.io.encode_jpeg's layout)."""
    from resnetc.tensor import Tensor
    if isinstance(image, Tensor):
        array = image.array
        if array.ndim != 3:
            raise ValueError(f"encode_jpeg: a tensor must be (C, H, W), got shape {array.shape}")
        array = np.transpose(array, (1, 2, 0))
    else:
        array = np.asarray(image)
    if array.dtype != np.uint8:
        raise TypeError(f"encode_jpeg: image must have dtype uint8, got {array.dtype}")
    if array.ndim == 2:
        array = array[:, :, None]
    if not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ValueError(f"encode_jpeg: quality must be an int in 1..100, got {quality!r}")
    return _C.jpeg_encode(np.ascontiguousarray(array), int(quality))


def write_jpeg(image, filename, quality=75):
    with open(filename, "wb") as f:
        f.write(encode_jpeg(image, quality))


def image_size(data):
    """(width, height) read from the header only (no pixel is decoded)."""
    raw, name = _source(data)
    if not raw:
        raise ValueError(f"{name}: cannot read the size of an empty file (0 bytes)")
    if raw[:3] == _JPEG_MAGIC:
        width, height, _, _, _ = _jpeg_header(raw, name)
        return width, height
    try:
        from PIL import Image
    except ImportError:
        raise ValueError(f"{name}: not a JPEG file, and other formats need Pillow") from None
    import io as _io
    try:
        with Image.open(_io.BytesIO(raw)) as im:
            return im.size
    except Exception as e:
        raise ValueError(f"{name}: cannot read image header: {e}") from None


def exif_orientation(data):
    """The EXIF Orientation tag (1..8) of JPEG bytes, 1 when absent or unreadable."""
    raw = data if isinstance(data, (bytes, bytearray)) else _source(data)[0]
    pos = 2
    while pos + 4 <= len(raw) and raw[pos] == 0xFF:
        marker = raw[pos + 1]
        if marker in (0xD9, 0xDA):
            break
        length = struct.unpack(">H", raw[pos + 2:pos + 4])[0]
        segment = raw[pos + 4:pos + 2 + length]
        if marker == 0xE1 and segment[:6] == b"Exif\x00\x00":
            return _tiff_orientation(segment[6:])
        pos += 2 + length
    return 1


def _tiff_orientation(tiff):
    try:
        endian = {b"II": "<", b"MM": ">"}[tiff[:2]]
        ifd = struct.unpack(endian + "I", tiff[4:8])[0]
        count = struct.unpack(endian + "H", tiff[ifd:ifd + 2])[0]
        for i in range(count):
            entry = tiff[ifd + 2 + 12 * i: ifd + 14 + 12 * i]
            tag, typ = struct.unpack(endian + "HH", entry[:4])
            if tag == 0x0112 and typ == 3:
                value = struct.unpack(endian + "H", entry[8:10])[0]
                return value if 1 <= value <= 8 else 1
    except (KeyError, struct.error, IndexError):
        pass
    return 1


def apply_orientation(image, orientation):
    """Rotates/flips an HWC array as PIL.ImageOps.exif_transpose does for that orientation."""
    ops = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],                          # FLIP_LEFT_RIGHT
        3: lambda a: a[::-1, ::-1],                       # ROTATE_180
        4: lambda a: a[::-1],                             # FLIP_TOP_BOTTOM
        5: lambda a: np.transpose(a, (1, 0, 2)),          # TRANSPOSE
        6: lambda a: np.transpose(a, (1, 0, 2))[:, ::-1],  # ROTATE_270
        7: lambda a: np.transpose(a, (1, 0, 2))[::-1, ::-1],  # TRANSVERSE
        8: lambda a: np.transpose(a, (1, 0, 2))[::-1],    # ROTATE_90
    }
    return np.ascontiguousarray(ops[orientation](image))
