"""Writing a ``.pth`` (:func:`save_torch_state_dict`).

The same archive layout as ``torch.save``, pickled with the same small vocabulary
(``torch._utils._rebuild_tensor_v2``, ``torch.<Type>Storage``, ``collections.OrderedDict``),
so ``torch.load(path, weights_only=True)`` accepts it.
"""
import collections
import io
import os
import pickle
import secrets
import struct
import zipfile

import numpy as np

from resnetc.serialization.arrays import _STORAGE_DTYPES, _is_resnetc_tensor
from resnetc.serialization.atomic import _atomic_write

_EXPORT_STORAGE = {np.dtype(v).newbyteorder("<") if v.itemsize > 1 else np.dtype(v): k
                   for k, v in _STORAGE_DTYPES.items() if k != "BFloat16Storage"}


class _TorchGlobalRef:
    """Pickled as the global ``module.name`` without importing ``module``."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce wants a callable
        raise TypeError(f"{self.module}.{self.name} is a placeholder for pickling")


class _StorageOut:
    def __init__(self, key, storage_type, numel):
        self.key, self.type, self.numel = key, storage_type, numel


_REBUILD_V2 = _TorchGlobalRef("torch._utils", "_rebuild_tensor_v2")


class _TorchPickler(pickle._Pickler):
    """Pickles dicts/lists/numbers/strings and arrays (as torch tensors), nothing else."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, storages):
        super().__init__(file, protocol=2)
        self._storages = storages  # key -> contiguous little-endian ndarray

    def save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_TorchGlobalRef] = save_torch_global

    def persistent_id(self, obj):
        if isinstance(obj, _StorageOut):
            return ("storage", obj.type, obj.key, "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, np.ndarray):
            return self._tensor(obj)
        if isinstance(obj, (np.generic,)):
            return self._tensor(np.asarray(obj))
        if obj is collections.OrderedDict:
            return NotImplemented  # pickled as the global collections.OrderedDict
        if type(obj) not in (dict, collections.OrderedDict, list, tuple, str, int, float, bool,
                             bytes, type(None), _TorchGlobalRef, _StorageOut):
            if _is_resnetc_tensor(obj):
                return self._tensor(obj.array)
            raise TypeError(f"save_torch_state_dict cannot save an object of type "
                            f"{type(obj).__name__}; only arrays, dicts, lists, tuples, numbers "
                            f"and strings")
        return NotImplemented

    def _tensor(self, array):
        dtype = array.dtype
        if dtype.itemsize > 1 and dtype.byteorder not in ("<", "|", "=") or \
                dtype.byteorder == "=" and not np.little_endian:
            dtype = dtype.newbyteorder("<")
        key_dtype = dtype.newbyteorder("<") if dtype.itemsize > 1 else dtype
        storage_type = _EXPORT_STORAGE.get(key_dtype)
        if storage_type is None:
            raise TypeError(f"save_torch_state_dict: arrays of dtype {array.dtype} have no "
                            f"torch storage type")
        data = np.asarray(array, dtype=key_dtype, order="C")
        key = str(len(self._storages))
        self._storages[key] = data
        storage = _StorageOut(key, _TorchGlobalRef("torch", storage_type), data.size)
        strides = []
        acc = 1
        for n in reversed(data.shape):
            strides.append(acc)
            acc *= n
        args = (storage, 0, tuple(int(n) for n in data.shape), tuple(reversed(strides)), False,
                collections.OrderedDict())
        return (_REBUILD_V2, args)


def save_torch_state_dict(state_dict, path):
    """Writes ``state_dict`` (name -> array or resnetc Tensor; nested dicts/lists/numbers
    allowed) as a ``torch.save``-format zip that ``torch.load(path, weights_only=True)`` loads
    (arrays become CPU tensors of the same dtype and shape). Written atomically."""
    path = os.fspath(path)
    storages = {}
    buf = io.BytesIO()
    _TorchPickler(buf, storages).dump(state_dict)

    def write(f):
        _write_torch_zip(f, buf.getvalue(), storages)

    _atomic_write(path, write)


def _write_torch_zip(f, pkl, storages, prefix="archive"):
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        def record(name, data):
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            # pad the local header's extra field so that the data start is 64-byte aligned,
            # like torch (lets readers map the storages without copying)
            offset = f.tell() + 30 + len(info.filename.encode())
            pad = (-(offset + 4)) % 64
            info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # 'FB' padding field
            zf.writestr(info, data)

        record("data.pkl", pkl)
        record(".format_version", b"1")
        record(".storage_alignment", b"64")
        record("byteorder", b"little")
        for key, array in storages.items():
            record(f"data/{key}", memoryview(array.reshape(-1).view(np.uint8)))
        record("version", b"3\n")
        record(".data/serialization_id", str(secrets.randbits(120)).rjust(40, "0").encode())
