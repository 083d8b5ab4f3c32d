"""Pretrained weights: torchvision's files, read from a path or torch's hub cache, never downloaded."""
import os
import warnings

# torchvision's file names per model and weights enum; DEFAULT is the newest recipe.
TORCHVISION_FILES = {
    "resnet18": {"IMAGENET1K_V1": "resnet18-f37072fd.pth"},
    "resnet34": {"IMAGENET1K_V1": "resnet34-b627a593.pth"},
    "resnet50": {"IMAGENET1K_V1": "resnet50-0676ba61.pth", "IMAGENET1K_V2": "resnet50-11ad3fa6.pth"},
    "resnet101": {"IMAGENET1K_V1": "resnet101-63fe2227.pth", "IMAGENET1K_V2": "resnet101-cd907fc2.pth"},
    "resnet152": {"IMAGENET1K_V1": "resnet152-394f9c45.pth", "IMAGENET1K_V2": "resnet152-f82ba261.pth"},
    "resnext50_32x4d": {"IMAGENET1K_V1": "resnext50_32x4d-7cdf4587.pth",
                        "IMAGENET1K_V2": "resnext50_32x4d-1a0047aa.pth"},
    "resnext101_32x8d": {"IMAGENET1K_V1": "resnext101_32x8d-8ba56ff5.pth",
                         "IMAGENET1K_V2": "resnext101_32x8d-110c445d.pth"},
    "resnext101_64x4d": {"IMAGENET1K_V1": "resnext101_64x4d-173b62eb.pth"},
    "wide_resnet50_2": {"IMAGENET1K_V1": "wide_resnet50_2-95faca4d.pth",
                        "IMAGENET1K_V2": "wide_resnet50_2-9ba9bcbe.pth"},
    "wide_resnet101_2": {"IMAGENET1K_V1": "wide_resnet101_2-32ee1156.pth",
                         "IMAGENET1K_V2": "wide_resnet101_2-d733dc28.pth"},
}


def hub_checkpoint_dir():
    """torch.hub's cache: $TORCH_HOME/hub/checkpoints, default ~/.cache/torch/hub/checkpoints."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")
    return os.path.join(torch_home, "hub", "checkpoints")


def resolve_weights(arch, weights):
    """The file behind `weights`: a path, or a torchvision weights name found in the hub cache."""
    if isinstance(weights, os.PathLike) or (isinstance(weights, str) and os.sep in weights) or \
            (isinstance(weights, str) and os.path.exists(weights)):
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"weights file not found: {path}")
        return path
    name = str(weights).split(".")[-1]  # accepts "ResNet50_Weights.IMAGENET1K_V2" too
    files = TORCHVISION_FILES[arch]
    if name == "DEFAULT":
        name = sorted(files)[-1]
    if name not in files:
        raise ValueError(f"unknown weights {weights!r} for {arch}; expected a file path or one of "
                         f"{['DEFAULT', *sorted(files)]}")
    path = os.path.join(hub_checkpoint_dir(), files[name])
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{arch} weights {name} are not in the torch hub cache and resnetc never downloads. "
            f"Put torchvision's file {files[name]} at {path} (download it on a machine with network "
            f"access from https://download.pytorch.org/models/{files[name]}), or pass weights=<path>.")
    return path


def load_weights(model, arch, weights):
    """Loads a checkpoint into `model`; a classifier of another size keeps its fresh initialisation."""
    from resnetc.serialization import load_torch_state_dict

    state = load_torch_state_dict(resolve_weights(arch, weights))
    head = {k: v for k, v in state.items() if k.startswith("fc.")}
    if head and tuple(state["fc.weight"].shape) != tuple(model.fc.weight.shape):
        warnings.warn(f"the checkpoint's fc has {state['fc.weight'].shape[0]} classes and the model "
                      f"{model.fc.weight.shape[0]}: fc keeps its fresh initialisation (fine-tuning)")
        state = {k: v for k, v in state.items() if k not in head}
        model.load_state_dict(state, strict=False)
        missing = [k for k in model.state_dict() if k not in state and not k.startswith("fc.")]
        if missing:
            raise RuntimeError(f"weights file lacks parameters: {missing[:5]}")
    else:
        model.load_state_dict(state)
