"""conv2d and linear (torch.nn.functional's), on resnetc's GEMM engine, with autograd.

conv2d unfolds each image (im2col) and multiplies by the weight as a (K, C/groups*KH*KW)
matrix; 1x1 stride-1 convolutions use the image directly. Backward computes only the
gradients that are needed: the input's (W^T @ grad, folded back by col2im) only when the
input requires grad, e.g. never for the first convolution on images.
"""
import numpy as np

from resnetc import _C
from resnetc.tensor import Tensor, as_array, record

_float32 = np.dtype(np.float32)


def _needs_grad(x):
    return isinstance(x, Tensor) and x.requires_grad


def _float32_array(x, fn, name):
    array = as_array(x)
    if array.dtype != _float32:
        raise TypeError(f"{fn}: expected {name} of dtype float32, got {array.dtype}")
    return np.ascontiguousarray(array)


def _pair(value, fn, name):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    if (isinstance(value, (tuple, list)) and len(value) in (1, 2)
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
        return (int(value[0]), int(value[-1]))
    raise TypeError(f"{fn}: {name} must be an int or a tuple of two ints, got {value!r}")


def _shape_str(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _conv_padding(padding, kernel, dilation, stride):
    """(symmetric padding, extra padding at the bottom/right) for an int, tuple or string."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
            # torch puts the odd leftover of the total padding at the bottom/right.
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)
        raise ValueError(f"conv2d: Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    pad = _pair(padding, "conv2d", "padding")
    if min(pad) < 0:
        raise ValueError(f"conv2d: negative padding is not supported, got {pad}")
    return pad, (0, 0)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an (N, C, H, W) or (C, H, W) float32 input, like torch's.

    weight is (K, C/groups, KH, KW), bias (K,) or None. padding is an int, a pair, 'valid' or
    'same' (stride 1 only; an odd total padding puts the extra row/column at the bottom/right,
    as torch does)."""
    x = _float32_array(input, "conv2d", "input")
    w = _float32_array(weight, "conv2d", "weight")
    b = None if bias is None else _float32_array(bias, "conv2d", "bias")
    stride = _pair(stride, "conv2d", "stride")
    dilation = _pair(dilation, "conv2d", "dilation")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise TypeError(f"conv2d: groups must be an int, got {groups!r}")
    if min(stride) <= 0:
        raise ValueError(f"conv2d: non-positive stride is not supported, got {stride}")
    if min(dilation) <= 0:
        raise ValueError(f"conv2d: dilation should be greater than zero, got {dilation}")
    if groups <= 0:
        raise ValueError(f"conv2d: non-positive groups is not supported, got {groups}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: expected weight to be 4-dimensional (out_channels, in_channels/groups, kH, kW), "
                         f"but got weight of size {_shape_str(w.shape)} instead")
    if x.ndim not in (3, 4):
        raise ValueError(f"conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, "
                         f"but got input of size: {_shape_str(x.shape)}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if w.shape[0] % groups:
        raise ValueError(f"conv2d: Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                         f"but got weight of size {_shape_str(w.shape)} instead")
    if x.shape[1] != w.shape[1] * groups:
        shown = x.shape[1:] if unbatched else x.shape
        raise ValueError(f"conv2d: Given groups={groups}, weight of size {_shape_str(w.shape)}, expected "
                         f"input{_shape_str(shown)} to have {w.shape[1] * groups} channels, but got "
                         f"{x.shape[1]} channels instead")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"conv2d: expected bias of shape ({w.shape[0]},), got {tuple(b.shape)}")
    pad, extra = _conv_padding(padding, w.shape[2:], dilation, stride)
    if extra != (0, 0):
        x = np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    span = [d * (k - 1) + 1 for d, k in zip(dilation, w.shape[2:])]
    if x.shape[2] + 2 * pad[0] < span[0] or x.shape[3] + 2 * pad[1] < span[1]:
        raise ValueError(f"conv2d: Calculated padded input size per channel: ({x.shape[2] + 2 * pad[0]} x "
                         f"{x.shape[3] + 2 * pad[1]}). Kernel size: ({span[0]} x {span[1]}). "
                         f"Kernel size can't be greater than actual input size")

    out = _C.conv2d_forward(x, w, b, stride, pad, dilation, int(groups))
    if unbatched:
        out = out[0]
    need_x, need_w, need_b = _needs_grad(input), _needs_grad(weight), _needs_grad(bias)
    in_shape = tuple(as_array(input).shape)

    def backward(grad):
        g = np.ascontiguousarray(grad, dtype=_float32)
        if unbatched:
            g = g[None]
        dx = dw = db = None
        if need_x:
            dx = _C.conv2d_backward_data(g, w, x.shape, stride, pad, dilation, int(groups))
            if extra != (0, 0):
                dx = dx[:, :, :dx.shape[2] - extra[0], :dx.shape[3] - extra[1]]
            dx = dx.reshape(in_shape)
        if need_w or need_b:
            dw, db = _C.conv2d_backward_weight(g, x, w.shape, stride, pad, dilation, int(groups), need_b)
        return dx, dw if need_w else None, db

    return record(out, (input, weight, bias), backward)


def linear(input, weight, bias=None):
    """y = x W^T + b over the last dimension of an input of any leading shape, like torch's."""
    x = _float32_array(input, "linear", "input")
    w = _float32_array(weight, "linear", "weight")
    b = None if bias is None else _float32_array(bias, "linear", "bias")
    if w.ndim != 2:
        raise ValueError(f"linear: expected weight to be 2-dimensional (out_features, in_features), "
                         f"got shape {tuple(w.shape)}")
    if x.ndim == 0:
        raise ValueError("linear: input must have at least 1 dimension, got a 0-d array")
    if x.shape[-1] != w.shape[1]:
        rows = int(np.prod(x.shape[:-1], dtype=np.int64))
        raise ValueError(f"linear: mat1 and mat2 shapes cannot be multiplied "
                         f"({rows}x{x.shape[-1]} and {w.shape[1]}x{w.shape[0]})")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"linear: expected bias of shape ({w.shape[0]},), got {tuple(b.shape)}")
    x2 = x.reshape(-1, w.shape[1])
    out = _C.linear_forward(x2, w, b).reshape(x.shape[:-1] + (w.shape[0],))
    need_x, need_w, need_b = _needs_grad(input), _needs_grad(weight), _needs_grad(bias)

    def backward(grad):
        g = np.ascontiguousarray(grad, dtype=_float32).reshape(-1, w.shape[0])
        dx = dw = db = None
        if need_x:
            dx = _C.linear_backward_data(g, w).reshape(x.shape)
        if need_w or need_b:
            dw, db = _C.linear_backward_weight(g, x2, need_b)
        return dx, dw if need_w else None, db

    return record(out, (input, weight, bias), backward)
