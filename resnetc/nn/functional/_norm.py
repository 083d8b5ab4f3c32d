"""batch_norm on the C kernels of csrc/nn/batchnorm.c; layer_norm and group_norm in NumPy."""
import numbers

import numpy as np

from resnetc import _C
from resnetc.nn.functional._checks import float32_input, grad_array, optional_vector
from resnetc.tensor import as_array, record


def _running_stat(x, name, size):
    if x is None:
        return None
    array = as_array(x)
    if array.dtype != np.float32 or not array.flags.c_contiguous or not array.flags.writeable:
        raise TypeError(f"batch_norm: {name} must be a writeable C-contiguous float32 array, "
                        f"got {array.dtype}{'' if array.flags.c_contiguous else ' (non-contiguous)'}")
    if array.shape != (size,):
        raise ValueError(f"batch_norm: {name} should contain {size} elements not {array.size}")
    return array


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalises each channel of an (N, C, ...) input: y = (x - mean) / sqrt(var + eps) * weight + bias.

    training=True (or no running stats) uses the batch's mean and biased variance, and
    updates running_mean/running_var in place when given:
    ``running = (1 - momentum) * running + momentum * batch_stat`` with the *unbiased* batch
    variance, as torch does. training=False uses the running statistics. The gradient of a
    training step flows through the batch statistics.
    """
    x = float32_input(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input with at least 2 dimensions (N, C, ...), "
                         f"got {x.ndim}-D input of shape {tuple(x.shape)}")
    channels = x.shape[1]
    mean_run = _running_stat(running_mean, "running_mean", channels)
    var_run = _running_stat(running_var, "running_var", channels)
    if (mean_run is None) != (var_run is None):
        raise ValueError("batch_norm: running_mean and running_var must both be given or both be None")
    w = optional_vector(weight, "batch_norm", "weight", channels)
    b = optional_vector(bias, "batch_norm", "bias", channels)
    if not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"batch_norm: eps must be a non-negative number, got {eps!r}")
    use_batch_stats = bool(training) or mean_run is None
    if not training and mean_run is None:
        raise ValueError("batch_norm: running_mean and running_var must be defined in evaluation mode "
                         "(training=False)")
    count = x.size // channels if channels else 0
    if use_batch_stats:
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)}")
        mean, var = _C.batch_norm_stats(x)
        if mean_run is not None:
            if not isinstance(momentum, numbers.Real):
                raise TypeError(f"batch_norm: momentum must be a number, got {momentum!r}")
            m = np.float32(momentum)
            mean_run *= 1 - m
            mean_run += m * mean
            var_run *= 1 - m
            var_run += m * (var * np.float32(count / (count - 1)))
    else:
        mean, var = mean_run.copy(), var_run.copy()  # the backward must see this step's values
    out = _C.batch_norm_forward(x, mean, var, w, b, float(eps))

    def backward(g):
        dx, dw, db = _C.batch_norm_backward(grad_array(g), x, mean, var, w, float(eps), use_batch_stats)
        return dx, (dw if w is not None else None), (db if b is not None else None)

    return record(out, (input, weight, bias), backward)


def _normalize_groups(x, eps):
    """x (B, M) normalised per row with the biased variance: (xhat, rstd (B, 1)). Statistics
    accumulate in float64."""
    mean = x.mean(axis=1, keepdims=True, dtype=np.float64)
    var = np.square(x - mean).mean(axis=1, keepdims=True)
    rstd = (1.0 / np.sqrt(var + eps)).astype(np.float32)
    return ((x - mean) * rstd).astype(np.float32), rstd


def _normalize_backward(dxhat, xhat, rstd):
    """The gradient through xhat = (x - mean) * rstd, per row of (B, M):
    rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))."""
    mean_d = dxhat.mean(axis=1, keepdims=True, dtype=np.float64)
    mean_dx = (dxhat * xhat).mean(axis=1, keepdims=True, dtype=np.float64)
    return (rstd * (dxhat - mean_d - xhat * mean_dx)).astype(np.float32)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the last len(normalized_shape) dimensions (biased variance), then
    y = xhat * weight + bias elementwise (weight and bias have normalized_shape)."""
    x = float32_input(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(x.shape)}")
    w, b = (None if v is None else float32_input(v, "layer_norm", n) for v, n in ((weight, "weight"), (bias, "bias")))
    for v, n in ((w, "weight"), (b, "bias")):
        if v is not None and v.shape != shape:
            raise RuntimeError(f"layer_norm: expected {n} of shape {shape}, got {v.shape}")
    rows = x.reshape(-1, int(np.prod(shape)))
    xhat, rstd = _normalize_groups(rows, eps)
    xhat = xhat.reshape(x.shape)
    out = xhat if w is None else xhat * w
    out = out if b is None else out + b
    batch_axes = tuple(range(x.ndim - k))

    def backward(g):
        g = grad_array(g)
        dxhat = g if w is None else g * w
        dx = _normalize_backward(dxhat.reshape(rows.shape), xhat.reshape(rows.shape), rstd).reshape(x.shape)
        dw = None if w is None else (g * xhat).sum(axis=batch_axes, dtype=np.float64).astype(np.float32)
        db = None if b is None else g.sum(axis=batch_axes, dtype=np.float64).astype(np.float32)
        return dx, dw, db

    return record(np.ascontiguousarray(out, dtype=np.float32), (input, weight, bias), backward)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalises each of num_groups groups of channels of an (N, C, ...) input over its
    channels and positions (biased variance), then y = xhat * weight[c] + bias[c]."""
    x = float32_input(input, "group_norm")
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected at least 2 dimensions (N, C, ...), got shape {tuple(x.shape)}")
    N, C = x.shape[:2]
    if not isinstance(num_groups, numbers.Integral) or num_groups <= 0 or C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(x.shape)} and num_groups={num_groups}")
    w = optional_vector(weight, "group_norm", "weight", C)
    b = optional_vector(bias, "group_norm", "bias", C)
    per_channel = (1, C) + (1,) * (x.ndim - 2)
    rows = x.reshape(N * num_groups, -1)
    xhat, rstd = _normalize_groups(rows, eps)
    xhat = xhat.reshape(x.shape)
    out = xhat if w is None else xhat * w.reshape(per_channel)
    out = out if b is None else out + b.reshape(per_channel)
    other_axes = (0,) + tuple(range(2, x.ndim))

    def backward(g):
        g = grad_array(g)
        dxhat = g if w is None else g * w.reshape(per_channel)
        dx = _normalize_backward(dxhat.reshape(rows.shape), xhat.reshape(rows.shape), rstd).reshape(x.shape)
        dw = None if w is None else (g * xhat).sum(axis=other_axes, dtype=np.float64).astype(np.float32)
        db = None if b is None else g.sum(axis=other_axes, dtype=np.float64).astype(np.float32)
        return dx, dw, db

    return record(np.ascontiguousarray(out, dtype=np.float32), (input, weight, bias), backward)
