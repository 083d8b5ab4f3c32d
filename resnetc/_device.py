"""torch.device for code written for PyTorch: resnetc computes on the CPU, so "cpu" is the one
device; naming another raises at once with a clear message instead of failing later."""
import numpy as np

class device:
    """``resnetc.device("cpu")`` (or "cpu:0"); ``str(d) == "cpu"``."""

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        kind, _, suffix = str(type).partition(":")
        if kind != "cpu":
            raise RuntimeError(f"resnetc computes on the CPU only: device {str(type)!r} is not available "
                               f"(resnetc.cuda.is_available() is False)")
        self.type = "cpu"
        self.index = int(suffix) if suffix else index

    def __repr__(self):
        return "device(type='cpu')" if self.index is None else f"device(type='cpu', index={self.index})"

    def __str__(self):
        return "cpu" if self.index is None else f"cpu:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


def is_device_like(obj):
    """Whether a positional argument of .to() names a device rather than a dtype: a device, or a
    string that is not a NumPy dtype name ("cpu", "cuda:0", "hpu"...)."""
    if isinstance(obj, device):
        return True
    if not isinstance(obj, str):
        return False
    try:
        np.dtype(obj)
    except TypeError:
        return True
    return False


def parse_to(args, kwargs, current_dtype):
    """(dtype, copy) that torch's ``.to(...)`` arguments ask for (dtype None: unchanged), after
    checking that any device they name is the CPU. Accepts .to(dtype), .to(device),
    .to(device, dtype), .to(tensor), torch's positional non_blocking and copy after those, and
    the keywords device, dtype, non_blocking, copy."""
    kwargs = dict(kwargs)
    kwargs.pop("non_blocking", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("memory_format", None)
    dtype = kwargs.pop("dtype", None)
    if kwargs.get("device") is not None:
        device(kwargs.pop("device"))
    kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    flags = [arg for arg in args if isinstance(arg, bool)]  # positional (non_blocking, copy)
    if len(flags) > 1:
        copy = copy or flags[1]
    for arg in args:
        if isinstance(arg, bool):
            continue
        if is_device_like(arg):
            device(arg)
        elif not isinstance(arg, (type, np.dtype)) and hasattr(arg, "dtype") and hasattr(arg, "shape"):
            dtype = arg.dtype  # .to(other_tensor): its dtype
        else:
            dtype = arg
    return (None if dtype is None or np.dtype(dtype) == current_dtype else np.dtype(dtype)), copy
