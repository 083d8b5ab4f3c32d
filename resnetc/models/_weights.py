"""Pretrained weights: a file path, or torchvision's file found in torch's hub cache (never downloaded)."""
import os
import warnings

from resnetc.models.weights import WeightsEnum, weights_enum
from resnetc.serialization import load_torch_state_dict, torchvision_weights_file


def _weights_name(arch, weights):
    """The member name ("IMAGENET1K_V2") of a *_Weights member or of a string naming one, which
    must belong to `arch`'s enum, as torchvision's builders check."""
    enum_class = weights_enum(arch)
    if isinstance(weights, str) and "." in weights and not weights.startswith(enum_class.__name__ + "."):
        raise ValueError(f"Invalid value {weights} for enum {enum_class.__name__}.")
    try:
        return enum_class.verify(weights).name
    except KeyError:
        raise ValueError(f"{arch} has no weights {weights!r}; choose one of "
                         f"{', '.join(enum_class.__members__)}") from None


def resolve_weights(arch, weights):
    """The file behind `weights`: an existing path, else a torchvision weights name or member."""
    if not isinstance(weights, WeightsEnum) and (
            isinstance(weights, os.PathLike) or os.path.exists(str(weights)) or os.sep in str(weights)):
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"weights file not found: {path}")
        return path
    return torchvision_weights_file(arch, _weights_name(arch, weights))


def load_weights(model, arch, weights):
    """Loads a checkpoint into `model`; a classifier of another size keeps its fresh initialisation."""
    state = load_torch_state_dict(resolve_weights(arch, weights))
    checkpoint_fc = state.get("fc.weight")
    if checkpoint_fc is not None and tuple(checkpoint_fc.shape) != tuple(model.fc.weight.shape):
        warnings.warn(f"the checkpoint's fc has {checkpoint_fc.shape[0]} classes and the model "
                      f"{model.fc.weight.shape[0]}: fc keeps its fresh initialisation (fine-tuning)")
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        missing, _ = model.load_state_dict(state, strict=False)
        if any(not k.startswith("fc.") for k in missing):
            raise RuntimeError(f"{arch}: the weights file lacks {[k for k in missing if not k.startswith('fc.')][:5]}")
    else:
        model.load_state_dict(state)
