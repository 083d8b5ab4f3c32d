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


# libgomp's spin before a waiting thread sleeps: ~20k polls (well under a millisecond) cover the
# gaps between back-to-back kernels, then the core is free for DataLoader threads and Python.
# (OMP_WAIT_POLICY=PASSIVE, no spin at all, measured 5-6% slower per ResNet50 training step;
# libgomp's default, 300k polls, is as fast but keeps the core busy 15x longer.)
_SPIN_COUNT = "20000"


def configure_runtime():
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = _SPIN_COUNT
    if os.environ.get("RESNETC_KEEP_FREED_MEMORY", "1") != "0":
        keep_freed_memory()
