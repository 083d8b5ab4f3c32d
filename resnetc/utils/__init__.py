"""Utilities: data loading (resnetc.utils.data), TensorBoard logging (resnetc.utils.tensorboard),
and torchvision.utils' image grids (make_grid, save_image)."""
from resnetc.utils.image_grid import make_grid, save_image

__all__ = ["make_grid", "save_image"]
