"""torch's dtype names (resnetc.float, resnetc.long, ...) as NumPy dtypes, and torch's type
promotion for binary ops.

torch's rule, unlike NumPy's, keeps a tensor's dtype against scalars: a Python or NumPy scalar, or
a 0-dim tensor, raises the result's dtype only if it is of a higher category (bool < integer <
floating), and then a float scalar gives the default float32, not float64. So
``float32_tensor * np.float64(0.5)`` is float32 and ``int64_tensor * 0.5`` is float32. Integer
and float operands mix to the float one (int64 + float16 is float16, not NumPy's float64).
"""
import builtins

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)

DEFAULT_FLOAT = float32

__all__ = ["float16", "half", "float32", "float", "float64", "double", "uint8", "int8", "int16", "short", "int32",
           "int", "int64", "long", "bool"]

_NAMES = {float16: "Half", float32: "Float", float64: "Double", uint8: "Byte", int8: "Char", int16: "Short",
          int32: "Int", int64: "Long", bool: "Bool"}


def torch_name(dtype):
    """torch's name of a scalar type, as in its error messages ('Float', 'Long')."""
    dtype = np.dtype(dtype)
    return _NAMES.get(dtype, str(dtype))


def tensor_type_name(dtype):
    """torch's legacy tensor-type name of a dtype ('torch.FloatTensor')."""
    return f"torch.{torch_name(dtype)}Tensor"


def dtype_of_type_name(name):
    """The dtype behind a legacy tensor-type name, or None if it names none."""
    return {tensor_type_name(d): np.dtype(d) for d in _NAMES}.get(name)


def _category(dtype):
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(dtype.kind, 3)


def promote_types(a, b):
    """torch.promote_types: within a category NumPy's promotion; across, the higher one."""
    if a is None or b is None:
        return b if a is None else a
    ca, cb = _category(a), _category(b)
    if ca == cb:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _combine(higher, lower):
    """Lower-priority operands (0-dim, then scalars) count only if of a higher category."""
    if higher is None:
        return lower
    if lower is None or _category(higher) >= _category(lower):
        return higher
    return promote_types(higher, lower)


def _scalar_dtype(x):
    if isinstance(x, (builtins.bool, np.bool_)):
        return bool
    if isinstance(x, (builtins.int, np.integer)):
        return int64
    return DEFAULT_FLOAT


def is_scalar(x):
    return isinstance(x, (builtins.bool, builtins.int, builtins.float, np.bool_, np.integer, np.floating))


def result_type(*operands):
    """The dtype torch gives a binary op on `operands` (Tensors, ndarrays, Python/NumPy scalars)."""
    dims = zeros = scalars = None
    for x in operands:
        if is_scalar(x):
            scalars = promote_types(scalars, _scalar_dtype(x))
            continue
        array = x.array if hasattr(x, "array") else np.asarray(x)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"unsupported operand of type {type(x).__name__} (dtype {array.dtype}): "
                            f"tensor ops take numbers, arrays and tensors")
        if array.ndim:
            dims = promote_types(dims, array.dtype)
        else:
            zeros = promote_types(zeros, array.dtype)
    return _combine(dims, _combine(zeros, scalars))


def cast(x, dtype):
    """x's values as an ndarray of `dtype` (integers wrap, like torch's scalar conversion)."""
    array = x.array if hasattr(x, "array") else np.asarray(x)
    return array if array.dtype == dtype else array.astype(dtype)


def can_cast(src, dst):
    """torch.can_cast: an op's result may be written into a tensor of dtype `dst` (in place)."""
    return _category(src) <= _category(dst)
