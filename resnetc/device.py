"""torch.device for code written for PyTorch: resnetc computes on the CPU, so "cpu" is the one
device; naming another raises at once with a clear message instead of failing later."""
import numpy as np

_OTHER_DEVICES = ("cuda", "mps", "xpu", "xla", "hip", "meta", "npu", "privateuseone")


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
    """Whether a positional argument of .to() names a device rather than a dtype."""
    return isinstance(obj, device) or (isinstance(obj, str) and obj.partition(":")[0] in ("cpu",) + _OTHER_DEVICES)


def parse_to(args, kwargs, current_dtype):
    """The dtype that torch's ``.to(...)`` arguments ask for (None: unchanged), after checking
    that any device they name is the CPU. Accepts .to(dtype), .to(device), .to(device, dtype),
    .to(tensor) and the keywords device, dtype, non_blocking, copy."""
    kwargs = dict(kwargs)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    kwargs.pop("memory_format", None)
    dtype = kwargs.pop("dtype", None)
    if kwargs.get("device") is not None:
        device(kwargs.pop("device"))
    kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if is_device_like(arg):
            device(arg)
        elif not isinstance(arg, (type, np.dtype)) and hasattr(arg, "dtype") and hasattr(arg, "shape"):
            dtype = arg.dtype  # .to(other_tensor): its dtype
        elif isinstance(arg, bool):  # torch's positional non_blocking / copy
            continue
        else:
            dtype = arg
    return None if dtype is None or np.dtype(dtype) == current_dtype else np.dtype(dtype)
