"""Files on disk: PyTorch ``.pth`` state_dicts (read and write, without torch), safetensors,
and resnetc's own checkpoints.

Reading a ``.pth`` (:func:`load_torch_state_dict`)
    ``torch.save`` writes a zip archive ``<name>/data.pkl``, ``<name>/data/<key>`` (one raw
    little-endian storage per key), ``<name>/byteorder`` and ``<name>/version``. ``data.pkl`` is a
    pickle: it is read by :class:`_StateDictUnpickler`, a pure-Python unpickler that executes
    only the opcodes that build plain data (numbers, strings, tuples, lists, dicts), resolves
    only the globals listed in ``_ALLOWED_GLOBALS`` to resnetc's own stand-ins (never importing
    anything), and refuses every other global or opcode *before* anything is called. (One
    extra: the ``argparse.Namespace`` that torchvision's reference ``train.py`` stores in its
    checkpoints as ``"args"`` comes back as a Namespace of plain values.) A file
    holding a pickled model class, ``os.system`` or ``builtins.eval`` is therefore refused and
    nothing from it runs. Every tensor is bounds-checked against its storage and every storage
    against its ``data/<key>`` entry. Tensors come back as NumPy arrays; C-contiguous, aligned,
    native-order float32/float64/int... data are views of the one buffer the file was read into
    (no second copy), other tensors are copied. bfloat16 becomes float32 (exact); big-endian
    archives are byte-swapped. torch's legacy (pre-1.6, non-zip) format is read the same way
    (its pickles go through the same unpickler; storage views are refused).

Writing a ``.pth`` (:func:`save_torch_state_dict`)
    The same archive layout, pickled with the same small vocabulary
    (``torch._utils._rebuild_tensor_v2``, ``torch.<Type>Storage``, ``collections.OrderedDict``),
    so ``torch.load(path, weights_only=True)`` accepts it.

resnetc checkpoints (:func:`save` / :func:`load`)
    ONE file in the safetensors format. Every array (NumPy or resnetc Tensor) anywhere in the
    saved object becomes a safetensors tensor named by its dotted path
    (``model.layer1.0.conv1.weight``, ``optimizer.state.0.momentum_buffer``); everything else
    (numbers, strings, lists, tuples, dicts, None, NumPy RNG ``bit_generator.state`` dicts) is
    JSON stored in the safetensors header's ``__metadata__`` under ``resnetc.checkpoint``,
    with ``{"__tensor__": name}`` where an array was. One file means one atomic rename, and any
    safetensors reader sees the weights. The write is atomic: a temp file
    ``.<name>.tmp-<host>-<pid>-<random>`` in the destination folder, flush + fsync,
    ``os.replace`` onto the destination, fsync of the folder. A writer killed mid-save leaves
    its temp file behind; the next :func:`save` into that folder deletes temp files of that
    destination whose writer process (same host) no longer exists (also available as
    :func:`remove_stale_temp_files`). The destination itself is never partially written.
"""
import argparse
import base64
import binascii
import collections
import io
import json
import math
import os
import pickle
import pickletools as _pickletools
import re
import secrets
import socket
import struct
import zipfile

import numpy as np

__all__ = ["load_torch_state_dict", "save_torch_state_dict", "load_safetensors", "save", "load",
           "remove_stale_temp_files", "torchvision_weights_file", "torch_hub_checkpoint_dir",
           "TORCHVISION_WEIGHTS"]

# ----------------------------------------------------------------------------------------------
# dtypes

# torch storage class name -> (numpy dtype of the bytes on disk, itemsize)
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
_EXPORT_STORAGE = {np.dtype(v).newbyteorder("<") if v.itemsize > 1 else np.dtype(v): k
                   for k, v in _STORAGE_DTYPES.items() if k != "BFloat16Storage"}

_MAX_NDIM = 64
_MAX_PICKLE_BYTES = 1 << 28  # data.pkl of a state_dict is kilobytes; 256 MiB is generous
_MAX_COMPRESSION_RATIO = 200  # torch stores entries uncompressed; deflate of real data is < 10x


class _Refused(ValueError):
    pass


# ----------------------------------------------------------------------------------------------
# stand-ins for the torch globals a state_dict pickle may name


class _Global:
    """A named global from the pickle, resolved to resnetc's stand-in, never imported."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __repr__(self):
        return f"{self.module}.{self.name}"


class _StorageType(_Global):
    __slots__ = ()


class _TorchDtype(_Global):
    __slots__ = ()


class _Callable(_Global):
    """An allowed callable: REDUCE on it calls ``fn``, a resnetc function."""

    __slots__ = ("fn",)

    def __init__(self, module, name, fn):
        super().__init__(module, name)
        self.fn = fn


class _StorageRef:
    """A storage from the persistent id ('storage', type, key, location, numel)."""

    __slots__ = ("key", "dtype", "numel", "bf16")

    def __init__(self, key, dtype, numel, bf16):
        self.key, self.dtype, self.numel, self.bf16 = key, dtype, numel, bf16


class _TensorRef:
    """A tensor whose data is not read yet (the pickle is validated first)."""

    __slots__ = ("storage", "offset", "shape", "strides")

    def __init__(self, storage, offset, shape, strides):
        self.storage, self.offset, self.shape, self.strides = storage, offset, shape, strides


def _int_tuple(value, what):
    if not isinstance(value, tuple) or len(value) > _MAX_NDIM or not all(
            type(v) is int for v in value):
        raise _Refused(f"{what} must be a tuple of at most {_MAX_NDIM} ints, got {value!r:.80}")
    return value


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False,
                    backward_hooks=None, metadata=None):
    if not isinstance(storage, _StorageRef):
        raise _Refused(f"_rebuild_tensor_v2 expects a storage, got {type(storage).__name__}")
    if type(storage_offset) is not int or storage_offset < 0:
        raise _Refused(f"tensor storage offset must be an int >= 0, got {storage_offset!r:.80}")
    size = _int_tuple(size, "tensor size")
    stride = _int_tuple(stride, "tensor stride")
    if len(size) != len(stride):
        raise _Refused(f"tensor size {size} and stride {stride} have different lengths")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise _Refused(f"negative tensor size or stride: size {size}, stride {stride}")
    numel = math.prod(size)
    if numel > 0:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.numel:
            raise _Refused(
                f"tensor (offset {storage_offset}, size {size}, stride {stride}) reaches element "
                f"{last} of storage data/{storage.key}, which holds {storage.numel} elements")
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    if not isinstance(dtype, _TorchDtype):
        raise _Refused(f"_rebuild_tensor_v3 expects a torch dtype, got {dtype!r:.80}")
    if not isinstance(storage, _StorageRef):
        raise _Refused(f"_rebuild_tensor_v3 expects a storage, got {type(storage).__name__}")
    np_dtype = _TORCH_DTYPES[dtype.name]
    if storage.dtype.itemsize != 1 and storage.dtype != np_dtype:
        raise _Refused(f"storage data/{storage.key} has dtype {storage.dtype}, tensor {dtype}")
    # v3 storages are untyped (bytes) when saved by torch: re-type them
    nbytes = storage.numel * storage.dtype.itemsize
    if nbytes % np_dtype.itemsize:
        raise _Refused(f"storage data/{storage.key}: {nbytes} bytes is not a multiple of "
                       f"{dtype}'s {np_dtype.itemsize}-byte elements")
    typed = _StorageRef(storage.key, np_dtype, nbytes // np_dtype.itemsize,
                        dtype.name == "bfloat16")
    return _rebuild_tensor(typed, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    if not isinstance(data, _TensorRef):
        raise _Refused(f"_rebuild_parameter expects a tensor, got {type(data).__name__}")
    return data


def _ordered_dict(*args):
    if len(args) > 1:
        raise _Refused("collections.OrderedDict takes at most one argument")
    items = args[0] if args else ()
    if isinstance(items, dict):
        items = list(items.items())
    if not isinstance(items, (list, tuple)):
        raise _Refused(f"collections.OrderedDict argument must be a list, got "
                       f"{type(items).__name__}")
    return collections.OrderedDict(items)


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): _Callable("collections", "OrderedDict", _ordered_dict),
    ("torch._utils", "_rebuild_tensor_v2"): _Callable("torch._utils", "_rebuild_tensor_v2",
                                                      _rebuild_tensor),
    ("torch._utils", "_rebuild_tensor"): _Callable("torch._utils", "_rebuild_tensor",
                                                   _rebuild_tensor),  # torch < 0.4
    ("torch._utils", "_rebuild_tensor_v3"): _Callable("torch._utils", "_rebuild_tensor_v3",
                                                      _rebuild_tensor_v3),
    ("torch._utils", "_rebuild_parameter"): _Callable("torch._utils", "_rebuild_parameter",
                                                      _rebuild_parameter),
    ("torch._utils", "_rebuild_parameter_with_state"): _Callable(
        "torch._utils", "_rebuild_parameter_with_state", _rebuild_parameter),
}
# torchvision's reference train.py saves its argparse.Namespace in checkpoints ("args"):
# rebuilt as an empty Namespace (NEWOBJ) whose attributes are then set from a plain dict (BUILD)
_NAMESPACE = _Global("argparse", "Namespace")
_ALLOWED_GLOBALS[("argparse", "Namespace")] = _NAMESPACE
for _name in _STORAGE_DTYPES:
    _ALLOWED_GLOBALS[("torch", _name)] = _StorageType("torch", _name)
for _name in _TORCH_DTYPES:
    _ALLOWED_GLOBALS[("torch", _name)] = _TorchDtype("torch", _name)

# Opcodes that only build data, plus the ones given restricted meanings below.
_DATA_OPCODES = {
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
    "BINUNICODE8", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
    "NONE", "NEWTRUE", "NEWFALSE",
    "TUPLE", "EMPTY_TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_LIST", "LIST", "APPEND",
    "APPENDS", "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS",
    "GET", "BINGET", "LONG_BINGET", "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE",
    "GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "NEWOBJ", "PERSID", "BINPERSID",
}


class _StateDictUnpickler(pickle._Unpickler):
    """Executes only data-building opcodes and the allowed globals' stand-ins."""

    dispatch = {}

    def __init__(self, file, legacy=False):
        super().__init__(file)
        self._legacy = legacy
        self._storages = {}

    def find_class(self, module, name):
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise _Refused(f"it names the global {module}.{name}, which is not allowed")
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == (6 if self._legacy else 5)
                and pid[0] == "storage"):
            raise _Refused(f"unexpected persistent id {pid!r:.80}")
        if self._legacy and pid[5] is not None:
            raise _Refused("it holds a view of a storage (legacy format), which resnetc does "
                           "not read; re-save it with torch>=1.6")
        _, storage_type, key, location, numel = pid[:5]
        if not isinstance(storage_type, _StorageType):
            raise _Refused(f"persistent id names {storage_type!r:.80}, not a storage type")
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_]{1,64}", key):
            raise _Refused(f"bad storage key {key!r:.80}")
        if not isinstance(location, str) or type(numel) is not int or numel < 0:
            raise _Refused(f"bad storage location or size in {pid!r:.120}")
        dtype = _STORAGE_DTYPES[storage_type.name]
        ref = _StorageRef(key, dtype, numel, storage_type.name == "BFloat16Storage")
        seen = self._storages.setdefault(key, ref)
        if (seen.dtype, seen.numel, seen.bf16) != (ref.dtype, ref.numel, ref.bf16):
            raise _Refused(f"storage data/{key} is declared twice with different types or sizes")
        return seen

    def load_reduce(self):
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        if not isinstance(func, _Callable):
            raise _Refused(f"it calls {func!r:.80}, which is not allowed")
        if not isinstance(args, tuple):
            raise _Refused("REDUCE arguments are not a tuple")
        try:
            stack[-1] = func.fn(*args)
        except TypeError as e:
            raise _Refused(f"bad arguments to {func!r}: {e}") from None

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack[-1]
        if cls is not _NAMESPACE or args != ():
            raise _Refused(f"it creates an object of class {cls!r:.80}, which is not allowed")
        self.stack[-1] = argparse.Namespace()

    def load_build(self):
        # An OrderedDict's attributes (state_dict()._metadata), a Namespace's fields.
        state = self.stack.pop()
        inst = self.stack[-1]
        if not (type(inst) in (collections.OrderedDict, argparse.Namespace)
                and isinstance(state, dict) and all(isinstance(k, str) for k in state)):
            raise _Refused(f"it sets the state of a {type(inst).__name__}, which is not allowed")
        inst.__dict__.update(state)

    def _refuse_opcode(self):
        raise _Refused("it uses a pickle opcode that is not allowed")


for _op in _pickletools.opcodes:
    _code = _op.code.encode("latin-1")[0]
    if _op.name in _DATA_OPCODES:
        _StateDictUnpickler.dispatch[_code] = pickle._Unpickler.dispatch[_code]
    else:
        def _refuse(self, _name=_op.name):
            raise _Refused(f"it uses the pickle opcode {_name}, which is not allowed")

        _StateDictUnpickler.dispatch[_code] = _refuse
_StateDictUnpickler.dispatch[pickle.REDUCE[0]] = _StateDictUnpickler.load_reduce
_StateDictUnpickler.dispatch[pickle.BUILD[0]] = _StateDictUnpickler.load_build
_StateDictUnpickler.dispatch[pickle.NEWOBJ[0]] = _StateDictUnpickler.load_newobj
for _code in range(256):
    _StateDictUnpickler.dispatch.setdefault(_code, _StateDictUnpickler._refuse_opcode)


# ----------------------------------------------------------------------------------------------
# the zip archive


class _Archive:
    """A zip archive read into one writable buffer; entries are located and checked by hand."""

    def __init__(self, path, buffer):
        self.path = path
        self.buffer = buffer
        try:
            self.zip = zipfile.ZipFile(_BufferFile(buffer))
        except Exception as e:  # BadZipFile, NotImplementedError (zip version), EOFError...
            raise ValueError(f"{path}: not a readable zip archive (truncated or corrupt?): {e}") \
                from None
        names = self.zip.namelist()
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if len(pkl) != 1:
            raise ValueError(f"{path}: the zip archive has no <name>/data.pkl entry; it is not "
                             f"a torch.save checkpoint (entries: {names[:5]})")
        self.prefix = pkl[0][:-len("data.pkl")]
        self.infos = {i.filename: i for i in self.zip.infolist()}

    def has(self, name):
        return self.prefix + name in self.infos

    def read(self, name, expected_size=None, limit=None):
        """The entry's bytes: a memoryview of the buffer when stored, else decompressed."""
        full = self.prefix + name
        info = self.infos.get(full)
        if info is None:
            raise ValueError(f"{self.path}: the archive has no entry {full!r}")
        if expected_size is not None and info.file_size != expected_size:
            raise ValueError(f"{self.path}: entry {full!r} holds {info.file_size} bytes but the "
                             f"pickle declares {expected_size} bytes for it")
        if limit is not None and info.file_size > limit:
            raise ValueError(f"{self.path}: entry {full!r} declares {info.file_size} bytes, "
                             f"more than the limit {limit}")
        start = info.header_offset
        header = bytes(self.buffer[start:start + 30])
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise ValueError(f"{self.path}: entry {full!r} has no local header at offset "
                             f"{start} (truncated or corrupt zip)")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        data_start = start + 30 + name_len + extra_len
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                raise ValueError(f"{self.path}: stored entry {full!r} has compressed size "
                                 f"{info.compress_size} != size {info.file_size}")
            if data_start + info.file_size > len(self.buffer):
                raise ValueError(f"{self.path}: entry {full!r} ends at byte "
                                 f"{data_start + info.file_size}, past the end of the file "
                                 f"({len(self.buffer)} bytes): truncated")
            return memoryview(self.buffer)[data_start:data_start + info.file_size]
        if info.file_size > _MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise ValueError(f"{self.path}: entry {full!r} would expand {info.compress_size} "
                             f"compressed bytes to {info.file_size} (ratio over "
                             f"{_MAX_COMPRESSION_RATIO}): refused as a possible zip bomb")
        try:
            with self.zip.open(info) as f:
                data = f.read(info.file_size + 1)
        except Exception as e:  # zlib.error, lzma.LZMAError, BadZipFile (CRC), unknown method
            raise ValueError(f"{self.path}: cannot decompress entry {full!r} (corrupt?): "
                             f"{type(e).__name__}: {e}") from None
        if len(data) != info.file_size:
            raise ValueError(f"{self.path}: entry {full!r} decompresses to {len(data)} bytes, "
                             f"not the declared {info.file_size}")
        return memoryview(bytearray(data))


class _BufferFile(io.RawIOBase):
    """A read-only seekable file over a buffer, so zipfile does not need a second copy."""

    def __init__(self, buffer):
        self._view = memoryview(buffer)
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, pos, whence=0):
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, b):
        chunk = self._view[self._pos:self._pos + len(b)]
        b[:len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def _read_file(path):
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        buffer = bytearray(size)
        view = memoryview(buffer)
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                break
            got += n
    return buffer[:got] if got < size else buffer


def _materialize(tensor, read_storage, big_endian, cache):
    """The NumPy array of a tensor; ``read_storage(key, nbytes)`` gives a storage's bytes."""
    storage = tensor.storage
    key = storage.key
    raw = cache.get(key)
    if raw is None:
        raw = read_storage(key, storage.numel * storage.dtype.itemsize)
        cache[key] = raw
    dtype = storage.dtype.newbyteorder(">") if big_endian and storage.dtype.itemsize > 1 \
        else storage.dtype
    flat = np.frombuffer(raw, dtype=dtype, count=storage.numel)
    itemsize = dtype.itemsize
    if not tensor.shape:
        view = flat[tensor.offset:tensor.offset + 1].reshape(())
    elif math.prod(tensor.shape) == 0:
        view = np.empty(tensor.shape, dtype)
    else:
        view = np.lib.stride_tricks.as_strided(
            flat[tensor.offset:], shape=tensor.shape,
            strides=tuple(s * itemsize for s in tensor.strides), writeable=False)
    native = dtype.newbyteorder("=")
    if storage.bf16:
        return _bf16_to_float32(view.astype(native, copy=False))
    if view.flags.c_contiguous and view.flags.aligned and dtype.isnative:
        return np.frombuffer(raw, dtype=dtype, count=view.size,
                             offset=tensor.offset * itemsize).reshape(tensor.shape)
    return np.asarray(view, dtype=native, order="C")


def _bf16_to_float32(bits16):
    """bfloat16 bit patterns (uint16) -> float32, exactly (bf16 is float32's top half)."""
    bits = bits16.astype(np.uint32)
    bits <<= 16
    return bits.view(np.float32)


def _replace_refs(obj, fn):
    if isinstance(obj, _TensorRef):
        return fn(obj)
    if isinstance(obj, dict):
        out = obj.__class__() if type(obj) in (dict, collections.OrderedDict) else dict()
        for k, v in obj.items():
            out[k] = _replace_refs(v, fn)
        if getattr(obj, "__dict__", None):
            out.__dict__.update(obj.__dict__)
        return out
    if isinstance(obj, list):
        return [_replace_refs(v, fn) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_replace_refs(v, fn) for v in obj)
    if isinstance(obj, argparse.Namespace):
        return argparse.Namespace(**{k: _replace_refs(v, fn) for k, v in vars(obj).items()})
    if isinstance(obj, (_Global, _StorageRef)):
        raise _Refused(f"it returns a bare {obj!r}, not a tensor")
    return obj




def load_torch_state_dict(path):
    """Reads a PyTorch checkpoint (``torch.save`` zip format, or safetensors) without torch.

    Returns what was saved (usually an OrderedDict name -> NumPy array; nested dicts such as
    ``{'model': state_dict, 'epoch': 3}`` keep their structure). See the module docstring for
    what is allowed in the pickle. Raises ValueError naming the file for anything that is not
    a plain state_dict or is malformed.
    """
    path = os.fspath(path)
    buffer = _read_file(path)
    head = bytes(buffer[:16])
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return _load_torch_zip(path, buffer)
    if head[:3] == b"\x80\x02\x8a":
        return _load_torch_legacy(path, buffer)
    if len(buffer) >= 9 and head[8:9] == b"{":
        return load_safetensors(path)
    if len(buffer) < 22:
        raise ValueError(f"{path}: file too short ({len(buffer)} bytes) to be a checkpoint")
    raise ValueError(f"{path}: not a torch.save zip archive nor a safetensors file "
                     f"(starts with {head[:8]!r}); it may be truncated or corrupt")


def _load_torch_zip(path, buffer):
    archive = _Archive(path, buffer)
    big_endian = False
    if archive.has("byteorder"):
        order = bytes(archive.read("byteorder", limit=16)).decode("ascii", "replace").strip()
        if order not in ("little", "big"):
            raise ValueError(f"{path}: unknown byteorder {order!r} (expected little or big)")
        big_endian = order == "big"
    pkl = bytes(archive.read("data.pkl", limit=_MAX_PICKLE_BYTES))
    obj = _unpickle(path, "data.pkl", _StateDictUnpickler(io.BytesIO(pkl)))

    def read_storage(key, nbytes):
        return archive.read(f"data/{key}", expected_size=nbytes)

    return _build(path, obj, read_storage, big_endian)


def _unpickle(path, what, unpickler):
    try:
        return unpickler.load()
    except _Refused as e:
        raise ValueError(f"{path} is not a plain state_dict (refused: {e}). resnetc reads only "
                         f"tensors and (ordered) dicts of them; if it holds a pickled model, "
                         f"re-save model.state_dict() with torch.") from None
    except Exception as e:  # anything else a malformed pickle makes the unpickler raise
        raise ValueError(f"{path}: {what} is not a readable pickle "
                         f"({type(e).__name__}: {e}); the file may be truncated or corrupt") \
            from None


def _build(path, obj, read_storage, big_endian):
    cache = {}
    try:
        return _replace_refs(obj, lambda t: _materialize(t, read_storage, big_endian, cache))
    except _Refused as e:
        raise ValueError(f"{path} is not a plain state_dict (refused: {e})") from None
    except RecursionError:  # self-referencing or absurdly nested containers
        raise ValueError(f"{path} is not a plain state_dict (refused: its containers nest too "
                         f"deeply or contain themselves)") from None


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


def _load_torch_legacy(path, buffer):
    """torch.save's pre-1.6 format: pickles (magic, protocol, sys_info, the object, storage
    keys) then, per key, an int64 element count and the raw storage bytes."""
    f = io.BufferedReader(_BufferFile(buffer))
    magic = _unpickle(path, "the magic number", _StateDictUnpickler(f))
    if magic != _LEGACY_MAGIC:
        raise ValueError(f"{path}: not a torch.save file (bad magic number)")
    protocol = _unpickle(path, "the protocol version", _StateDictUnpickler(f))
    if protocol != _LEGACY_PROTOCOL:
        raise ValueError(f"{path}: unsupported legacy torch protocol {protocol!r}")
    sys_info = _unpickle(path, "sys_info", _StateDictUnpickler(f))
    if not isinstance(sys_info, dict):
        raise ValueError(f"{path}: corrupt legacy torch file (sys_info is not a dict)")
    big_endian = not sys_info.get("little_endian", True)
    unpickler = _StateDictUnpickler(f, legacy=True)
    obj = _unpickle(path, "the main pickle", unpickler)
    keys = _unpickle(path, "the storage list", _StateDictUnpickler(f))
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"{path}: corrupt legacy torch file (bad storage key list)")
    declared = unpickler._storages
    order = ">" if big_endian else "<"
    pos = f.tell()
    located = {}
    for key in keys:
        ref = declared.get(key)
        if ref is None:
            raise ValueError(f"{path}: storage {key} is listed but not used by any tensor")
        if pos + 8 > len(buffer):
            raise ValueError(f"{path}: storage {key} starts past the end of the file: truncated")
        (numel,) = struct.unpack(order + "q", bytes(buffer[pos:pos + 8]))
        if numel != ref.numel:
            raise ValueError(f"{path}: storage {key} holds {numel} elements but the pickle "
                             f"declares {ref.numel}")
        nbytes = numel * ref.dtype.itemsize
        if pos + 8 + nbytes > len(buffer):
            raise ValueError(f"{path}: storage {key} ({nbytes} bytes) runs past the end of the "
                             f"file ({len(buffer)} bytes): truncated")
        located[key] = memoryview(buffer)[pos + 8:pos + 8 + nbytes]
        pos += 8 + nbytes

    def read_storage(key, nbytes):
        if key not in located:
            raise ValueError(f"{path}: storage {key} is used but its data is missing")
        return located[key]

    return _build(path, obj, read_storage, big_endian)


# ----------------------------------------------------------------------------------------------
# torchvision's pretrained files in the torch hub cache (no network access)

_V1, _V2 = "IMAGENET1K_V1", "IMAGENET1K_V2"
#: arch -> weights name -> file name, as in torchvision's ``<Arch>_Weights`` enums
TORCHVISION_WEIGHTS = {
    "resnet18": {_V1: "resnet18-f37072fd.pth"},
    "resnet34": {_V1: "resnet34-b627a593.pth"},
    "resnet50": {_V1: "resnet50-0676ba61.pth", _V2: "resnet50-11ad3fa6.pth"},
    "resnet101": {_V1: "resnet101-63fe2227.pth", _V2: "resnet101-cd907fc2.pth"},
    "resnet152": {_V1: "resnet152-394f9c45.pth", _V2: "resnet152-f82ba261.pth"},
    "resnext50_32x4d": {_V1: "resnext50_32x4d-7cdf4587.pth", _V2: "resnext50_32x4d-1a0047aa.pth"},
    "resnext101_32x8d": {_V1: "resnext101_32x8d-8ba56ff5.pth",
                         _V2: "resnext101_32x8d-110c445d.pth"},
    "resnext101_64x4d": {_V1: "resnext101_64x4d-173b62eb.pth"},
    "wide_resnet50_2": {_V1: "wide_resnet50_2-95faca4d.pth", _V2: "wide_resnet50_2-9ba9bcbe.pth"},
    "wide_resnet101_2": {_V1: "wide_resnet101_2-32ee1156.pth",
                         _V2: "wide_resnet101_2-d733dc28.pth"},
}
_WEIGHTS_URL = "https://download.pytorch.org/models/"


def torch_hub_checkpoint_dir():
    """``$TORCH_HOME/hub/checkpoints`` (TORCH_HOME defaults to ``$XDG_CACHE_HOME/torch``, then
    ``~/.cache/torch``), where torch.hub keeps downloaded weights."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "torch")
    return os.path.join(os.path.expanduser(home), "hub", "checkpoints")


def torchvision_weights_file(arch, weights="DEFAULT"):
    """The path of torchvision's pretrained file for ``arch`` in the torch hub cache.

    ``weights``: 'DEFAULT' (torchvision's best: V2 where it exists), 'IMAGENET1K_V1',
    'IMAGENET1K_V2', or e.g. 'ResNet50_Weights.IMAGENET1K_V2'; ``pretrained=True`` in
    torchvision's old API means 'IMAGENET1K_V1'. There is no download: a missing file raises
    FileNotFoundError saying which file to put where (and its URL)."""
    if arch not in TORCHVISION_WEIGHTS:
        raise ValueError(f"no torchvision weights for {arch!r}; known: "
                         f"{', '.join(TORCHVISION_WEIGHTS)}")
    table = TORCHVISION_WEIGHTS[arch]
    name = str(weights).rsplit(".", 1)[-1]
    if name == "DEFAULT":
        name = _V2 if _V2 in table else _V1
    if name not in table:
        raise ValueError(f"{arch} has no weights {weights!r}; choose one of "
                         f"{', '.join(['DEFAULT', *table])}")
    folder = torch_hub_checkpoint_dir()
    path = os.path.join(folder, table[name])
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{arch} weights {name} not found: put {table[name]} in {folder} (download "
            f"{_WEIGHTS_URL}{table[name]} on a machine with network access, or set TORCH_HOME; "
            f"resnetc never downloads), or pass weights='path/to/file.pth'")
    return path


# ----------------------------------------------------------------------------------------------
# safetensors


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
    buffer = _read_file(path)
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


# ----------------------------------------------------------------------------------------------
# writing .pth files that torch.load(weights_only=True) accepts


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


def _is_resnetc_tensor(obj):
    from resnetc.tensor import Tensor
    return isinstance(obj, Tensor)


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


# ----------------------------------------------------------------------------------------------
# atomic writes


def _tmp_prefix(path):
    return f".{os.path.basename(path)}.tmp-"


def _tmp_name(path):
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"
    return os.path.join(os.path.dirname(path) or ".",
                        f"{_tmp_prefix(path)}{host}-{os.getpid()}-{secrets.token_hex(4)}")


def remove_stale_temp_files(path):
    """Deletes temp files left next to ``path`` by writers (on this host) that were killed
    mid-save. Temp files of writers still running, or of other hosts, are left alone."""
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    prefix = _tmp_prefix(path)
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"
    removed = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        m = re.fullmatch(r"([A-Za-z0-9]+)-(\d+)-[0-9a-f]+", name[len(prefix):])
        if not m or m.group(1) != host:
            continue
        pid = int(m.group(2))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(name)
        except FileNotFoundError:
            pass
    return removed


def _pid_alive(pid):
    if os.name != "posix":
        return True  # (os.kill(pid, 0) would terminate the process on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (killed, not yet reaped) cannot be writing any more
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. Windows: directories cannot be opened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path, write_fn, by_name=False):
    """Runs ``write_fn(file)`` (or ``write_fn(tmp_path)`` when by_name) into a temp file in
    path's folder, fsyncs it, renames it over ``path`` and fsyncs the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temp_files(path)
    tmp = _tmp_name(path)
    try:
        if by_name:
            write_fn(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        else:
            with open(tmp, "xb") as f:
                write_fn(f)
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


# ----------------------------------------------------------------------------------------------
# resnetc checkpoints: safetensors + JSON in one file

_FORMAT = "resnetc.checkpoint"
_VERSION = 1
_RESERVED = ("__tensor__", "__tuple__", "__dict__", "__float__", "__bytes__", "__npscalar__")


class _Encoder:
    def __init__(self):
        self.tensors = {}

    def _name(self, path):
        name = ".".join(path) or "tensor"
        base, i = name, 1
        while name in self.tensors:
            name = f"{base}#{i}"
            i += 1
        return name

    def encode(self, obj, path):
        where = "checkpoint" + "".join(f"[{p!r}]" for p in path)
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and not isinstance(obj, bool):
            return int(obj)
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if _is_resnetc_tensor(obj):
            name = self._name(path)
            self.tensors[name] = np.asarray(obj.array, order="C")
            return {"__tensor__": name, "type": "Tensor",
                    "requires_grad": bool(getattr(obj, "requires_grad", False))}
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind not in "biuf" or obj.dtype.itemsize > 8:
                raise TypeError(f"{where}: cannot save an array of dtype {obj.dtype}")
            name = self._name(path)
            self.tensors[name] = np.asarray(obj, dtype=obj.dtype.newbyteorder("="), order="C")
            return {"__tensor__": name}
        if isinstance(obj, np.generic):
            if obj.dtype.kind not in "biuf":
                raise TypeError(f"{where}: cannot save a NumPy scalar of dtype {obj.dtype}")
            return {"__npscalar__": obj.dtype.str, "value": self.encode(obj.item(), path)}
        if isinstance(obj, bytes):
            return {"__bytes__": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, list):
            return [self.encode(v, path + (str(i),)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, path + (str(i),)) for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            plain = all(isinstance(k, str) for k in obj) and not (
                len(obj) >= 1 and any(k in _RESERVED for k in obj))
            if plain:
                return {k: self.encode(v, path + (k,)) for k, v in obj.items()}
            for k in obj:
                if not (k is None or isinstance(k, (str, int, float, bool, tuple))):
                    raise TypeError(f"{where}: cannot save a dict key of type "
                                    f"{type(k).__name__}")
            return {"__dict__": [[self.encode(k, path + ("key",)),
                                  self.encode(v, path + (str(k),))] for k, v in obj.items()]}
        raise TypeError(f"{where}: cannot save an object of type {type(obj).__name__}; "
                        f"checkpoints hold arrays/Tensors, numbers, strings, lists, tuples, "
                        f"dicts and None")


def _decode(obj, tensors, path):
    if isinstance(obj, list):
        return [_decode(v, tensors, path) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        name = obj["__tensor__"]
        if name not in tensors:
            raise ValueError(f"{path}: corrupt checkpoint: tensor {name!r} is missing")
        array = tensors[name]
        if obj.get("type") == "Tensor":
            from resnetc.tensor import Tensor
            return Tensor(array, requires_grad=bool(obj.get("requires_grad", False)))
        return array
    if "__tuple__" in obj:
        return tuple(_decode(v, tensors, path) for v in obj["__tuple__"])
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    if "__npscalar__" in obj:
        return np.dtype(obj["__npscalar__"]).type(_decode(obj["value"], tensors, path))
    if "__dict__" in obj:
        out = {}
        for k, v in obj["__dict__"]:
            k = _decode(k, tensors, path)
            out[tuple(k) if isinstance(k, list) else k] = _decode(v, tensors, path)
        return out
    return {k: _decode(v, tensors, path) for k, v in obj.items()}


def save(obj, path):
    """Saves a checkpoint (any nesting of dicts, lists, tuples, numbers, strings, None, NumPy
    arrays and resnetc Tensors, e.g. ``{'model': model.state_dict(), 'optimizer':
    opt.state_dict(), 'epoch': 3, 'rng': gen.bit_generator.state}``) to ``path`` atomically.

    Format: one safetensors file; arrays are its tensors, named by dotted path; the rest is
    JSON in its header metadata (see the module docstring)."""
    import safetensors.numpy

    path = os.fspath(path)
    encoder = _Encoder()
    tree = encoder.encode(obj, ())
    meta = {"format": _FORMAT, "version": str(_VERSION),
            _FORMAT: json.dumps(tree, allow_nan=False, separators=(",", ":"))}
    # serialized in memory (safetensors.numpy.save_file would use its own temp file, which a
    # kill would leave behind under a name we cannot recognise)
    data = safetensors.numpy.save(encoder.tensors, metadata=meta)
    _atomic_write(path, lambda f: f.write(data))


def load(path):
    """Loads a checkpoint written by :func:`save`. Arrays come back as NumPy arrays (resnetc
    Tensors as Tensors, with their requires_grad); dict key order, tuples and non-string keys
    are preserved. The arrays are writable views of one buffer holding the file (no second
    copy), so that buffer lives as long as any of them."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    metadata, tensors = _read_safetensors(path)
    if metadata.get("format") != _FORMAT or _FORMAT not in metadata:
        raise ValueError(f"{path}: not a resnetc checkpoint (a safetensors file without "
                         f"resnetc metadata); use resnetc.load_torch_state_dict or "
                         f"resnetc.serialization.load_safetensors for plain weight files")
    if metadata.get("version") != str(_VERSION):
        raise ValueError(f"{path}: resnetc checkpoint version {metadata.get('version')!r} is "
                         f"not supported (this resnetc reads version {_VERSION})")
    try:
        tree = json.loads(metadata[_FORMAT])
        return _decode(tree, tensors, path)
    except (json.JSONDecodeError, TypeError, KeyError, AttributeError, RecursionError,
            binascii.Error) as e:
        raise ValueError(f"{path}: corrupt checkpoint metadata: {type(e).__name__}: {e}") \
            from None
