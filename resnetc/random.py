"""Tensor factories and the default random generator (torch.manual_seed's counterpart).

Model initialisation draws from this generator; data augmentation does not (it is
counter-based on (seed, epoch, index), see resnetc.utils.data).
"""
import numpy as np

from resnetc.tensor import Tensor, _shape_args

_default = {"generator": np.random.default_rng()}


def manual_seed(seed):
    """Reseeds the default generator used by nn.init and the factories below."""
    _default["generator"] = np.random.default_rng(seed)
    return _default["generator"]


def default_generator():
    return _default["generator"]


def _make(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def randn(*size, dtype=np.float32, requires_grad=False):
    return _make(default_generator().standard_normal(_shape_args(size), dtype=np.float64).astype(dtype), requires_grad)


def rand(*size, dtype=np.float32, requires_grad=False):
    return _make(default_generator().random(_shape_args(size)).astype(dtype), requires_grad)


def zeros(*size, dtype=np.float32, requires_grad=False):
    return _make(np.zeros(_shape_args(size), dtype=dtype), requires_grad)


def ones(*size, dtype=np.float32, requires_grad=False):
    return _make(np.ones(_shape_args(size), dtype=dtype), requires_grad)


def empty(*size, dtype=np.float32, requires_grad=False):
    return _make(np.empty(_shape_args(size), dtype=dtype), requires_grad)


def arange(*args, dtype=None):
    array = np.arange(*args)
    return Tensor(array.astype(dtype) if dtype is not None else array)
