"""Datasets with torchvision.datasets' names: DatasetFolder and ImageFolder."""
from resnetc.datasets.folder import (IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader, find_classes,
                                     has_file_allowed_extension, is_image_file, make_dataset, pil_loader)
from resnetc.datasets.vision import StandardTransform, VisionDataset

__all__ = ["DatasetFolder", "IMG_EXTENSIONS", "ImageFolder", "StandardTransform", "VisionDataset", "default_loader",
           "find_classes", "has_file_allowed_extension", "is_image_file", "make_dataset", "pil_loader"]
