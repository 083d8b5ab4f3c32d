"""resnetc: train ResNets on the CPU with torchvision's API, on hand-written C kernels.

Importing resnetc sets two process-wide defaults, before its OpenMP runtime loads:

- ``GOMP_SPINCOUNT=20000`` unless ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` is set: OpenMP
  threads spin only briefly (well under a millisecond) after a kernel, then sleep, so they
  leave the cores to DataLoader threads and Python. (``OMP_WAIT_POLICY=PASSIVE``, no spin,
  made a ResNet50 training step 5-6% slower; set it yourself if you prefer it.) It takes
  effect only if no OpenMP runtime was loaded before resnetc (import resnetc first, or set
  the variable yourself).
- On glibc, freed memory stays with the process (``mallopt``: no trimming of the heap, large
  blocks from the heap rather than from fresh ``mmap``s): a training step allocates and frees
  gigabytes of activations, which the next step then reuses instead of page-faulting fresh
  zeroed pages back in. glibc caps M_MMAP_THRESHOLD at 32 MiB while ResNet50's largest
  activations are ~100 MB, so mmap is turned off (M_MMAP_MAX=0) as well. The process's RSS
  then does not shrink after a large array is freed. ``RESNETC_KEEP_FREED_MEMORY=0`` turns
  this off.
"""
import os as _os

from resnetc._runtime import configure_runtime as _configure_runtime

_configure_runtime()

from resnetc import _C  # noqa: E402  (after the runtime settings above)
from resnetc.tensor import (Tensor, as_array, cat, enable_grad, float32, float64, from_numpy, int64,
                            is_grad_enabled, no_grad, set_grad_enabled, stack, tensor, uint8)
from resnetc.random import arange, empty, manual_seed, ones, rand, randn, zeros
from resnetc._functions import (abs, amax, amin, argmax, argmin, clamp, exp, flatten, log, log_softmax, matmul, max,
                                maximum, mean, min, minimum, sigmoid, softmax, sqrt, squeeze, sum, tanh, topk,
                                unsqueeze)
from resnetc.serialization import load, load_torch_state_dict, save, save_torch_state_dict
from resnetc import cuda  # noqa: E402  (torch.cuda's queries: no GPU)
from resnetc._device import device

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
