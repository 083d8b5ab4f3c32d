"""resnetc.io against Pillow (same libjpeg-turbo IDCT): decoding is pixel-identical."""
import io
import threading
import time

import numpy as np
import pytest
from PIL import Image, ImageOps

import resnetc.io as rio
from resnetc import _C
from resnetc.tensor import Tensor

from samples.images import jpeg_bytes, photo_like


def pillow_decode(data, mode="RGB"):
    return np.asarray(Image.open(io.BytesIO(data)).convert(mode))


@pytest.mark.parametrize("save_args", [
    dict(quality=90), dict(quality=75, progressive=True), dict(quality=95, subsampling=0),
    dict(quality=85, subsampling=1), dict(quality=30, optimize=True)], ids=str)
def test_decode_matches_pillow(photo, save_args):
    data = jpeg_bytes(photo, **save_args)
    out = rio.decode_jpeg(data)
    assert out.dtype == np.uint8 and out.shape == (375, 500, 3)
    np.testing.assert_array_equal(out, pillow_decode(data))
    gray = rio.decode_jpeg(data, mode="GRAY")
    assert gray.shape == (375, 500, 1)
    np.testing.assert_array_equal(gray[:, :, 0], pillow_decode(data, "L"))


def test_grayscale_and_cmyk_sources(photo):
    gray_file = jpeg_bytes(photo, mode="L", quality=90)
    np.testing.assert_array_equal(rio.decode_jpeg(gray_file), pillow_decode(gray_file))
    np.testing.assert_array_equal(rio.decode_jpeg(gray_file, "GRAY")[:, :, 0], pillow_decode(gray_file, "L"))
    cmyk_file = jpeg_bytes(photo, mode="CMYK", quality=90)
    assert Image.open(io.BytesIO(cmyk_file)).mode == "CMYK"
    np.testing.assert_array_equal(rio.decode_jpeg(cmyk_file), pillow_decode(cmyk_file))
    np.testing.assert_array_equal(rio.decode_jpeg(cmyk_file, "GRAY")[:, :, 0], pillow_decode(cmyk_file, "L"))


def test_odd_sizes_and_tiny_images():
    for h, w in [(1, 1), (1, 17), (33, 1), (17, 31)]:
        data = jpeg_bytes(photo_like(h, w, seed=h), quality=90)
        np.testing.assert_array_equal(rio.decode_jpeg(data), pillow_decode(data))


@pytest.mark.parametrize("progressive", [False, True])
def test_region_decode_equals_full_decode(photo, progressive):
    data = jpeg_bytes(photo, quality=90, progressive=progressive)
    full = rio.decode_jpeg(data)
    rng = np.random.default_rng(1)
    for _ in range(60):
        x, y = int(rng.integers(0, 500)), int(rng.integers(0, 375))
        w, h = int(rng.integers(1, 501 - x)), int(rng.integers(1, 376 - y))
        part = _C.jpeg_decode(data, 3, 0, 0, 1, (x, y, w, h))
        np.testing.assert_array_equal(part, full[y:y + h, x:x + w], err_msg=str((x, y, w, h)))


@pytest.mark.parametrize("denom", [2, 4, 8])
def test_dct_scaled_decode_matches_pillow_draft(photo, denom):
    data = jpeg_bytes(photo, quality=90)
    out = _C.jpeg_decode(data, 3, 0, 0, denom, None)
    assert out.shape == (-(-375 // denom), -(-500 // denom), 3)
    im = Image.open(io.BytesIO(data))
    im.draft("RGB", (500 // denom, 375 // denom))
    np.testing.assert_array_equal(out, np.asarray(im.convert("RGB")))


def test_path_bytes_and_encoded_inputs(tmp_path, photo):
    data = jpeg_bytes(photo, quality=90)
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    ref = pillow_decode(data)
    for source in (data, bytearray(data), str(path), path, rio.EncodedImage.from_file(path)):
        np.testing.assert_array_equal(rio.decode_jpeg(source), ref)
        np.testing.assert_array_equal(rio.read_image(source), ref)
    assert rio.image_size(path) == (500, 375)
    assert rio.EncodedImage.from_file(path).size == (500, 375)


def test_png_through_pillow(tmp_path, photo):
    path = tmp_path / "b.png"
    Image.fromarray(photo).save(path)
    np.testing.assert_array_equal(rio.read_image(path), photo)
    assert rio.image_size(path) == (500, 375)
    assert rio.read_image(path, "GRAY").shape == (375, 500, 1)


def test_encode_roundtrip(photo):
    data = rio.encode_jpeg(photo, quality=95)
    assert data[:3] == b"\xff\xd8\xff"
    back = pillow_decode(data)
    ours = np.abs(back.astype(int) - photo).mean()
    pillows = np.abs(pillow_decode(jpeg_bytes(photo, quality=95)).astype(int) - photo).mean()
    assert ours < 1.2 * pillows + 0.5  # same quality tables and 4:2:0 subsampling as Pillow
    np.testing.assert_array_equal(rio.decode_jpeg(data), back)
    gray = rio.encode_jpeg(photo[:, :, 0], quality=90)
    assert Image.open(io.BytesIO(gray)).mode == "L"
    chw = rio.encode_jpeg(Tensor(np.ascontiguousarray(photo.transpose(2, 0, 1))), quality=95)
    assert chw == data
    assert len(rio.encode_jpeg(photo, quality=20)) < len(data)


def test_encode_bad_arguments(photo):
    with pytest.raises(ValueError, match="quality must be an int in 1..100, got 0"):
        rio.encode_jpeg(photo, quality=0)
    with pytest.raises(TypeError, match="dtype uint8, got float32"):
        rio.encode_jpeg(photo.astype(np.float32))
    with pytest.raises(ValueError, match="1 or 3 channels, got 2"):
        rio.encode_jpeg(photo[:, :, :2].copy())


def test_exif_orientation(photo):
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        buf = io.BytesIO()
        Image.fromarray(photo[:120, :160]).save(buf, "JPEG", quality=90, exif=exif.tobytes())
        data = buf.getvalue()
        assert rio.exif_orientation(data) == orientation
        expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
        np.testing.assert_array_equal(rio.decode_jpeg(data, apply_exif_orientation=True), expected)
        assert rio.decode_jpeg(data).shape == (120, 160, 3)  # not applied by default


# ----------------------------------------------------------------------------- bad input
def test_truncated_jpeg_names_the_file(tmp_path, photo):
    data = jpeg_bytes(photo, quality=90)
    for cut in (len(data) // 2, len(data) - 10, 700):
        path = tmp_path / f"cut{cut}.jpg"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=rf"cut{cut}\.jpg.*(truncated|premature)"):
            rio.read_image(path)
    progressive = jpeg_bytes(photo, quality=90, progressive=True)
    path = tmp_path / "prog.jpg"
    path.write_bytes(progressive[:len(progressive) // 2])
    with pytest.raises(ValueError, match=r"prog\.jpg.*(truncated|premature)"):
        rio.decode_jpeg(path)


def test_zero_byte_text_and_png_named_jpg(tmp_path, photo):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.jpg: cannot decode an empty file \(0 bytes\)"):
        rio.read_image(empty)
    with pytest.raises(ValueError, match=r"empty\.jpg"):
        rio.decode_jpeg(empty)
    text = tmp_path / "notes.jpg"
    text.write_text("this is not an image\n" * 10)
    with pytest.raises(ValueError, match=r"notes\.jpg: cannot decode image"):
        rio.read_image(text)
    with pytest.raises(ValueError, match=r"notes\.jpg: not a valid JPEG"):
        rio.decode_jpeg(text)
    png = tmp_path / "really_png.jpg"
    Image.fromarray(photo).save(png, format="PNG")
    np.testing.assert_array_equal(rio.read_image(png), photo)  # right image, whatever the name
    with pytest.raises(ValueError, match=r"really_png\.jpg: not a valid JPEG"):
        rio.decode_jpeg(png)
    with pytest.raises(OSError, match="missing.jpg"):
        rio.read_image(tmp_path / "missing.jpg")


def _with_declared_size(data, width, height):
    """Rewrites the SOF marker's dimensions (the header then lies about the size)."""
    b = bytearray(data)
    i = 2
    while True:
        marker, length = b[i + 1], int.from_bytes(b[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            b[i + 5:i + 7] = height.to_bytes(2, "big")
            b[i + 7:i + 9] = width.to_bytes(2, "big")
            return bytes(b)
        i += 2 + length


def test_huge_declared_size_refused_before_allocating(tmp_path, photo, monkeypatch):
    bomb = _with_declared_size(jpeg_bytes(photo[:16, :16], quality=90), 65000, 65000)
    path = tmp_path / "bomb.jpg"
    path.write_bytes(bomb)
    assert rio.image_size(path) == (65000, 65000)
    start = time.perf_counter()
    with pytest.raises(rio.DecompressionBombError, match=r"bomb\.jpg: image size \(65000 x 65000 = 4225000000 pixels\) exceeds"):
        rio.read_image(path)
    assert time.perf_counter() - start < 0.5
    # the C layer enforces it too, whatever the Python caller does
    with pytest.raises(ValueError, match="exceeds the limit of 1000 pixels"):
        _C.jpeg_decode(jpeg_bytes(photo, quality=90), 3, 1000, 0, 1, None)
    monkeypatch.setattr(rio, "MAX_IMAGE_PIXELS", 100 * 100)
    with pytest.raises(rio.DecompressionBombError, match="limit of 10000 pixels"):
        rio.decode_jpeg(jpeg_bytes(photo, quality=90))
    monkeypatch.setattr(rio, "MAX_IMAGE_PIXELS", None)
    assert rio.decode_jpeg(jpeg_bytes(photo[:50], quality=90)).shape == (50, 500, 3)


def test_scan_limit(tmp_path, photo, monkeypatch):
    data = jpeg_bytes(photo, quality=90, progressive=True)
    monkeypatch.setattr(rio, "MAX_JPEG_SCANS", 3)
    path = tmp_path / "scans.jpg"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"scans\.jpg.*more than 3 scans \(the scan limit\)"):
        rio.read_image(path)
    monkeypatch.setattr(rio, "MAX_JPEG_SCANS", 500)
    np.testing.assert_array_equal(rio.read_image(path), pillow_decode(data))


def test_thousands_of_scans_fail_fast(tmp_path, photo):
    """A progressive file whose last scan is repeated 5000 times: refused, quickly."""
    data = jpeg_bytes(photo[:64, :64], quality=90, progressive=True)
    last_sos = data.rfind(b"\xff\xda")
    scan = data[last_sos:-2]
    evil = data[:-2] + scan * 5000 + b"\xff\xd9"
    path = tmp_path / "many_scans.jpg"
    path.write_bytes(evil)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"many_scans\.jpg"):
        rio.read_image(path)
    assert time.perf_counter() - start < 2.0


def test_corrupt_entropy_data_is_an_error(photo):
    data = bytearray(jpeg_bytes(photo, quality=90))
    sos = data.find(b"\xff\xda")
    rng = np.random.default_rng(0)
    for pos in rng.integers(sos + 20, len(data) - 2, size=40):
        data[pos] = 0xFF  # inject markers into the scan
    data[-100:-2] = b"\xff\xd0" * 49
    with pytest.raises(ValueError, match="<bytes>: cannot decode JPEG"):
        rio.decode_jpeg(bytes(data))


def test_bad_mode_and_types(photo):
    data = jpeg_bytes(photo, quality=90)
    with pytest.raises(ValueError, match="mode must be 'RGB' or 'GRAY'"):
        rio.decode_jpeg(data, mode="CMYK")
    with pytest.raises(TypeError, match="expected bytes, a path or an EncodedImage, got int"):
        rio.decode_jpeg(3)


def test_threads_decode_concurrently(photo):
    files = [jpeg_bytes(photo_like(200, 300, seed=s), quality=90) for s in range(4)]
    expected = [pillow_decode(f) for f in files]
    errors = []

    def work(k):
        for _ in range(5):
            if not np.array_equal(rio.decode_jpeg(files[k]), expected[k]):
                errors.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_mutated_files_never_crash():
    """Random byte flips, truncations and overwrites: a decoded image or a ValueError, never a
    crash or another exception (also through the fused transform path)."""
    import resnetc.transforms as T
    rng = np.random.default_rng(0)
    bases = [jpeg_bytes(photo_like(40, 56, seed=1), quality=90),
             jpeg_bytes(photo_like(40, 56, seed=2), quality=80, progressive=True),
             jpeg_bytes(photo_like(40, 56, seed=3), mode="CMYK", quality=90)]
    chain = T.Compose([T.RandomResizedCrop(24), T.ColorJitter(0.2, 0.2, 0.2, 0.2), T.ToTensor()])
    for it in range(600):
        data = bytearray(bases[it % 3])
        if it % 3 == 0:
            for _ in range(int(rng.integers(1, 6))):
                data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
        elif it % 3 == 1:
            data = data[:int(rng.integers(0, len(data)))]
        else:
            i = int(rng.integers(2, len(data) - 4))
            data[i:i + 4] = rng.integers(0, 256, 4).astype(np.uint8).tobytes()
        for fn in (lambda: rio.decode_jpeg(bytes(data)), lambda: chain(rio.EncodedImage(bytes(data), "m.jpg"))):
            try:
                with T.sample_generator(np.random.default_rng(it)):
                    out = fn()
                assert out is not None
            except ValueError:
                pass
