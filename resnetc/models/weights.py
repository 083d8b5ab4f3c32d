"""torchvision's pretrained-weights enums (``ResNet50_Weights.IMAGENET1K_V2``, ``.DEFAULT``):
each member names torchvision's file (looked up in torch's hub cache, never downloaded), the
preprocessing it expects (``.transforms()``) and its metadata (``.meta["categories"]``,
accuracy, size). Pass a member, its name, or a file path as ``weights=`` to a model builder."""
import enum
import functools
import os
from dataclasses import dataclass

from resnetc.serialization import load_torch_state_dict
from resnetc.serialization.hub import TORCHVISION_WEIGHTS, WEIGHTS_URL, default_weights_name, torchvision_weights_file

__all__ = ["Weights", "WeightsEnum", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights",
           "ResNet101_Weights", "ResNet152_Weights", "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights",
           "ResNeXt101_64X4D_Weights", "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights", "get_weight",
           "weights_enum"]


def _read_imagenet_categories():
    with open(os.path.join(os.path.dirname(__file__), "imagenet_categories.txt"), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


_IMAGENET_CATEGORIES = _read_imagenet_categories()


@dataclass(frozen=True, eq=False)
class Weights:
    url: str
    transforms: functools.partial
    meta: dict


class WeightsEnum(enum.Enum):
    """Base of the *_Weights enums: members forward url, transforms and meta to their Weights."""

    @classmethod
    def verify(cls, obj):
        """A member of this enum from a member, its name ("IMAGENET1K_V2", "ResNet50_Weights.DEFAULT")
        or None, as torchvision's builders check their weights argument."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            return cls[obj.replace(cls.__name__ + ".", "")]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{type(obj).__name__}.")

    def get_state_dict(self, *args, **kwargs):
        """The weights as a state_dict of ndarrays, read from torch's hub cache (never downloaded)."""
        arch = next(name for name, enum_class in _ENUMS.items() if enum_class is type(self))
        return load_torch_state_dict(torchvision_weights_file(arch, self.name))

    def __reduce_ex__(self, protocol):
        # Pickled by name: the value (a Weights) compares by identity, so by-value lookup would fail.
        return getattr, (type(self), self.name)

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta

    def __repr__(self):
        return f"{type(self).__name__}.{self.name}"


# arch -> (enum name, parameter count, {weights name: (resize_size, acc@1, acc@5, GFLOPs, file MB, recipe)}),
# as published with torchvision's weights.
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification"
_NEW = "https://github.com/pytorch/vision/issues/3995"
_TABLE = {
    "resnet18": ("ResNet18_Weights", 11689512, {
        "IMAGENET1K_V1": (256, 69.758, 89.078, 1.814, 44.661, _RECIPE + "#resnet")}),
    "resnet34": ("ResNet34_Weights", 21797672, {
        "IMAGENET1K_V1": (256, 73.314, 91.42, 3.664, 83.275, _RECIPE + "#resnet")}),
    "resnet50": ("ResNet50_Weights", 25557032, {
        "IMAGENET1K_V1": (256, 76.13, 92.862, 4.089, 97.781, _RECIPE + "#resnet"),
        "IMAGENET1K_V2": (232, 80.858, 95.434, 4.089, 97.79, _NEW + "#issuecomment-1013906621")}),
    "resnet101": ("ResNet101_Weights", 44549160, {
        "IMAGENET1K_V1": (256, 77.374, 93.546, 7.801, 170.511, _RECIPE + "#resnet"),
        "IMAGENET1K_V2": (232, 81.886, 95.78, 7.801, 170.53, _NEW + "#new-recipe")}),
    "resnet152": ("ResNet152_Weights", 60192808, {
        "IMAGENET1K_V1": (256, 78.312, 94.046, 11.514, 230.434, _RECIPE + "#resnet"),
        "IMAGENET1K_V2": (232, 82.284, 96.002, 11.514, 230.474, _NEW + "#new-recipe")}),
    "resnext50_32x4d": ("ResNeXt50_32X4D_Weights", 25028904, {
        "IMAGENET1K_V1": (256, 77.618, 93.698, 4.23, 95.789, _RECIPE + "#resnext"),
        "IMAGENET1K_V2": (232, 81.198, 95.34, 4.23, 95.833, _NEW + "#new-recipe")}),
    "resnext101_32x8d": ("ResNeXt101_32X8D_Weights", 88791336, {
        "IMAGENET1K_V1": (256, 79.312, 94.526, 16.414, 339.586, _RECIPE + "#resnext"),
        "IMAGENET1K_V2": (232, 82.834, 96.228, 16.414, 339.673, _NEW + "#new-recipe-with-fixres")}),
    "resnext101_64x4d": ("ResNeXt101_64X4D_Weights", 83455272, {
        "IMAGENET1K_V1": (232, 83.246, 96.454, 15.46, 319.318, "https://github.com/pytorch/vision/pull/5935")}),
    "wide_resnet50_2": ("Wide_ResNet50_2_Weights", 68883240, {
        "IMAGENET1K_V1": (256, 78.468, 94.086, 11.398, 131.82, "https://github.com/pytorch/vision/pull/912#issue-445437439"),
        "IMAGENET1K_V2": (232, 81.602, 95.758, 11.398, 263.124, _NEW + "#new-recipe-with-fixres")}),
    "wide_resnet101_2": ("Wide_ResNet101_2_Weights", 126886696, {
        "IMAGENET1K_V1": (256, 78.848, 94.284, 22.753, 242.896, "https://github.com/pytorch/vision/pull/912#issue-445437439"),
        "IMAGENET1K_V2": (232, 82.51, 96.02, 22.753, 484.747, _NEW + "#new-recipe")}),
}


def _image_classification(**kwargs):
    """The weights' preprocessing; resnetc.transforms (and Pillow) load on first use, not with the models."""
    from resnetc.transforms._presets import ImageClassification
    return ImageClassification(**kwargs)


def _members(arch):
    _, num_params, table = _TABLE[arch]
    members = {}
    for name, (resize, acc1, acc5, gflops, megabytes, recipe) in table.items():
        meta = dict(categories=_IMAGENET_CATEGORIES, num_params=num_params, min_size=(1, 1), recipe=recipe,
                    _metrics={"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, _ops=gflops, _file_size=megabytes)
        transforms = functools.partial(_image_classification, crop_size=224,
                                       **({} if resize == 256 else {"resize_size": resize}))
        members[name] = Weights(WEIGHTS_URL + TORCHVISION_WEIGHTS[arch][name], transforms, meta)
    members["DEFAULT"] = members[default_weights_name(arch)]  # an alias
    return members


_ENUMS = {arch: WeightsEnum(name, _members(arch), module=__name__) for arch, (name, _, _) in _TABLE.items()}
ResNet18_Weights = _ENUMS["resnet18"]
ResNet34_Weights = _ENUMS["resnet34"]
ResNet50_Weights = _ENUMS["resnet50"]
ResNet101_Weights = _ENUMS["resnet101"]
ResNet152_Weights = _ENUMS["resnet152"]
ResNeXt50_32X4D_Weights = _ENUMS["resnext50_32x4d"]
ResNeXt101_32X8D_Weights = _ENUMS["resnext101_32x8d"]
ResNeXt101_64X4D_Weights = _ENUMS["resnext101_64x4d"]
Wide_ResNet50_2_Weights = _ENUMS["wide_resnet50_2"]
Wide_ResNet101_2_Weights = _ENUMS["wide_resnet101_2"]


def weights_enum(arch):
    """The *_Weights enum of a model builder's name, e.g. ResNet50_Weights for "resnet50"."""
    if arch not in _ENUMS:
        raise ValueError(f"no pretrained weights for {arch!r}; known: {', '.join(_ENUMS)}")
    return _ENUMS[arch]


def get_weight(name):
    """The member named like "ResNet50_Weights.IMAGENET1K_V2" (or ".DEFAULT")."""
    enum_name, _, member = str(name).partition(".")
    for enum_class in _ENUMS.values():
        if enum_class.__name__ == enum_name and member in enum_class.__members__:
            return enum_class.__members__[member]
    raise ValueError(f"unknown weights {name!r}; expected e.g. 'ResNet50_Weights.IMAGENET1K_V2'")
