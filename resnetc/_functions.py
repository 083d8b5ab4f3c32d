"""torch's top-level tensor functions (torch.max, torch.softmax, torch.sigmoid, torch.topk...),
each the Tensor method of the same name; NumPy arrays are accepted and wrapped. Also torch's
tensor predicates and constructors (is_tensor, as_tensor, Size, FloatTensor...)."""
import numpy as np

from resnetc import _dtypes
from resnetc.tensor import Tensor, cat, check_device
from resnetc.tensor import maximum as _maximum
from resnetc.tensor import minimum as _minimum

__all__ = ["abs", "amax", "amin", "argmax", "argmin", "clamp", "clip", "exp", "flatten", "log", "log_softmax",
           "matmul", "max", "maximum", "mean", "min", "minimum", "sigmoid", "softmax", "sqrt", "squeeze", "sum", "tanh",
           "topk", "unsqueeze", "is_tensor", "is_floating_point", "numel", "as_tensor", "Size", "FloatTensor",
           "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor", "vstack", "hstack", "reshape",
           "transpose", "permute", "get_default_dtype"]


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
clamp = clip = _method("clamp", "input clipped to [min, max].")
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
reshape = _method("reshape", "input with a new shape (one entry may be -1).")
transpose = _method("transpose", "input with dimensions dim0 and dim1 swapped.")
permute = _method("permute", "input with its dimensions reordered.")


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.kind == "f"


def numel(input):
    return input.numel()


def get_default_dtype():
    return _dtypes.DEFAULT_FLOAT


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory with a Tensor or ndarray of the same dtype (a copy
    otherwise); Python floats become float32."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == dtype else data.to(dtype)
    return Tensor(data, dtype=dtype)


class Size(tuple):
    """torch.Size: a tuple of dimension sizes with ``numel()``."""

    def numel(self):
        return int(np.prod(self, dtype=np.int64))

    def __repr__(self):
        return f"torch.Size({list(self)})"


def _legacy_constructor(name, dtype):
    def constructor(*args, device=None):
        """torch.<name>(data) or torch.<name>(*sizes) (uninitialised; zeros here)."""
        check_device(device)
        if not args or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return Tensor(np.zeros(args, dtype))
        if len(args) == 1 and isinstance(args[0], Size):
            return Tensor(np.zeros(tuple(args[0]), dtype))
        if len(args) != 1:
            raise TypeError(f"{name}() takes sizes or one sequence of data")
        return Tensor(np.array(args[0].array if isinstance(args[0], Tensor) else args[0], dtype=dtype))

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = constructor.__doc__.replace("<name>", name)
    return constructor


FloatTensor = _legacy_constructor("FloatTensor", _dtypes.float32)
DoubleTensor = _legacy_constructor("DoubleTensor", _dtypes.float64)
LongTensor = _legacy_constructor("LongTensor", _dtypes.int64)
IntTensor = _legacy_constructor("IntTensor", _dtypes.int32)
BoolTensor = _legacy_constructor("BoolTensor", _dtypes.bool)
ByteTensor = _legacy_constructor("ByteTensor", _dtypes.uint8)


def vstack(tensors):
    """Rows of the tensors stacked (1-D tensors become rows)."""
    return cat([reshape(t, (1, -1)) if t.ndim < 2 else t for t in map(_tensor, tensors)], 0)


def hstack(tensors):
    """Tensors joined along their columns (along dim 0 for 1-D tensors)."""
    tensors = [_tensor(t) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)
