"""Fixtures of the data tests: a class-per-folder tree (samples/folders.py) and a small JPEG."""
import numpy as np
import pytest

from samples.folders import make_tree


@pytest.fixture
def tree(tmp_path):
    return make_tree(str(tmp_path / "tree"))


@pytest.fixture
def photo_bytes():
    from PIL import Image
    import io
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()
