"""relu and dropout on the elementwise kernels of csrc/nn/activation.c."""
import numbers

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
