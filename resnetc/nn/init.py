"""Parameter initialisation, with torch.nn.init's names and formulas.

Draws come from the `generator` argument, else resnetc's default generator
(reseeded by resnetc.manual_seed). Every function fills the tensor in place and returns it.
"""
import math

import numpy as np

from resnetc.random import default_generator
from resnetc.tensor import as_array


def calculate_gain(nonlinearity, param=None):
    linear = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid"}
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    shape = as_array(tensor).shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    array = as_array(tensor)
    array[...] = values.astype(array.dtype, copy=False)
    return tensor


def _draw_dtype(tensor):
    # Draw float32 tensors in float32: a wide ResNet's 100M+ parameters initialise in a fraction
    # of the time, and the values are the same distribution.
    return np.float32 if as_array(tensor).dtype == np.float32 else np.float64


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    rng = generator or default_generator()
    values = rng.random(as_array(tensor).shape, dtype=_draw_dtype(tensor))
    return _fill(tensor, values * (b - a) + a)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    rng = generator or default_generator()
    values = rng.standard_normal(as_array(tensor).shape, dtype=_draw_dtype(tensor))
    return _fill(tensor, values * std + mean)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Normal(mean, std) redrawn until inside [a, b]."""
    rng = generator or default_generator()
    shape = as_array(tensor).shape
    values = rng.normal(mean, std, shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor, val):
    as_array(tensor)[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fills a (rows, ...) tensor with a (semi-)orthogonal matrix times gain, as torch: the Q of
    the QR decomposition of a standard normal (rows, numel / rows) matrix (transposed when
    wider than tall), signs fixed by R's diagonal so Q is uniformly (Haar) distributed."""
    array = as_array(tensor)
    if array.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if array.size == 0:
        return tensor
    rows = array.shape[0]
    cols = array.size // rows
    rng = generator or default_generator()
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(array.shape))
