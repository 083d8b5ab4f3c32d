"""resnetc: train ResNets on the CPU with torchvision's API, on hand-written C kernels."""
import os as _os

from resnetc import _C
from resnetc.tensor import (Tensor, as_array, cat, enable_grad, float32, float64, from_numpy, int64,
                            is_grad_enabled, no_grad, set_grad_enabled, stack, tensor, uint8)
from resnetc.random import arange, empty, manual_seed, ones, rand, randn, zeros
from resnetc.serialization import load, load_torch_state_dict, save, save_torch_state_dict

__version__ = "0.1.0"

if _os.environ.get("RESNETC_ISA"):
    _C.set_isa(_os.environ["RESNETC_ISA"])


def set_num_threads(n):
    """Threads used by the C kernels (OpenMP)."""
    _C.set_num_threads(int(n))


def get_num_threads():
    return _C.get_num_threads()


def get_isa():
    """The instruction set the kernels use: 'avx512', 'avx2' or 'generic'."""
    return _C.get_isa()


def set_isa(name):
    """Lowers (or restores) the instruction set the kernels use; also set by RESNETC_ISA."""
    _C.set_isa(name)


def supported_isas():
    return _C.supported_isas()
