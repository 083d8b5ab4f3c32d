"""torch's top-level tensor functions (torch.max, torch.softmax, torch.sigmoid, torch.topk...),
each the Tensor method of the same name; NumPy arrays are accepted and wrapped."""
import numpy as np

from resnetc.tensor import Tensor
from resnetc.tensor import maximum as _maximum
from resnetc.tensor import minimum as _minimum

__all__ = ["abs", "amax", "amin", "argmax", "argmin", "clamp", "exp", "flatten", "log", "log_softmax", "matmul",
           "max", "maximum", "mean", "min", "minimum", "sigmoid", "softmax", "sqrt", "squeeze", "sum", "tanh", "topk", "unsqueeze"]


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _method(name, doc):
    def function(input, *args, **kwargs):
        return getattr(_tensor(input), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


abs = _method("abs", "|input| elementwise.")
amax = _method("amax", "The maximum over `dim` (all of input by default).")
amin = _method("amin", "The minimum over `dim` (all of input by default).")
argmax = _method("argmax", "The index of the maximum (of the flattened input without `dim`).")
argmin = _method("argmin", "The index of the minimum (of the flattened input without `dim`).")
clamp = _method("clamp", "input clipped to [min, max].")
exp = _method("exp", "exp(input) elementwise.")
flatten = _method("flatten", "input with dimensions start_dim..end_dim merged.")
log = _method("log", "log(input) elementwise.")
log_softmax = _method("log_softmax", "log(softmax(input, dim)).")
matmul = _method("matmul", "The matrix product of two 2-D tensors.")
maximum = _maximum
minimum = _minimum


def _extreme(name, elementwise, doc):
    method = _method(name, doc)

    def function(input, *args, **kwargs):
        if args and isinstance(args[0], (Tensor, np.ndarray)):  # torch.max(a, b): elementwise
            return elementwise(input, args[0])
        return method(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


max = _extreme("max", maximum, "The maximum; with `dim`, a (values, indices) pair (`_, predicted = "
               "resnetc.max(logits, 1)`); with a second tensor, the elementwise maximum.")
mean = _method("mean", "The mean over `dim` (all of input by default).")
min = _extreme("min", minimum, "The minimum; with `dim`, a (values, indices) pair; with a second tensor, "
               "the elementwise minimum.")
sigmoid = _method("sigmoid", "1 / (1 + exp(-input)) elementwise.")
softmax = _method("softmax", "exp(input) normalised to sum to 1 along `dim`.")
sqrt = _method("sqrt", "sqrt(input) elementwise.")
squeeze = _method("squeeze", "input without its dimensions of size 1 (only `dim` when given).")
sum = _method("sum", "The sum over `dim` (all of input by default).")
tanh = _method("tanh", "tanh(input) elementwise.")
topk = _method("topk", "The k largest entries along `dim` (the last by default) and their indices.")
unsqueeze = _method("unsqueeze", "input with a dimension of size 1 inserted at `dim`.")
