"""Reading a ``.pth`` (:func:`load_torch_state_dict`).

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
"""
import argparse
import collections
import io
import math
import struct
import zipfile

import numpy as np

from resnetc.serialization.arrays import _bf16_to_float32
from resnetc.serialization.buffers import _BufferFile, _read_source
from resnetc.serialization.restricted_unpickler import (_Global, _Refused, _StateDictUnpickler,
                                                        _StorageRef, _TensorRef)
from resnetc.serialization.safetensors_io import _parse_safetensors

_MAX_PICKLE_BYTES = 1 << 28  # data.pkl of a state_dict is kilobytes; 256 MiB is generous
_MAX_COMPRESSION_RATIO = 200  # torch stores entries uncompressed; deflate of real data is < 10x


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


def load_torch_state_dict(f):
    """Reads a PyTorch checkpoint (``torch.save`` zip format, or safetensors) without torch.

    ``f`` is a path or a binary file object. Returns what was saved (usually an OrderedDict
    name -> NumPy array; nested dicts such as ``{'model': state_dict, 'epoch': 3}`` keep their
    structure). See the module docstring for what is allowed in the pickle. Raises ValueError
    naming the file for anything that is not a plain state_dict or is malformed.
    """
    path, buffer = _read_source(f)
    if is_torch_file(buffer):
        return _load_torch_buffer(path, buffer)
    if len(buffer) >= 9 and buffer[8:9] == b"{":
        return _parse_safetensors(path, buffer)[1]
    if len(buffer) < 22:
        raise ValueError(f"{path}: file too short ({len(buffer)} bytes) to be a checkpoint")
    raise ValueError(f"{path}: not a torch.save zip archive nor a safetensors file "
                     f"(starts with {bytes(buffer[:8])!r}); it may be truncated or corrupt")


def is_torch_file(buffer):
    """Whether a file's bytes start like torch.save's output (zip, or the legacy pickle)."""
    head = bytes(buffer[:4])
    return head in (b"PK\x03\x04", b"PK\x05\x06") or head[:3] == b"\x80\x02\x8a"


def _load_torch_buffer(path, buffer):
    if bytes(buffer[:2]) == b"PK":
        return _load_torch_zip(path, buffer)
    return _load_torch_legacy(path, buffer)


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
