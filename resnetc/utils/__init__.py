"""Utilities: data loading (resnetc.utils.data), TensorBoard logging (resnetc.utils.tensorboard),
hook handles (resnetc.utils.hooks), and torchvision.utils' image grids (make_grid, save_image)."""
import importlib as _importlib

from resnetc.utils.image_grid import make_grid, save_image

__all__ = ["make_grid", "save_image"]


def __getattr__(name):
    if name == "data":  # `resnetc.utils.data` without importing it, as torch.utils.data
        return _importlib.import_module("resnetc.utils.data")
    raise AttributeError(f"module 'resnetc.utils' has no attribute {name!r}")
