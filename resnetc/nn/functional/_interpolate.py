"""interpolate: torch.nn.functional.interpolate for (N, C, H, W) input, in NumPy.

Modes nearest, nearest-exact, bilinear (align_corners False or True) and area. Each output
row (column) reads one input row (column) for the nearest modes, two with weights for bilinear,
computed in float32 with torch's formulas, so the same pixels are picked. Forward is a gather
along H then W; backward multiplies by the transposed (sparse-as-dense) interpolation matrices.
"""
import math
import numbers

import numpy as np

from resnetc.nn.functional._checks import float32_input, grad_array
from resnetc.nn.functional._pool import adaptive_avg_pool2d
from resnetc.tensor import record

_MODES = ("nearest", "nearest-exact", "bilinear", "area")


def _inverse_scale(in_size, out_size, scale_factor):
    """torch's compute_scales_value: 1 / scale_factor when one was given, else in / out (float32)."""
    if scale_factor is not None and scale_factor > 0:
        return np.float32(1.0 / scale_factor)
    return np.float32(in_size) / np.float32(out_size)


def _nearest_index(in_size, out_size, scale_factor, exact):
    """torch's nearest_idx / nearest_neighbor_exact_compute_source_index."""
    dst = np.arange(out_size, dtype=np.float32)
    if not exact and out_size == in_size:
        return np.arange(out_size)
    if not exact and out_size == 2 * in_size:
        return np.arange(out_size) >> 1
    scale = _inverse_scale(in_size, out_size, scale_factor)
    src = np.floor((dst + np.float32(0.5)) * scale if exact else dst * scale)
    return np.minimum(src.astype(np.int64), in_size - 1)


def _linear_taps(in_size, out_size, scale_factor, align_corners):
    """For each output position: the two input positions and their weights (float32), as
    torch's area_pixel_compute_source_index and guard_index_and_lambda."""
    dst = np.arange(out_size, dtype=np.float32)
    if align_corners:
        scale = np.float32(in_size - 1) / np.float32(out_size - 1) if out_size > 1 else np.float32(0)
        src = scale * dst
    else:
        scale = _inverse_scale(in_size, out_size, scale_factor)
        src = np.maximum(scale * (dst + np.float32(0.5)) - np.float32(0.5), np.float32(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - i0.astype(np.float32), np.float32(0), np.float32(1))
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (np.float32(1) - lam).astype(np.float32), lam.astype(np.float32)


def _matrix(taps, in_size):
    """The (out, in) interpolation matrix of a list of (index, weight) taps."""
    first = taps[0][0]
    m = np.zeros((first.size, in_size), np.float32)
    rows = np.arange(first.size)
    for index, weight in taps:
        np.add.at(m, (rows, index), weight)
    return m


def _sizes(x, size, scale_factor, fn):
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    H, W = x.shape[2], x.shape[3]
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        if len(out) != 2 or not all(isinstance(v, numbers.Integral) and v > 0 for v in out):
            raise ValueError(f"{fn}: size must be a positive int or a pair of them for a 4-D input, got {size!r}")
        return (int(out[0]), int(out[1])), (None, None)
    scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if len(scales) != 2 or not all(isinstance(v, numbers.Real) and v > 0 for v in scales):
        raise ValueError(f"{fn}: scale_factor must be a positive number or a pair of them, got {scale_factor!r}")
    out = (math.floor(H * float(scales[0])), math.floor(W * float(scales[1])))
    if min(out) <= 0:
        raise ValueError(f"{fn}: scale_factor {scale_factor!r} gives an empty output for input size {(H, W)}")
    return out, (float(scales[0]), float(scales[1]))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes an (N, C, H, W) float32 input to `size` or by `scale_factor`.

    As torch: with scale_factor the output is floor(in * scale) and the source positions use
    1 / scale_factor (unless recompute_scale_factor=True, which uses in / out); "nearest" picks
    floor(dst * scale), "nearest-exact" floor((dst + 0.5) * scale); "bilinear" with
    align_corners=False samples at (dst + 0.5) * scale - 0.5 clamped at 0, with
    align_corners=True at dst * (in - 1) / (out - 1); "area" is adaptive average pooling.
    """
    fn = "interpolate"
    if mode not in _MODES:
        raise NotImplementedError(f"{fn}: mode {mode!r} is not supported; resnetc supports {_MODES} for 4-D input")
    if align_corners is not None and mode != "bilinear":
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError(f"{fn}: antialias=True is not supported")
    x = float32_input(input, fn)
    if x.ndim != 4:
        raise NotImplementedError(f"{fn}: resnetc supports 4-D (N, C, H, W) input only, got shape {tuple(x.shape)}")
    (OH, OW), scales = _sizes(x, size, scale_factor, fn)
    if recompute_scale_factor:
        scales = (None, None)
    if mode == "area":
        return adaptive_avg_pool2d(input, (OH, OW))
    H, W = x.shape[2], x.shape[3]
    if mode == "bilinear":
        corners = bool(align_corners)
        h0, h1, hl0, hl1 = _linear_taps(H, OH, scales[0], corners)
        w0, w1, wl0, wl1 = _linear_taps(W, OW, scales[1], corners)
        rows = wl0 * x[..., w0] + wl1 * x[..., w1]  # (N, C, H, OW): width first, as torch's kernel
        out = hl0[:, None] * rows[:, :, h0, :] + hl1[:, None] * rows[:, :, h1, :]
        mh, mw = _matrix([(h0, hl0), (h1, hl1)], H), _matrix([(w0, wl0), (w1, wl1)], W)
    else:
        exact = mode == "nearest-exact"
        hi, wi = _nearest_index(H, OH, scales[0], exact), _nearest_index(W, OW, scales[1], exact)
        out = x[:, :, hi, :][..., wi]
        one_h, one_w = np.ones(OH, np.float32), np.ones(OW, np.float32)
        mh, mw = _matrix([(hi, one_h)], H), _matrix([(wi, one_w)], W)

    def backward(g):
        return (np.ascontiguousarray(mh.T @ grad_array(g) @ mw),)  # (H, OH) @ (N, C, OH, OW) @ (OW, W)

    return record(np.ascontiguousarray(out, dtype=np.float32), (input,), backward)
