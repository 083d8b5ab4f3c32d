"""Parameter groups with their own weight decay, as torchvision's classification recipe builds them.

Decaying the scale and shift of normalization layers, and biases, brings no regularisation
benefit and hurts accuracy a little, so recipes give them weight_decay 0 (torchvision:
--norm-weight-decay 0.0 --bias-weight-decay 0.0).
"""
__all__ = ["set_weight_decay", "param_groups_no_weight_decay"]


def _default_norm_classes():
    from resnetc import nn

    names = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d",
             "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm", "SyncBatchNorm")
    return tuple(getattr(nn, name) for name in names if hasattr(nn, name))


def set_weight_decay(model, weight_decay, norm_weight_decay=None, norm_classes=None, custom_keys_weight_decay=None):
    """Splits model's trainable parameters into groups with their own weight_decay.

    Same contract as torchvision's references/classification/utils.py:set_weight_decay:
      * parameters of modules that are instances of `norm_classes` (default: resnetc.nn's
        normalization layers) go to a group with `norm_weight_decay`, when it is not None;
      * `custom_keys_weight_decay` is a list of (name, weight_decay): a parameter whose name
        (e.g. "bias", or a dotted full name such as "fc.weight") matches goes to that group;
      * everything else gets `weight_decay`.
    Frozen parameters (requires_grad False) are left out. Empty groups are dropped. Returns a
    list of {"params": [...], "weight_decay": value} dicts for any optimizer.
    """
    norm_classes = tuple(norm_classes) if norm_classes else _default_norm_classes()
    params = {"other": [], "norm": []}
    decays = {"other": weight_decay, "norm": norm_weight_decay}
    custom_keys = []
    for key, decay in custom_keys_weight_decay or []:
        params[key] = []
        decays[key] = decay
        custom_keys.append(key)

    def add(module, prefix):
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            for key in custom_keys:
                target = f"{prefix}.{name}" if prefix != "" and "." in key else name
                if key == target:
                    params[key].append(p)
                    break
            else:
                is_norm = norm_weight_decay is not None and isinstance(module, norm_classes)
                params["norm" if is_norm else "other"].append(p)
        for child_name, child in module.named_children():
            add(child, f"{prefix}.{child_name}" if prefix != "" else child_name)

    add(model, "")
    return [{"params": params[key], "weight_decay": decays[key]} for key in params if params[key]]


def param_groups_no_weight_decay(model, weight_decay, norm_weight_decay=0.0, bias_weight_decay=0.0):
    """Two-or-three groups: weights with weight_decay; normalization parameters and biases without."""
    return set_weight_decay(model, weight_decay, norm_weight_decay=norm_weight_decay,
                            custom_keys_weight_decay=[("bias", bias_weight_decay)])
