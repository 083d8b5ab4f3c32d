"""torchvision's pretrained files in the torch hub cache (no network access)."""
import os

_V1, _V2 = "IMAGENET1K_V1", "IMAGENET1K_V2"
#: arch -> weights name -> file name, as in torchvision's ``<Arch>_Weights`` enums
TORCHVISION_WEIGHTS = {
    "resnet18": {_V1: "resnet18-f37072fd.pth"},
    "resnet34": {_V1: "resnet34-b627a593.pth"},
    "resnet50": {_V1: "resnet50-0676ba61.pth", _V2: "resnet50-11ad3fa6.pth"},
    "resnet101": {_V1: "resnet101-63fe2227.pth", _V2: "resnet101-cd907fc2.pth"},
    "resnet152": {_V1: "resnet152-394f9c45.pth", _V2: "resnet152-f82ba261.pth"},
    "resnext50_32x4d": {_V1: "resnext50_32x4d-7cdf4587.pth", _V2: "resnext50_32x4d-1a0047aa.pth"},
    "resnext101_32x8d": {_V1: "resnext101_32x8d-8ba56ff5.pth",
                         _V2: "resnext101_32x8d-110c445d.pth"},
    "resnext101_64x4d": {_V1: "resnext101_64x4d-173b62eb.pth"},
    "wide_resnet50_2": {_V1: "wide_resnet50_2-95faca4d.pth", _V2: "wide_resnet50_2-9ba9bcbe.pth"},
    "wide_resnet101_2": {_V1: "wide_resnet101_2-32ee1156.pth",
                         _V2: "wide_resnet101_2-d733dc28.pth"},
}
WEIGHTS_URL = "https://download.pytorch.org/models/"


def torch_hub_checkpoint_dir():
    """``$TORCH_HOME/hub/checkpoints`` (TORCH_HOME defaults to ``$XDG_CACHE_HOME/torch``, then
    ``~/.cache/torch``), where torch.hub keeps downloaded weights."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "torch")
    return os.path.join(os.path.expanduser(home), "hub", "checkpoints")


def default_weights_name(arch):
    """torchvision's DEFAULT for `arch`: its best weights, IMAGENET1K_V2 where they exist."""
    return _V2 if _V2 in TORCHVISION_WEIGHTS[arch] else _V1


def torchvision_weights_file(arch, weights="DEFAULT"):
    """The path of torchvision's pretrained file for ``arch`` in the torch hub cache.

    ``weights``: 'DEFAULT' (torchvision's best: V2 where it exists), 'IMAGENET1K_V1',
    'IMAGENET1K_V2', or e.g. 'ResNet50_Weights.IMAGENET1K_V2'; ``pretrained=True`` in
    torchvision's old API means 'IMAGENET1K_V1'. There is no download: a missing file raises
    FileNotFoundError saying which file to put where (and its URL)."""
    if arch not in TORCHVISION_WEIGHTS:
        raise ValueError(f"no torchvision weights for {arch!r}; known: "
                         f"{', '.join(TORCHVISION_WEIGHTS)}")
    table = TORCHVISION_WEIGHTS[arch]
    name = str(weights).rsplit(".", 1)[-1]
    if name == "DEFAULT":
        name = default_weights_name(arch)
    if name not in table:
        raise ValueError(f"{arch} has no weights {weights!r}; choose one of "
                         f"{', '.join(['DEFAULT', *table])}")
    folder = torch_hub_checkpoint_dir()
    path = os.path.join(folder, table[name])
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{arch} weights {name} not found: put {table[name]} in {folder} (download "
            f"{WEIGHTS_URL}{table[name]} on a machine with network access, or set TORCH_HOME; "
            f"resnetc never downloads), or pass weights='path/to/file.pth'")
    return path
