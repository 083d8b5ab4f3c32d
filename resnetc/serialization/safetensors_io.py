"""Reading safetensors files: validated, then read zero-copy from one buffer."""
import collections
import json
import math
import os
import struct

import numpy as np

from resnetc.serialization.arrays import _bf16_to_float32
from resnetc.serialization.buffers import _read_file

_ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8",
              "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4",
              "U64": "<u8", "BOOL": "?"}


def _safetensors_header(path, buffer):
    if len(buffer) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file ({len(buffer)} bytes)")
    (n,) = struct.unpack("<Q", bytes(buffer[:8]))
    if n > len(buffer) - 8 or n > 100_000_000:
        raise ValueError(f"{path}: safetensors header of {n} bytes does not fit in the file "
                         f"({len(buffer)} bytes): truncated or corrupt")
    try:
        header = json.loads(bytes(buffer[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: corrupt safetensors header: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: corrupt safetensors header (not a JSON object)")
    return header, 8 + n


def _read_safetensors(path):
    """(metadata, OrderedDict name -> array), arrays zero-copy views of one read buffer."""
    path = os.fspath(path)
    return _parse_safetensors(path, _read_file(path))


def _parse_safetensors(path, buffer):
    """As _read_safetensors, on a buffer already read (path names it in messages)."""
    header, data_start = _safetensors_header(path, buffer)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise ValueError(f"{path}: corrupt safetensors header (__metadata__ is not an object)")
    data_len = len(buffer) - data_start
    tensors = collections.OrderedDict()
    entries = []
    for name, info in header.items():
        try:
            dtype = np.dtype(_ST_DTYPES[info["dtype"]])
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path}: corrupt or unsupported safetensors entry {name!r}: "
                             f"{info!r:.200}") from None
        if any(s < 0 for s in shape) or not 0 <= begin <= end <= data_len or \
                end - begin != math.prod(shape) * dtype.itemsize:
            raise ValueError(f"{path}: safetensors entry {name!r} (shape {shape}, dtype "
                             f"{info['dtype']}, bytes {begin}..{end}) does not fit the "
                             f"{data_len} data bytes: truncated or corrupt")
        entries.append((begin, end, name))
        raw = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape),
                            offset=data_start + begin).reshape(shape)
        if info["dtype"] == "BF16":
            raw = _bf16_to_float32(raw)
        elif not raw.flags.aligned or not raw.dtype.isnative:
            raw = raw.astype(raw.dtype.newbyteorder("="))
        tensors[name] = raw
    entries.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(entries, entries[1:]):
        if b1 < e0:
            raise ValueError(f"{path}: safetensors entries {n0!r} and {n1!r} overlap")
    return metadata, tensors


def load_safetensors(path):
    """A safetensors file as an OrderedDict of NumPy arrays (bfloat16 widened to float32).

    Validated by the ``safetensors`` package, then read zero-copy from one buffer."""
    path = os.fspath(path)
    from safetensors import safe_open
    try:
        with safe_open(path, framework="np") as f:
            f.keys()
    except Exception as e:  # SafetensorError is not importable in every version
        raise ValueError(f"{path}: not a readable safetensors file: {e}") from None
    return _read_safetensors(path)[1]
