"""Gradient clipping with torch.nn.utils' names and float32 arithmetic.

clip_grad_norm_: the total norm is the norm of the per-gradient norms; every gradient is then
multiplied by min(1, max_norm / (total_norm + 1e-6)) in place, as torch does (always a multiply,
so gradients change by a rounding even when no clipping is needed).
"""
import math

import numpy as np

from resnetc import _C
from resnetc.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.array for p in parameters if p.grad is not None]


def _vector_norm(array, norm_type):
    """The norm of a flattened array, accumulated in float64 and returned as float32."""
    flat = array.reshape(-1)
    if flat.size == 0:
        return np.float32(0.0)
    if norm_type == math.inf:
        return np.float32(np.max(np.abs(flat)))
    if norm_type == -math.inf:
        return np.float32(np.min(np.abs(flat)))
    if norm_type == 0:
        return np.float32(np.count_nonzero(flat))
    if norm_type == 2 and flat.dtype == np.float32:
        # In C: np.dot would wake OpenBLAS's threads, which then spin beside the training step's.
        return np.float32(math.sqrt(_C.sum_of_squares(np.ascontiguousarray(flat))))
    flat = flat.astype(np.float64)
    if norm_type == 2:
        return np.float32(math.sqrt(float(np.dot(flat, flat))))
    if norm_type == 1:
        return np.float32(np.sum(np.abs(flat)))
    return np.float32(np.sum(np.abs(flat) ** norm_type) ** (1.0 / norm_type))


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of `tensors` (Tensors or ndarrays) as a 0-d float32 Tensor."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        tensors = [tensors]
    arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.array(0.0, np.float32))
    norms = np.array([_vector_norm(a, norm_type) for a in arrays], np.float32)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return Tensor(np.array(total, np.float32))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales the gradients by min(1, max_norm / (total_norm + 1e-6)) in place."""
    grads = _grads(parameters)
    if not grads:
        return
    total = np.float32(np.asarray(total_norm.array if isinstance(total_norm, Tensor) else total_norm))
    coef = np.float32(max_norm) / (total + np.float32(1e-6))
    coef = np.minimum(coef, np.float32(1.0))
    with np.errstate(invalid="ignore"):  # inf * 0 -> NaN, as in torch
        for g in grads:
            np.multiply(g, coef, out=g, casting="unsafe")


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clips the gradients of `parameters` so their total norm is at most max_norm.

    Returns the total norm before clipping (a 0-d float32 Tensor). Raises RuntimeError when that
    norm is NaN or infinite and error_if_nonfinite is set.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        parameters = list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, float(max_norm), total, foreach)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
