"""2-D pooling (max, average, adaptive average) on the kernels of csrc/nn/pool.c; adaptive max in NumPy.

Output sizes follow torch: ``floor((size + 2*pad - dilation*(k-1) - 1) / stride) + 1``, and with
ceil_mode the division rounds up, except that the last window must start inside the input or
its left padding.
"""
import numbers

import numpy as np

from resnetc import _C
from resnetc.nn.functional._checks import float32_input, grad_array
from resnetc.nn.functional._conv import _pair
from resnetc.tensor import Tensor, record


def _output_size(size, k, s, p, d, ceil_mode):
    numerator = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = numerator // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _nchw(input, fn):
    """The input as a 4-D float32 array, and whether it was an unbatched (C, H, W) one."""
    x = float32_input(input, fn)
    if x.ndim not in (3, 4) or any(n == 0 for n in x.shape[1:]):
        raise ValueError(f"{fn}: expected a non-empty 3D (C, H, W) or 4D (N, C, H, W) input, "
                         f"got shape {tuple(x.shape)}")
    return (x[None], True) if x.ndim == 3 else (x, False)


def _geometry(x, fn, kernel_size, stride, padding, dilation, ceil_mode):
    k = _pair(kernel_size, fn, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _pair(stride, fn, "stride")
    p = _pair(padding, fn, "padding")
    d = _pair(dilation, fn, "dilation")
    if min(k) <= 0:
        raise ValueError(f"{fn}: kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if min(s) <= 0:
        raise ValueError(f"{fn}: stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if min(d) <= 0:
        raise ValueError(f"{fn}: dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    for i in range(2):
        if p[i] < 0 or p[i] > k[i] // 2:
            raise ValueError(f"{fn}: pad should be at most half of effective kernel size, but got "
                             f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    H, W = x.shape[2], x.shape[3]
    o = (_output_size(H, k[0], s[0], p[0], d[0], ceil_mode), _output_size(W, k[1], s[1], p[1], d[1], ceil_mode))
    if min(o) < 1:
        C = x.shape[1]
        raise ValueError(f"{fn}: Given input size: ({C}x{H}x{W}). Calculated output size: "
                         f"({C}x{o[0]}x{o[1]}). Output size is too small")
    return k, s, p, d, o


def _squeeze(array, unbatched):
    return array[0] if unbatched else array


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (dilated) windows; the gradient goes to the first maximum of each window.
    With return_indices, also returns each maximum's flat index h*W + w in its input plane."""
    x, unbatched = _nchw(input, "max_pool2d")
    k, s, p, d, o = _geometry(x, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)
    out, indices = _C.max_pool2d_forward(x, k, s, p, d, o)
    H, W = x.shape[2], x.shape[3]

    def backward(g):
        g = grad_array(g).reshape(indices.shape)
        return (_squeeze(_C.max_pool2d_backward(g, indices, H, W), unbatched),)

    result = record(_squeeze(out, unbatched), (input,), backward)
    if return_indices:
        return result, Tensor(_squeeze(indices, unbatched))
    return result


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over windows. The divisor is divisor_override if given, else the window's size
    clipped to the padded input (count_include_pad=True) or to the input itself."""
    x, unbatched = _nchw(input, "avg_pool2d")
    k, s, p, _, o = _geometry(x, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is None:
        divisor = 0
    elif isinstance(divisor_override, numbers.Integral) and divisor_override > 0:
        divisor = int(divisor_override)
    else:
        raise ValueError(f"avg_pool2d: divisor must be a positive int, got {divisor_override!r}")
    include = bool(count_include_pad)
    out = _C.avg_pool2d_forward(x, k, s, p, o, include, divisor)
    H, W = x.shape[2], x.shape[3]

    def backward(g):
        g = grad_array(g).reshape(out.shape)
        return (_squeeze(_C.avg_pool2d_backward(g, (H, W), k, s, p, include, divisor), unbatched),)

    return record(_squeeze(out, unbatched), (input,), backward)


def _adaptive_output_size(output_size, H, W, op):
    """(oh, ow) of an adaptive pool: an int or a pair, where None keeps the input's size."""
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = (H if output_size[0] is None else output_size[0], W if output_size[1] is None else output_size[1])
    oh, ow = _pair(output_size, op, "output_size")
    if oh <= 0 or ow <= 0:
        raise ValueError(f"{op}: output_size must be positive, got ({oh}, {ow})")
    return oh, ow


def adaptive_avg_pool2d(input, output_size):
    """Averages the input into an output_size grid: output row i covers input rows
    [floor(i*H/OH), ceil((i+1)*H/OH)) (likewise for columns). None keeps the input's size;
    output_size 1 is global average pooling."""
    x, unbatched = _nchw(input, "adaptive_avg_pool2d")
    H, W = x.shape[2], x.shape[3]
    oh, ow = _adaptive_output_size(output_size, H, W, "adaptive_avg_pool2d")
    out = _C.adaptive_avg_pool2d_forward(x, (oh, ow))

    def backward(g):
        g = grad_array(g).reshape(out.shape)
        return (_squeeze(_C.adaptive_avg_pool2d_backward(g, (H, W)), unbatched),)

    return record(_squeeze(out, unbatched), (input,), backward)


def _adaptive_bounds(size, out_size):
    """Window i covers [floor(i * size / out), ceil((i + 1) * size / out)), as torch."""
    i = np.arange(out_size)
    return (i * size) // out_size, -((-(i + 1) * size) // out_size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over the adaptive windows of adaptive_avg_pool2d (NumPy, one vectorised reduction per
    output cell). The gradient goes to the first maximum of each window (a NaN counts as the
    maximum); with return_indices, also returns its flat index h*W + w in the input plane."""
    x, unbatched = _nchw(input, "adaptive_max_pool2d")
    N, C, H, W = x.shape
    oh, ow = _adaptive_output_size(output_size, H, W, "adaptive_max_pool2d")
    hs, he = _adaptive_bounds(H, oh)
    ws, we = _adaptive_bounds(W, ow)
    out = np.empty((N, C, oh, ow), np.float32)
    indices = np.empty((N, C, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, hs[i]:he[i], ws[j]:we[j]].reshape(N, C, -1)
            arg = window.argmax(axis=2)  # the first maximum; NaN wins, as torch
            out[:, :, i, j] = np.take_along_axis(window, arg[..., None], axis=2)[..., 0]
            width = we[j] - ws[j]
            indices[:, :, i, j] = (hs[i] + arg // width) * W + ws[j] + arg % width

    def backward(g):
        g = grad_array(g).reshape(N * C, oh * ow)
        grad = np.zeros((N * C, H * W), np.float32)
        np.add.at(grad, (np.arange(N * C)[:, None], indices.reshape(N * C, -1)), g)
        return (_squeeze(grad.reshape(N, C, H, W), unbatched),)

    result = record(_squeeze(out, unbatched), (input,), backward)
    if return_indices:
        return result, Tensor(_squeeze(indices, unbatched))
    return result
