"""torchvision.models' registry functions over resnetc's builders: list_models, get_model,
get_model_weights."""
import fnmatch

from resnetc.models import resnet
from resnetc.models.weights import weights_enum

_BUILDERS = {name: getattr(resnet, name) for name in (
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
    "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2")}


def list_models(module=None, include=None, exclude=None):
    """Sorted builder names: those of `module` (resnetc.models), filtered by fnmatch patterns (a
    string or a list of them), like torchvision's."""
    names = set(_BUILDERS)
    if module is not None:
        names = {n for n in names if _BUILDERS[n].__module__.rsplit(".", 1)[0] == module.__name__}
    if include is not None:
        patterns = [include] if isinstance(include, str) else include
        names = {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}
    if exclude is not None:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = {n for n in names if not any(fnmatch.fnmatch(n, p) for p in patterns)}
    return sorted(names)


def _builder(name):
    key = name.lower()
    if key not in _BUILDERS:
        raise ValueError(f"Unknown model {name}")
    return _BUILDERS[key]


def get_model(name, **config):
    """The model built by the builder called `name`, e.g. get_model("resnet50", weights="DEFAULT")."""
    return _builder(name)(**config)


def get_model_weights(name):
    """The *_Weights enum of a builder, given as its name or the function itself."""
    if callable(name):
        name = name.__name__
    _builder(name)
    return weights_enum(name.lower())
