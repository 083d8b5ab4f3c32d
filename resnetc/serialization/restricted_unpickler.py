"""The allow-list unpickler for torch's ``data.pkl``.

:class:`_StateDictUnpickler` executes only the opcodes that build plain data (numbers, strings,
tuples, lists, dicts), resolves only the globals listed in ``_ALLOWED_GLOBALS`` to the stand-ins
below (never importing anything), and refuses every other global or opcode *before* anything is
called. Tensors come out as :class:`_TensorRef` (bounds-checked against their storage, data not
read yet); the reader turns them into arrays.
"""
import argparse
import collections
import math
import pickle
import pickletools as _pickletools
import re

from resnetc.serialization.arrays import _STORAGE_DTYPES, _TORCH_DTYPES

_MAX_NDIM = 64


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
