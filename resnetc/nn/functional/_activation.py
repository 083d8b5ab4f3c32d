"""Activations and dropout: relu and dropout on the elementwise kernels of csrc/nn/activation.c, the
smaller activations (gelu, elu, mish, ...) in vectorised NumPy."""
import numbers
import warnings

import numpy as np

from resnetc import _C
from resnetc.nn.functional._checks import check_inplace, float32_input, grad_array, rebase_inplace
from resnetc.random import default_generator
from resnetc.tensor import Tensor, as_array, logistic, record
from resnetc.tensor import sigmoid as _tensor_sigmoid
from resnetc.tensor import tanh as _tensor_tanh


def relu(input, inplace=False):
    """max(input, 0) elementwise (NaN stays NaN). The backward masks with the output, so
    in-place ReLU keeps nothing else alive."""
    if inplace:
        check_inplace(input, "relu")
        array = as_array(input)
        if array.dtype != np.float32:
            raise TypeError(f"relu: expected input of dtype float32, got {array.dtype}")
        if array.flags.c_contiguous and array.flags.writeable:
            out = _C.relu_forward(array, True)
        else:
            array[...] = _C.relu_forward(np.ascontiguousarray(array), False)
            out = np.ascontiguousarray(array)
        return rebase_inplace(input, lambda g: (_C.relu_backward(grad_array(g), out),))
    x = float32_input(input, "relu")
    out = _C.relu_forward(x, False)
    return record(out, (input,), lambda g: (_C.relu_backward(grad_array(g), out),))


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).

    The keep-mask is drawn from `generator` (a numpy.random.Generator) or, by default, from
    resnetc.random.default_generator(). Outside training (or with p=0) the input is returned
    unchanged, as torch does.
    """
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    array = as_array(input)
    if array.dtype != np.float32:
        raise TypeError(f"dropout: expected input of dtype float32, got {array.dtype}")
    if not training or p == 0 or array.size == 0:
        return input if isinstance(input, Tensor) else Tensor(array)
    gen = default_generator() if generator is None else generator
    if not isinstance(gen, np.random.Generator):
        raise TypeError(f"dropout: generator must be a numpy.random.Generator, got {type(gen).__name__}")
    keep = gen.random(array.shape, dtype=np.float32) >= np.float32(p)
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)

    def backward(g):
        return (_C.masked_scale(grad_array(g), keep, scale, False),)

    if inplace:
        check_inplace(input, "dropout")
        if array.flags.c_contiguous and array.flags.writeable:
            _C.masked_scale(array, keep, scale, True)
        else:
            array[...] = _C.masked_scale(np.ascontiguousarray(array), keep, scale, False)
        return rebase_inplace(input, backward)
    out = _C.masked_scale(np.ascontiguousarray(array), keep, scale, False)
    return record(out, (input,), backward)


def _pointwise(input, inplace, fn, forward, derivative):
    """An elementwise activation: out = forward(x); the gradient is g * derivative(x, out)."""
    x = float32_input(input, fn)
    with np.errstate(over="ignore", invalid="ignore"):  # inf inputs give torch's inf/NaN, silently
        out = forward(x).astype(np.float32, copy=False)

    def backward(g):
        with np.errstate(over="ignore", invalid="ignore"):
            return (grad_array(g) * derivative(x, out),)

    if not inplace:
        return record(out, (input,), backward)
    check_inplace(input, fn)
    x = x.copy()  # the backward reads the input, which the in-place write replaces
    as_array(input)[...] = out
    return rebase_inplace(input, backward)


_sigmoid = logistic


def _check_float32(input, fn):
    if as_array(input).dtype != np.float32:
        raise TypeError(f"{fn}: expected input of dtype float32, got {as_array(input).dtype}")


def sigmoid(input):
    """1 / (1 + exp(-input)); the gradient is g * out * (1 - out)."""
    _check_float32(input, "sigmoid")
    return _tensor_sigmoid(input)


def tanh(input):
    _check_float32(input, "tanh")
    return _tensor_tanh(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where input > 0, else negative_slope * input."""
    slope = np.float32(negative_slope)
    return _pointwise(input, inplace, "leaky_relu", lambda x: np.where(x > 0, x, x * slope),
                      lambda x, out: np.where(x > 0, np.float32(1), slope))


def silu(input, inplace=False):
    """input * sigmoid(input) (swish); the gradient is s * (1 + x * (1 - s)), s = sigmoid(x)."""
    def derivative(x, out):
        s = _sigmoid(x)
        return s * (1 + x * (1 - s))

    return _pointwise(input, inplace, "silu", lambda x: x * _sigmoid(x), derivative)


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):
    """Channel dropout for (N, C, H, W) input (or (N, C, L), as torch warns): zeroes whole
    channels with probability p and scales the kept ones by 1/(1-p). The mask is drawn as in
    dropout, one draw per (sample, channel)."""
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    array = as_array(input)
    if array.dtype != np.float32:
        raise TypeError(f"dropout2d: expected input of dtype float32, got {array.dtype}")
    if array.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 4-D (N, C, H, W) input, got shape {tuple(array.shape)}")
    if array.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    if not training or p == 0 or array.size == 0:
        return input if isinstance(input, Tensor) else Tensor(array)
    gen = default_generator() if generator is None else generator
    if not isinstance(gen, np.random.Generator):
        raise TypeError(f"dropout2d: generator must be a numpy.random.Generator, got {type(gen).__name__}")
    keep = gen.random(array.shape[:2], dtype=np.float32) >= np.float32(p)
    scale = np.float32(0.0 if p == 1 else 1.0 / (1.0 - p))
    factor = (keep * scale).astype(np.float32).reshape(array.shape[:2] + (1,) * (array.ndim - 2))

    def backward(g):
        return (grad_array(g) * factor,)

    if inplace:
        check_inplace(input, "dropout2d")
        array *= factor
        return rebase_inplace(input, backward)
    return record(array * factor, (input,), backward)


def relu6(input, inplace=False):
    """min(max(input, 0), 6); the gradient is 1 strictly between 0 and 6 (torch's hardtanh)."""
    return _pointwise(input, inplace, "relu6", lambda x: np.clip(x, np.float32(0), np.float32(6)),
                      lambda x, out: ((x > 0) & (x < 6)).astype(np.float32))


def elu(input, alpha=1.0, inplace=False):
    """input where input > 0, else alpha * (exp(input) - 1); the gradient there is alpha * exp(input)."""
    a = np.float32(alpha)
    return _pointwise(input, inplace, "elu", lambda x: np.where(x > 0, x, a * np.expm1(x)),
                      lambda x, out: np.where(x > 0, np.float32(1), a * np.exp(x)))


def hardswish(input, inplace=False):
    """input * relu6(input + 3) / 6: 0 below -3, input above 3, input (input + 3) / 6 between."""
    def forward(x):
        return np.where(x <= -3, np.float32(0), np.where(x >= 3, x, x * (x + 3) / np.float32(6)))

    def derivative(x, out):  # torch's: x / 3 + 1/2 on (-3, 3), 0 at -3 and 1 at 3
        return np.where(x <= -3, np.float32(0), np.where(x < 3, x / np.float32(3) + np.float32(0.5), np.float32(1)))

    return _pointwise(input, inplace, "hardswish", forward, derivative)


def mish(input, inplace=False):
    """input * tanh(softplus(input)); the gradient is t + input * sigmoid(input) * (1 - t^2), t = tanh(softplus)."""
    def derivative(x, out):
        t = np.tanh(np.logaddexp(np.float32(0), x))
        return t + x * _sigmoid(x) * (1 - t * t)

    return _pointwise(input, inplace, "mish", lambda x: x * np.tanh(np.logaddexp(np.float32(0), x)), derivative)


_SQRT_2_OVER_PI = np.float64(np.sqrt(2.0 / np.pi))


def _erfc(z):
    """erfc of a float64 array, with relative error below 1.2e-7 everywhere (Numerical Recipes'
    Chebyshev fit), so that gelu's left tail, x * erfc(-x / sqrt 2) / 2, keeps float32 accuracy
    where 1 + erf(x) would cancel."""
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (
        0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    r = t * np.exp(-a * a + poly)
    return np.where(z >= 0, r, 2.0 - r)


def gelu(input, approximate="none"):
    """input * Phi(input), Phi the standard normal CDF; approximate="tanh" uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Computed in float64, rounded to float32."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
    if approximate == "tanh":
        def forward(x):
            x = x.astype(np.float64)
            return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))

        def derivative(x, out):
            x = x.astype(np.float64)
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return d.astype(np.float32)
    else:
        def forward(x):
            x = x.astype(np.float64)
            return 0.5 * x * _erfc(-x / np.sqrt(2.0))

        def derivative(x, out):
            x = x.astype(np.float64)
            d = 0.5 * _erfc(-x / np.sqrt(2.0)) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
            return d.astype(np.float32)

    return _pointwise(input, False, "gelu", forward, derivative)


def prelu(input, weight):
    """input where input > 0, else weight * input; weight has one element or one per channel
    (dimension 1 of the input). The weight's gradient sums g * input where input <= 0."""
    x = float32_input(input, "prelu")
    w = float32_input(weight, "prelu", "weight")
    if w.ndim > 1 or (w.size != 1 and (x.ndim < 2 or w.size != x.shape[1])):
        channels = x.shape[1] if x.ndim >= 2 else 1
        raise ValueError(f"prelu: mismatch of parameter numbers and input channel size. Found parameter "
                         f"numbers = {w.size} and channel size = {channels}.")
    shape = (1, -1) + (1,) * (x.ndim - 2) if w.size != 1 else (1,) * x.ndim
    wb = w.reshape(shape) if x.ndim else w.reshape(())
    positive = x > 0
    out = np.where(positive, x, wb * x)

    def backward(g):
        g = grad_array(g)
        dw = np.where(positive, np.float32(0), x * g)
        if w.size == 1:
            dw = np.asarray(dw.sum(dtype=np.float64), np.float32).reshape(w.shape)
        else:
            dw = dw.sum(axis=tuple(i for i in range(x.ndim) if i != 1), dtype=np.float64).astype(np.float32)
        return np.where(positive, g, wb * g), dw.reshape(w.shape)

    return record(out, (input, weight), backward)
