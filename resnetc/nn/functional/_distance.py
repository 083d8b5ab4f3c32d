"""normalize and cosine_similarity with torch.nn.functional's formulas, in vectorised NumPy."""
import math
import numbers

import numpy as np

from resnetc.nn.functional._checks import float32_input, grad_array
from resnetc.nn.functional._pointwise_loss import _sum_to
from resnetc.tensor import record


def _dim(dim, ndim, fn):
    if not isinstance(dim, numbers.Integral) or not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{fn}: Dimension out of range (expected to be in range of "
                         f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim})")
    return int(dim) % max(ndim, 1)


def _norm_and_slope(x, p, dim):
    """The p-norm of x along dim (keepdims) and its derivative d norm / d x (0 where the norm is 0)."""
    a = np.abs(x)
    if p == math.inf:
        norm = a.max(axis=dim, keepdims=True)
        at_max = (a == norm).astype(np.float32)
        slope = np.sign(x) * at_max / at_max.sum(axis=dim, keepdims=True)  # torch splits ties evenly
        return norm, slope
    if p == 2:
        norm = np.sqrt((x * x).sum(axis=dim, keepdims=True))
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(norm > 0, x / norm, np.float32(0))
        return norm, slope
    if p == 1:
        return a.sum(axis=dim, keepdims=True), np.sign(x)
    p32 = np.float32(p)
    norm = (a ** p32).sum(axis=dim, keepdims=True) ** (np.float32(1) / p32)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(norm > 0, np.sign(x) * (a / norm) ** (p32 - 1), np.float32(0))
    return norm, slope


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along dim. Where the norm is below eps the denominator is
    the constant eps, so the gradient is g / eps there."""
    if out is not None:
        raise ValueError("normalize: out= is not supported")
    if not isinstance(p, numbers.Real) or not p > 0:
        raise ValueError(f"normalize: p must be a positive number or inf, got {p!r}")
    x = float32_input(input, "normalize")
    axis = _dim(dim, x.ndim, "normalize")
    x_ = x.reshape(1) if x.ndim == 0 else x
    norm, slope = _norm_and_slope(x_, float(p), axis)
    clamped = norm >= eps
    denom = np.maximum(norm, np.float32(eps))
    y = (x_ / denom).reshape(x.shape)

    def backward(g):
        g = grad_array(g).reshape(x_.shape)
        # d(x / n) = g / n - x * sum(g x) / n^2 * dn/dx, the second term only where n is not clamped
        inner = (g * x_).sum(axis=axis, keepdims=True)
        grad = g / denom - np.where(clamped, inner / (denom * denom), np.float32(0)) * slope
        return (grad.reshape(x.shape).astype(np.float32),)

    return record(y, (input,), backward)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along dim, with x1 and x2 broadcast
    together. As in torch, the clamp is not differentiated: the gradient always flows through
    the unclamped norms."""
    a, b = float32_input(x1, "cosine_similarity", "x1"), float32_input(x2, "cosine_similarity", "x2")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"cosine_similarity: shapes {a.shape} and {b.shape} do not broadcast") from None
    axis = _dim(dim, len(shape), "cosine_similarity")
    if not shape:
        raise RuntimeError("cosine_similarity: expected inputs with at least 1 dimension")
    ab, bb = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    na, sa = _norm_and_slope(ab, 2.0, axis)
    nb, sb = _norm_and_slope(bb, 2.0, axis)
    da, db = np.maximum(na, np.float32(eps)), np.maximum(nb, np.float32(eps))
    sim = ((ab / da) * (bb / db)).sum(axis=axis, keepdims=True)

    def backward(g):
        g = np.expand_dims(grad_array(g), axis)
        grad_a = g * (bb / (da * db) - sim / da * sa)
        grad_b = g * (ab / (da * db) - sim / db * sb)
        return _sum_to(grad_a.astype(np.float32), a.shape), _sum_to(grad_b.astype(np.float32), b.shape)

    return record(np.squeeze(sim, axis).astype(np.float32), (x1, x2), backward)

