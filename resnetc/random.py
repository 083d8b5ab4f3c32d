"""Tensor factories, torch.Generator and the default random generator (torch.manual_seed's
counterpart).

Model initialisation draws from the default generator; data augmentation does not (it is
counter-based on (seed, epoch, index), see resnetc.utils.data). Every factory takes torch's
``dtype=``, ``device=`` (the CPU only) and ``requires_grad=``; the random ones also
``generator=``. Floats default to float32, as in torch, whatever Python numbers they are given.
Random values do not match torch's streams.
"""
import numpy as np

from resnetc import _dtypes
from resnetc.tensor import Tensor, _shape_args, as_array, check_device


class Generator(np.random.Generator):
    """torch.Generator: ``manual_seed(s)`` (returns the generator), ``seed()``, ``initial_seed()``,
    ``get_state()``/``set_state()``. A numpy Generator too, so it is accepted wherever resnetc
    takes one (random_split, DataLoader, samplers, the factories here)."""

    def __init__(self, device="cpu"):
        check_device(device)
        self.device = "cpu"
        self._initial_seed = int(np.random.SeedSequence().entropy % 2**63)
        super().__init__(np.random.PCG64(self._initial_seed))

    def manual_seed(self, seed):
        self._initial_seed = int(seed)
        self.bit_generator.state = np.random.PCG64(self._initial_seed).state
        return self

    def seed(self):
        """Reseeds from fresh entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))
        return self._initial_seed

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        return self.bit_generator.state

    def set_state(self, state):
        self.bit_generator.state = state
        return self


_default = {"generator": Generator()}


def manual_seed(seed):
    """Reseeds the default generator used by nn.init and the factories below; returns it."""
    return _default["generator"].manual_seed(seed)


def seed():
    return _default["generator"].seed()


def initial_seed():
    return _default["generator"].initial_seed()


def default_generator():
    return _default["generator"]


def _generator(generator):
    return default_generator() if generator is None else generator


def _make(array, dtype, device, requires_grad):
    check_device(device)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return Tensor(array, requires_grad=requires_grad)


def _float_dtype(dtype, name):
    dtype = _dtypes.float32 if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise RuntimeError(f"\"{name}\" not implemented for '{_dtypes.torch_name(dtype)}'")
    return dtype


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _make(_generator(generator).standard_normal(_shape_args(size), dtype=np.float64), dtype, device,
                 requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    dtype = _float_dtype(dtype, "uniform_kernel_cpu")
    return _make(_generator(generator).random(_shape_args(size)), dtype, device, requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform in [low, high) (``randint(high, size)`` starts at 0); int64 by default."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    array = _generator(generator).integers(low, high, size=tuple(size), dtype=np.int64)
    return _make(array, dtype, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64 by default)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    return _make(_generator(generator).permutation(int(n)).astype(np.int64), dtype, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _make(np.zeros(_shape_args(size), dtype=dtype or _dtypes.float32), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _make(np.ones(_shape_args(size), dtype=dtype or _dtypes.float32), None, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _make(np.empty(_shape_args(size), dtype=dtype or _dtypes.float32), None, device, requires_grad)


def _fill_dtype(value):
    """torch.full's dtype for a fill value: bool, int64 or the default float32."""
    if isinstance(value, Tensor):
        value = value.item()
    return _dtypes.result_type(value)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    dtype = _fill_dtype(fill_value) if dtype is None else np.dtype(dtype)
    return _make(np.full(tuple(size), as_array(fill_value), dtype=dtype), None, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _make(np.eye(n, n if m is None else m, dtype=dtype or _dtypes.float32), None, device, requires_grad)


def _number(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """start, start + step, ... below end: int64 if all three are integers, else float32 (the
    default dtype), as torch; the values are computed in float64 first."""
    start, end, step = _number(start), _number(end), _number(step)
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = _dtypes.result_type(start, end, step)
    return _make(np.arange(start, end, step), dtype, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    dtype = _dtypes.float32 if dtype is None else dtype
    return _make(np.linspace(_number(start), _number(end), int(steps)), dtype, device, requires_grad)


def _like(factory):
    def like(input, *, dtype=None, device=None, requires_grad=False, **kwargs):
        kwargs.pop("memory_format", None)
        return factory(*input.shape, dtype=input.dtype if dtype is None else dtype, device=device,
                       requires_grad=requires_grad, **kwargs)

    like.__name__ = like.__qualname__ = factory.__name__ + "_like"
    like.__doc__ = f"{factory.__name__}(input.shape) with input's dtype (unless `dtype` is given)."
    return like


zeros_like, ones_like, empty_like, rand_like, randn_like = (_like(f) for f in (zeros, ones, empty, rand, randn))


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None, requires_grad=False):
    return randint(low, high, input.shape, dtype=input.dtype if dtype is None else dtype, device=device,
                   requires_grad=requires_grad)
