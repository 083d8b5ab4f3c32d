"""resnetc.utils.make_grid / save_image against torchvision.utils (exact: they only copy and
rescale)."""
import io

import numpy as np
import pytest
import torch
import torchvision.utils as tvu
from PIL import Image

import resnetc
from resnetc.utils import make_grid, save_image


def _images(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(0.5, 0.4, shape).astype(dtype)


@pytest.mark.parametrize("shape", [(5, 3, 7, 9), (8, 1, 4, 4), (1, 3, 5, 5), (3, 6, 6), (1, 6, 6), (6, 6),
                                   (11, 3, 2, 3)])
@pytest.mark.parametrize("options", [{}, {"nrow": 3, "padding": 1, "pad_value": 0.25},
                                     {"normalize": True}, {"normalize": True, "scale_each": True},
                                     {"normalize": True, "value_range": (-0.5, 1.5), "padding": 0}])
def test_make_grid_matches_torchvision(shape, options):
    images = _images(shape)
    ours = make_grid(resnetc.tensor(images), **options)
    theirs = tvu.make_grid(torch.from_numpy(images), **options)
    assert isinstance(ours, resnetc.Tensor)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_make_grid_takes_lists_and_arrays_and_keeps_the_dtype():
    images = [_images((3, 4, 5), seed=s) for s in range(3)]
    theirs = tvu.make_grid([torch.from_numpy(a) for a in images], nrow=2)
    np.testing.assert_array_equal(make_grid([resnetc.tensor(a) for a in images], nrow=2).numpy(), theirs.numpy())
    np.testing.assert_array_equal(make_grid(np.stack(images), nrow=2).numpy(), theirs.numpy())
    pixels = np.random.default_rng(1).integers(0, 256, (4, 3, 5, 5), dtype=np.uint8)
    grid = make_grid(pixels, pad_value=255)
    assert grid.dtype == np.uint8
    np.testing.assert_array_equal(grid.numpy(), tvu.make_grid(torch.from_numpy(pixels), pad_value=255).numpy())
    images[0] = images[0].copy()
    make_grid(images, normalize=True)
    np.testing.assert_array_equal(images[0], _images((3, 4, 5), seed=0))  # input left alone


def test_make_grid_errors():
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got str"):
        make_grid("images")
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(_images((2, 3, 4, 4)), normalize=True, value_range=[0, 1])
    with pytest.raises(ValueError, match=r"got shape \(1, 2, 3, 4, 5\)"):
        make_grid(_images((1, 2, 3, 4, 5)))


@pytest.mark.parametrize("shape", [(6, 3, 8, 10), (3, 9, 7), (1, 5, 5)])
def test_save_image_writes_what_torchvision_writes(tmp_path, shape):
    images = np.clip(_images(shape, seed=3), -0.2, 1.2)  # out-of-range values get clamped
    save_image(resnetc.tensor(images), tmp_path / "ours.png", nrow=4)
    tvu.save_image(torch.from_numpy(images), tmp_path / "theirs.png", nrow=4)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ours.png")),
                                  np.asarray(Image.open(tmp_path / "theirs.png")))
    buffer = io.BytesIO()
    save_image(images, buffer, format="PNG", nrow=4)
    buffer.seek(0)
    np.testing.assert_array_equal(np.asarray(Image.open(buffer)), np.asarray(Image.open(tmp_path / "theirs.png")))
