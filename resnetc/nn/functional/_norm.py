"""batch_norm: torch.nn.functional.batch_norm on the C kernels of csrc/nn/batchnorm.c."""
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
