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
import builtins as _builtins
import importlib as _importlib
import os as _os

from resnetc._runtime import configure_runtime as _configure_runtime

_configure_runtime()

import numpy as _np  # noqa: E402

from resnetc import _C  # noqa: E402  (after the runtime settings above)
from resnetc.tensor import (Tensor, add, as_array, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, cat, div,  # noqa: E402
                            enable_grad, eq, floor_divide, from_numpy, ge, gt, inference_mode, is_grad_enabled, le,
                            lt, mul, ne, neg, no_grad, pow, remainder, set_grad_enabled, stack, sub, tensor)
from resnetc._dtypes import (bool, double, float, float16, float32, float64, half, int, int8, int16,  # noqa: E402
                             int32, int64, long, short, uint8)
from resnetc.random import (Generator, arange, empty, empty_like, eye, full, full_like, initial_seed,  # noqa: E402
                            linspace, manual_seed, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                            randn_like, randperm, seed, zeros, zeros_like)
from resnetc._functions import (FloatTensor, DoubleTensor, LongTensor, IntTensor, BoolTensor, ByteTensor,  # noqa: E402
                                Size, abs, amax, amin, argmax, argmin, as_tensor, clamp, clip, exp, flatten,
                                get_default_dtype, hstack, is_floating_point, is_tensor, log, log_softmax, matmul, max,
                                maximum, mean, min, minimum, numel, permute, reshape, sigmoid, softmax, sqrt, squeeze,
                                sum, tanh, topk, transpose, unsqueeze, vstack)
from resnetc._tensor_ops import (all, allclose, any, argsort, bincount, bmm, einsum, flip, gather, isclose,  # noqa: E402
                                 isfinite, isinf, isnan, logical_and, logical_not, logical_or, logical_xor,
                                 masked_fill, mm, nonzero, norm, round, sort, std, unique, var, where)
from resnetc.serialization import load, load_torch_state_dict, save, save_torch_state_dict  # noqa: E402
from resnetc import backends, cuda  # noqa: E402  (torch.backends / torch.cuda's queries: no GPU)
from resnetc import amp  # noqa: E402
from resnetc.amp import autocast  # noqa: E402
from resnetc._device import device  # noqa: E402
from resnetc._determinism import (are_deterministic_algorithms_enabled,  # noqa: E402
                                  use_deterministic_algorithms)

dtype = _np.dtype  # isinstance(x.dtype, resnetc.dtype)

# torch's subpackages, and torchvision's when resnetc stands in for it (`import resnetc as
# torchvision`), load on first access: importing them all would double import time.
_SUBMODULES = {"nn": "resnetc.nn", "optim": "resnetc.optim", "utils": "resnetc.utils.data",
               "transforms": "resnetc.transforms", "models": "resnetc.models", "datasets": "resnetc.datasets",
               "io": "resnetc.io", "metrics": "resnetc.metrics", "callbacks": "resnetc.callbacks"}


def __getattr__(name):
    if name in _SUBMODULES:
        _importlib.import_module(_SUBMODULES[name])  # binds resnetc.<name> (utils: with utils.data)
        return globals()[name]
    raise AttributeError(f"module 'resnetc' has no attribute {name!r}")


__version__ = "0.1.0"

if _os.environ.get("RESNETC_ISA"):
    _C.set_isa(_os.environ["RESNETC_ISA"])


def set_num_threads(n):
    """Threads used by the C kernels (OpenMP)."""
    _C.set_num_threads(_builtins.int(n))


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
