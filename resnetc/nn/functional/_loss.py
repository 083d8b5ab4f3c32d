"""softmax, log_softmax, cross_entropy and nll_loss (torch.nn.functional semantics).

Float32 inputs go through the row kernels of csrc/nn/loss.c (any `dim`: it is moved last and
the array viewed as rows); cross_entropy with class-index targets is one fused
softmax + cross-entropy kernel whose backward recomputes the softmax from the saved logsumexp.
"""
import numbers
import warnings

import numpy as np

from resnetc import _C
from resnetc.nn.functional._checks import float32_input, grad_array
from resnetc.tensor import as_array, record

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------------- softmax / log_softmax
def _implicit_dim(ndim, fn):
    warnings.warn(f"Implicit dimension choice for {fn} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _rowwise(input, dim, dtype, fn, forward, backward_kernel, numpy_forward, numpy_backward):
    x = as_array(input)
    if dtype is not None:
        x = x.astype(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating point input, got {x.dtype}")
    if dim is None:
        dim = _implicit_dim(x.ndim, fn)
    ndim = max(x.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    shape = x.shape
    if x.size == 0:
        return record(x.copy(), (input,), lambda g: (np.zeros(shape, x.dtype),))
    moved = np.moveaxis(x.reshape(shape or (1,)), dim, -1)
    rows = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])

    def back_to_input(y):
        return np.moveaxis(y.reshape(moved.shape), -1, dim).reshape(shape)

    if x.dtype == np.float32:
        out_rows = forward(rows)
        grad_rows = lambda g: backward_kernel(grad_array(_rows_of(g, dim, shape)), out_rows)
    else:
        out_rows = numpy_forward(rows)
        grad_rows = lambda g: numpy_backward(_rows_of(g, dim, shape).astype(x.dtype), out_rows)
    return record(back_to_input(out_rows), (input,), lambda g: (back_to_input(grad_rows(g)),))


def _rows_of(g, dim, shape):
    g = np.asarray(g).reshape(shape or (1,))
    moved = np.moveaxis(g, dim, -1)
    return np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])


def _np_log_softmax(rows):
    shifted = rows - rows.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _np_softmax(rows):
    e = np.exp(rows - rows.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(input)) along `dim`, computed as x - logsumexp(x) (max-shifted)."""
    return _rowwise(input, dim, dtype, "log_softmax", _C.log_softmax_forward, _C.log_softmax_backward,
                    _np_log_softmax, lambda g, out: g - np.exp(out) * g.sum(axis=1, keepdims=True))


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x - logsumexp(x)) along `dim`."""
    return _rowwise(input, dim, dtype, "softmax", _C.softmax_forward, _C.softmax_backward,
                    _np_softmax, lambda g, out: out * (g - (g * out).sum(axis=1, keepdims=True)))


# ---------------------------------------------------------------------- losses
def _check_reduction(reduction, size_average, reduce, fn):
    if size_average is not None or reduce is not None:
        raise ValueError(f"{fn}: size_average and reduce are deprecated and not supported; use reduction=")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _as_rows(x, fn):
    """(C,) -> (1, C); (N, C, d1, ...) -> (N*d1*..., C). Returns rows and a function mapping
    row gradients back to x's shape."""
    if x.ndim == 0:
        raise ValueError(f"{fn}: expected input with at least 1 dimension (C) or (N, C, ...), got a 0-D input")
    if x.ndim == 1:
        return x[None], lambda rows: rows.reshape(x.shape)
    if x.ndim == 2:
        return x, lambda rows: rows
    moved = np.moveaxis(x, 1, -1)
    rows = np.ascontiguousarray(moved).reshape(-1, x.shape[1])
    return rows, lambda r: np.ascontiguousarray(np.moveaxis(r.reshape(moved.shape), -1, 1))


def _class_targets(target, x, fn):
    """Integer targets of shape x.shape without the class dim, flattened to int64 rows."""
    t = as_array(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: expected target of an integer dtype (class indices), got {t.dtype}")
    expected = () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]
    if t.shape != expected:
        if x.ndim >= 2 and (t.ndim == 0 or t.shape[0] != x.shape[0]):
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                             f"({t.shape[0] if t.ndim else 0}).")
        raise ValueError(f"{fn}: expected target of shape {expected} for input of shape {x.shape}, got {t.shape}")
    return np.ascontiguousarray(t, dtype=np.int64).reshape(-1), expected


def _weight(weight, classes, fn):
    if weight is None:
        return None
    w = float32_input(weight, fn, "weight")
    if w.shape != (classes,):
        raise ValueError(f"weight tensor should be defined either for all {classes} classes or no classes "
                         f"but got weight tensor of shape: {list(w.shape)}")
    return w


def _check_bounds(t, classes, ignore_index):
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits (N, C[, d1, ...]) or (C,) against class indices or class probabilities.

    Class indices, per sample i with target t_i (w = 1 without weight, eps = label_smoothing):
        loss_i = (1 - eps) * w[t_i] * -logp[i, t_i] + eps / C * sum_c w[c] * -logp[i, c],
    0 where t_i == ignore_index. 'mean' divides the sum by the total weight sum_i w[t_i] of the
    non-ignored samples (torch's rule, which also applies to the smoothing term).
    Class probabilities q (same shape as input, float): loss_i = -sum_c w[c] * q'[i, c] * logp[i, c]
    with q' = (1 - eps) * q + eps / C; 'mean' divides by the number of samples.
    """
    fn = "cross_entropy"
    _check_reduction(reduction, size_average, reduce, fn)
    if not isinstance(label_smoothing, numbers.Real) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x = float32_input(input, fn)
    rows, to_input = _as_rows(x, fn)
    classes = rows.shape[1]
    w = _weight(weight, classes, fn)
    if as_array(target).dtype.kind == "f":
        return _cross_entropy_probs(input, target, rows, to_input, w, x, reduction, float(label_smoothing))
    t, target_shape = _class_targets(target, x, fn)
    ignore_index = int(ignore_index)
    _check_bounds(t, classes, ignore_index)
    smoothing = float(label_smoothing)
    loss, lse = _C.cross_entropy_forward(rows, t, w, ignore_index, smoothing)
    kept = t != ignore_index
    if reduction == "mean":
        total_weight = np.float32(kept.sum() if w is None else w[t[kept]].sum(dtype=np.float64))
        out = np.float32(loss.sum(dtype=np.float64) / total_weight) if total_weight else np.float32("nan")
        out = np.asarray(out, dtype=np.float32)
    elif reduction == "sum":
        out = np.asarray(loss.sum(dtype=np.float64), dtype=np.float32)
    else:
        out = loss.reshape(target_shape)

    def backward(g):
        g = np.asarray(g, dtype=np.float32)
        if reduction == "none":
            scale = np.ascontiguousarray(g.reshape(-1))
        elif reduction == "mean":
            scale = np.full(len(t), g.reshape(()) / total_weight if total_weight else 0.0, np.float32)
        else:
            scale = np.full(len(t), g.reshape(()), np.float32)
        return to_input(_C.cross_entropy_backward(rows, lse, t, w, scale, ignore_index, smoothing)), None

    return record(out, (input, target), backward)


def _cross_entropy_probs(input, target, rows, to_input, w, x, reduction, smoothing):
    q = as_array(target)
    if q.shape != x.shape:
        raise ValueError(f"cross_entropy: a floating point target holds class probabilities and must have the "
                         f"input's shape {x.shape}, got {q.shape} (class indices must be an integer dtype)")
    if q.dtype != np.float32:
        raise TypeError(f"cross_entropy: expected target of dtype float32, got {q.dtype}")
    q_rows, _ = _as_rows(np.ascontiguousarray(q), "cross_entropy")
    classes = rows.shape[1]
    logp = _C.log_softmax_forward(rows)
    wq = (1 - smoothing) * q_rows + smoothing / classes  # q'
    if w is not None:
        wq = wq * w
    loss = -(logp * wq).sum(axis=1, dtype=np.float64).astype(np.float32)
    n = len(rows)
    if reduction == "mean":
        out = np.asarray(loss.sum(dtype=np.float64) / n, dtype=np.float32)
    elif reduction == "sum":
        out = np.asarray(loss.sum(dtype=np.float64), dtype=np.float32)
    else:
        out = loss.reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())

    def backward(g):
        g = np.asarray(g, dtype=np.float32)
        if reduction == "none":
            scale = g.reshape(-1, 1)
        else:
            scale = g.reshape(()) / (n if reduction == "mean" else 1)
        dx = scale * (np.exp(logp) * wq.sum(axis=1, keepdims=True) - wq)
        dq = -scale * (1 - smoothing) * logp * (1 if w is None else w)
        return to_input(dx.astype(np.float32)), to_input(dq.astype(np.float32))

    return record(out, (input, target), backward)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C[, d1, ...]) or (C,) and class indices:
    loss_i = -w[t_i] * input[i, t_i] (0 for ignore_index); 'mean' divides by sum_i w[t_i]."""
    fn = "nll_loss"
    _check_reduction(reduction, size_average, reduce, fn)
    x = as_array(input)
    if x.dtype.kind != "f":
        raise TypeError(f"nll_loss: expected a floating point input, got {x.dtype}")
    rows, to_input = _as_rows(x, fn)
    classes = rows.shape[1]
    w = _weight(weight, classes, fn)
    t, target_shape = _class_targets(target, x, fn)
    ignore_index = int(ignore_index)
    _check_bounds(t, classes, ignore_index)
    kept = t != ignore_index
    safe_t = np.where(kept, t, 0)
    wt = np.where(kept, 1.0 if w is None else w[safe_t], 0.0).astype(x.dtype)
    picked = rows[np.arange(len(t)), safe_t]
    loss = -wt * picked
    if reduction == "mean":
        total_weight = wt.sum(dtype=np.float64)
        out = np.asarray(loss.sum(dtype=np.float64) / total_weight if total_weight else np.nan, dtype=x.dtype)
    elif reduction == "sum":
        out = np.asarray(loss.sum(dtype=np.float64), dtype=x.dtype)
    else:
        out = loss.reshape(target_shape)

    def backward(g):
        g = np.asarray(g, dtype=x.dtype)
        if reduction == "none":
            scale = g.reshape(-1)
        elif reduction == "mean":
            scale = g.reshape(()) / total_weight if total_weight else np.zeros((), x.dtype)
        else:
            scale = g.reshape(())
        grad = np.zeros_like(rows)
        grad[np.arange(len(t)), safe_t] = -wt * scale
        return to_input(grad), None

    return record(out, (input, target), backward)
