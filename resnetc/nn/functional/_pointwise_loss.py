"""Elementwise losses with torch.nn.functional's semantics: binary cross-entropy (on
probabilities or logits, with weight and pos_weight), mse, l1, smooth_l1 and huber.

Float32 NumPy arithmetic in torch's formulas. A target of another shape broadcasts against the
input, with torch's warning, and each gradient is summed back to its operand's shape. The
target gets a gradient too when it requires one, as in torch.
"""
import warnings

import numpy as np

from resnetc.nn.functional._activation import _sigmoid
from resnetc.nn.functional._checks import float32_input
from resnetc.nn.functional._loss import _check_reduction
from resnetc.tensor import as_array, record


def _pair(input, target, fn, warn_on_broadcast=True):
    x, t = float32_input(input, fn), float32_input(target, fn, "target")
    if x.shape != t.shape and warn_on_broadcast:
        warnings.warn(f"Using a target size ({t.shape}) that is different to the input size ({x.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)
    return x, t


def _reduce(loss, reduction, divisor):
    if reduction == "none":
        return loss
    total = loss.sum(dtype=np.float64)
    if reduction == "mean":
        total = total / divisor if divisor else np.nan
    return np.asarray(total, dtype=np.float32)


def _sum_to(grad, shape):
    """grad summed over the axes along which an operand of `shape` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra))) if extra else grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


def _loss_op(input, target, loss, d_input, d_target, reduction, divisor=None):
    """Records `loss` (elementwise, broadcast shape), whose 'mean' divides by `divisor` (default:
    the element count); d_input/d_target map a per-element gradient factor to the elementwise
    gradients."""
    in_shape, t_shape = as_array(input).shape, as_array(target).shape
    divisor = loss.size if divisor is None else divisor

    def backward(g):
        factor = np.asarray(g, dtype=np.float32)
        if reduction == "mean":
            factor = factor / np.float32(divisor)
        grad_x = _sum_to(d_input(factor).astype(np.float32), in_shape)
        grad_t = None if d_target is None else _sum_to(d_target(factor).astype(np.float32), t_shape)
        return grad_x, grad_t

    return record(_reduce(loss, reduction, divisor), (input, target), backward)


def _weighted(loss, slope, weight, input_shape, fn):
    """loss and slope times the weight, and the weight's sum (torch's 'mean' divisor for mse and
    l1; huber's stays the element count)."""
    if weight is None:
        return loss, slope, None
    w = float32_input(weight, fn, "weight")
    if w.shape != input_shape:
        raise ValueError("Weights and input must have the same size.")
    return loss * w, slope * w, float(w.sum(dtype=np.float64))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, reduced; with a weight (input's shape), 'mean' is sum(w loss) / sum(w)."""
    _check_reduction(reduction, size_average, reduce, "mse_loss")
    x, t = _pair(input, target, "mse_loss")
    diff = x - t
    loss, slope, weight_sum = _weighted(diff * diff, 2 * diff, weight, x.shape, "mse_loss")
    return _loss_op(input, target, loss, lambda f: slope * f, lambda f: -slope * f, reduction, weight_sum)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced as mse_loss; the gradient is sign(input - target), 0 where equal."""
    _check_reduction(reduction, size_average, reduce, "l1_loss")
    x, t = _pair(input, target, "l1_loss")
    diff = x - t
    sign = np.where(diff > 0, np.float32(1), np.where(diff < 0, np.float32(-1), np.float32(0)))  # NaN: 0, as torch
    loss, slope, weight_sum = _weighted(np.abs(diff), sign, weight, x.shape, "l1_loss")
    return _loss_op(input, target, loss, lambda f: slope * f, lambda f: -slope * f, reduction, weight_sum)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0: l1_loss)."""
    _check_reduction(reduction, size_average, reduce, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    x, t = _pair(input, target, "smooth_l1_loss")
    diff = x - t
    z, beta32 = np.abs(diff), np.float32(beta)
    small = z < beta32
    loss = np.where(small, np.float32(0.5) * diff * diff / beta32, z - np.float32(0.5) * beta32)
    slope = np.where(small, diff / beta32, np.sign(diff))
    return _loss_op(input, target, loss, lambda f: slope * f, lambda f: -slope * f, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); with a weight (input's shape),
    'mean' is the mean of w loss, as torch."""
    _check_reduction(reduction, None, None, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, t = _pair(input, target, "huber_loss")
    diff = x - t
    z, delta32 = np.abs(diff), np.float32(delta)
    small = z < delta32
    loss = np.where(small, np.float32(0.5) * diff * diff, delta32 * (z - np.float32(0.5) * delta32))
    loss, slope, _ = _weighted(loss, np.where(small, diff, delta32 * np.sign(diff)), weight, x.shape, "huber_loss")
    return _loss_op(input, target, loss, lambda f: slope * f, lambda f: -slope * f, reduction)


def _broadcast_weight(weight, shape, fn, name="weight"):
    """The float32 ndarray behind `weight`, which must broadcast to the input's shape without
    growing it (torch raises otherwise)."""
    if weight is None:
        return None
    w = float32_input(weight, fn, name)
    try:
        grown = np.broadcast_shapes(w.shape, shape) != shape
    except ValueError:
        grown = True
    if grown:
        raise RuntimeError(f"{fn}: {name} of shape {w.shape} does not broadcast to the input's shape {shape}")
    return w


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1], each log clamped at -100
    as torch does (so p = 0 or 1 gives a finite loss)."""
    fn = "binary_cross_entropy"
    _check_reduction(reduction, size_average, reduce, fn)
    p, t = _pair(input, target, fn, warn_on_broadcast=False)
    if p.shape != t.shape:
        raise ValueError(f"Using a target size ({t.shape}) that is different to the input size ({p.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if not np.all((p >= 0) & (p <= 1)):  # NaN fails too
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = _broadcast_weight(weight, p.shape, fn)
    w = np.float32(1) if w is None else w
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p, log_1mp = np.log(p), np.log1p(-p)
        loss = -w * (t * np.maximum(log_p, np.float32(-100)) + (1 - t) * np.maximum(log_1mp, np.float32(-100)))

    def d_input(factor):  # torch's (p - t) / max(p (1 - p), 1e-12): finite at p = 0 or 1
        return w * (p - t) / np.maximum((1 - p) * p, np.float32(1e-12)) * factor

    def d_target(factor):  # the unclamped logs, as torch: infinite at p = 0 or 1
        with np.errstate(invalid="ignore"):
            return w * (log_1mp - log_p) * factor

    return _loss_op(input, target, loss, d_input, d_target, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(x), t) computed stably from the logits x:
    (1 - t) x + (1 + (pos_weight - 1) t) (log(1 + exp(-|x|)) + max(-x, 0)), times weight.
    pos_weight (one value per class, the last dimension) weighs the positive term."""
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, size_average, reduce, fn)
    x, t = _pair(input, target, fn, warn_on_broadcast=False)
    if x.shape != t.shape:
        raise ValueError(f"Target size ({t.shape}) must be the same as input size ({x.shape})")
    w = _broadcast_weight(weight, x.shape, fn)
    pw = _broadcast_weight(pos_weight, x.shape, fn, "pos_weight")
    softplus_neg = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, np.float32(0))  # log(1 + exp(-x))
    log_weight = np.float32(1) if pw is None else (pw - 1) * t + 1
    loss = (1 - t) * x + log_weight * softplus_neg
    if w is not None:
        loss = loss * w

    def d_input(factor):  # sigmoid(x) - t without pos_weight
        grad = (1 - t) - log_weight * (1 - _sigmoid(x))
        return (grad if w is None else grad * w) * factor

    def d_target(factor):
        grad = -x if pw is None else -x + (pw - 1) * softplus_neg
        return (grad if w is None else grad * w) * factor

    return _loss_op(input, target, loss, d_input, d_target, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) per element: target (log target - input), taken as 0 where
    target = 0 (torch's xlogy); with log_target, exp(target) (target - input). 'batchmean'
    divides the sum by the batch size (the KL divergence's definition); 'mean' by the element
    count, with torch's warning. The target's gradient is NaN where target = 0, as torch's."""
    fn = "kl_div"
    if reduction == "batchmean":
        _check_reduction("sum", size_average, reduce, fn)
    else:
        _check_reduction(reduction, size_average, reduce, fn)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    x, t = _pair(input, target, fn, warn_on_broadcast=False)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if log_target:
            p = np.exp(t)
            loss, slope_x, slope_t = p * (t - x), -p, p * (t - x + 1)
        else:
            log_t = np.where(t != 0, np.log(t), np.float32(0))
            loss, slope_x, slope_t = t * log_t - t * x, -t, log_t + t / t - x
    divisor = (x.shape[0] if x.ndim else 1) if reduction == "batchmean" else None
    return _loss_op(input, target, loss, lambda f: slope_x * f, lambda f: slope_t * f,
                    "mean" if reduction == "batchmean" else reduction, divisor)
