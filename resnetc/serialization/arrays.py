"""Array vocabulary shared by the readers and writers: torch's storage and dtype names as
NumPy dtypes, bfloat16 widening, and recognising a resnetc Tensor."""
import numpy as np

# torch storage class name -> numpy dtype of its bytes on disk
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "BFloat16Storage": np.dtype("<u2"),  # bf16 bits; widened to float32 on load
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
    "ComplexFloatStorage": np.dtype("<c8"),
    "ComplexDoubleStorage": np.dtype("<c16"),
}
# torch dtypes that are pickled as `torch.<name>` globals (used by _rebuild_tensor_v3)
_TORCH_DTYPES = {
    "float32": np.dtype("<f4"), "float64": np.dtype("<f8"), "float16": np.dtype("<f2"),
    "bfloat16": np.dtype("<u2"), "int64": np.dtype("<i8"), "int32": np.dtype("<i4"),
    "int16": np.dtype("<i2"), "int8": np.dtype("i1"), "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"), "uint32": np.dtype("<u4"), "uint64": np.dtype("<u8"),
    "bool": np.dtype("?"), "complex64": np.dtype("<c8"), "complex128": np.dtype("<c16"),
}


def _bf16_to_float32(bits16):
    """bfloat16 bit patterns (uint16) -> float32, exactly (bf16 is float32's top half)."""
    bits = bits16.astype(np.uint32)
    bits <<= 16
    return bits.view(np.float32)


def _is_resnetc_tensor(obj):
    from resnetc.tensor import Tensor
    return isinstance(obj, Tensor)
