"""torch.use_deterministic_algorithms: resnetc's kernels are deterministic already (fixed
reduction orders), so the flag is recorded and reported, and changes nothing."""
_state = {"enabled": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    _state["enabled"], _state["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["enabled"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]
