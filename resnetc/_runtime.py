"""Process-wide runtime settings applied when resnetc is imported (see resnetc's docstring)."""
import ctypes
import ctypes.util
import os
import platform

# glibc's mallopt parameters (malloc.h) and the values set.
_SETTINGS = (
    (-3, 32 << 20),  # M_MMAP_THRESHOLD: its maximum on 64-bit (fixed, no longer adaptive)
    (-4, 0),         # M_MMAP_MAX: no mmap'd blocks, so the ~100 MB ones come from the heap too
    (-1, -1),        # M_TRIM_THRESHOLD: -1 never gives the heap's top back (man mallopt)
)


def keep_freed_memory():
    """Asks glibc to reuse freed blocks instead of returning them to the OS. Returns whether
    every setting was accepted (False off glibc)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    accepted = [mallopt(param, value) == 1 for param, value in _SETTINGS]
    return all(accepted)


def configure_runtime():
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if os.environ.get("RESNETC_KEEP_FREED_MEMORY", "1") != "0":
        keep_freed_memory()
