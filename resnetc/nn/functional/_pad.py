"""pad: torch.nn.functional.pad's constant, reflect, replicate and circular modes, in NumPy.

`pad` lists (left, right) pairs from the last dimension backwards. Constant padding takes any
dimensions, and negative amounts crop. The other modes map every output index to one input
index per padded dimension, so the forward is a gather and the backward a scatter-add.
"""
import numbers

import numpy as np

from resnetc.nn.functional._checks import grad_array
from resnetc.tensor import as_array, record

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n, left, right, mode, dim, shape):
    """For each output position along a dimension of size n, the input position it copies."""
    j = np.arange(-left, n + right)
    if mode == "reflect":
        if left >= n or right >= n:
            raise ValueError(f"pad: padding size should be less than the corresponding input dimension, but got: "
                             f"padding ({left}, {right}) at dimension {dim} of input {tuple(shape)}")
        j = np.abs(j)
        return np.where(j >= n, 2 * (n - 1) - j, j)
    if mode == "replicate":
        if n == 0:
            raise ValueError(f"pad: cannot replicate-pad an empty dimension {dim} of input {tuple(shape)}")
        return np.clip(j, 0, n - 1)
    # circular: negative amounts crop first, and the padding wraps around what is left (torch)
    lo, hi = max(-left, 0), n - max(-right, 0)
    kept, before, after = hi - lo, max(left, 0), max(right, 0)
    if before > kept or after > kept:
        raise ValueError("pad: padding value causes wrapping around more than once.")
    return lo + np.arange(-before, kept + after) % kept


def pad(input, pad, mode="constant", value=None):
    """Pads (or, with negative amounts in constant mode, crops) the last len(pad) // 2 dimensions.
    Modes other than constant pad the last 1-3 dimensions of a 2-5-D input, with a batch
    dimension or without, as torch. The gradient flows to float inputs."""
    x = as_array(input)
    if not isinstance(pad, (tuple, list)) or not all(isinstance(v, numbers.Integral) for v in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: padding length must be divisible by 2 and at most twice the number of "
                         f"dimensions of the input, got {len(pad)} for a {x.ndim}-D input")
    if mode not in _MODES:
        raise NotImplementedError(f"pad: mode {mode!r} is not supported; expected one of {_MODES}")
    pairs = [(x.ndim - 1 - i, int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    if mode == "constant":
        return _pad_constant(input, x, pairs, 0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    k = len(pairs)
    if k > 3 or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: {mode} padding of {k} dimension(s) takes a {k + 1}-D or {k + 2}-D input, "
                                  f"got a {x.ndim}-D input")
    maps = [(dim, _source_index(x.shape[dim], left, right, mode, dim, x.shape)) for dim, left, right in pairs]
    out = x
    for dim, index in maps:
        out = np.take(out, index, axis=dim)

    def backward(g):
        g = grad_array(g)
        for dim, index in reversed(maps):
            moved = np.moveaxis(g, dim, 0)
            acc = np.zeros((x.shape[dim],) + moved.shape[1:], np.float32)
            np.add.at(acc, index, moved)
            g = np.moveaxis(acc, 0, dim)
        return (np.ascontiguousarray(g),)

    return record(np.ascontiguousarray(out), (input,), backward)


def _pad_constant(input, x, pairs, value):
    out_shape, src, dst = list(x.shape), [slice(None)] * x.ndim, [slice(None)] * x.ndim
    for dim, left, right in pairs:
        n = x.shape[dim]
        size = n + left + right
        if size < 0:
            raise ValueError(f"pad: the input size {n}, plus negative padding {left} and {right} resulted in a "
                             f"negative output size, which is invalid. Check dimension {dim} of your input.")
        out_shape[dim] = size
        start, stop = max(-left, 0), n - max(-right, 0)
        kept = max(stop - start, 0)
        src[dim] = slice(start, start + kept)
        dst[dim] = slice(max(left, 0), max(left, 0) + kept)
    src, dst = tuple(src), tuple(dst)
    out = np.full(out_shape, value, dtype=x.dtype)
    out[dst] = x[src]

    def backward(g):
        grad = np.zeros(x.shape, np.float32)
        grad[src] = grad_array(g)[dst]
        return (grad,)

    return record(out, (input,), backward)
