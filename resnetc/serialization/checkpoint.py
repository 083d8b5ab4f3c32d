"""resnetc checkpoints (:func:`save` / :func:`load`).

ONE file in the safetensors format. Every array (NumPy or resnetc Tensor) anywhere in the
saved object becomes a safetensors tensor named by its dotted path
(``model.layer1.0.conv1.weight``, ``optimizer.state.0.momentum_buffer``); everything else
(numbers, strings, lists, tuples, dicts, None, argparse Namespaces, NumPy RNG
``bit_generator.state`` dicts) is JSON stored in the safetensors header's ``__metadata__``
under ``resnetc.checkpoint``, with ``{"__tensor__": name}`` where an array was. One file means one atomic rename (see
:mod:`resnetc.serialization.atomic`), and any safetensors reader sees the weights.
"""
import argparse
import base64
import binascii
import json
import math
import os

import numpy as np

from resnetc.serialization.arrays import _is_resnetc_tensor
from resnetc.serialization.atomic import _atomic_write
from resnetc.serialization.buffers import _read_source
from resnetc.serialization.safetensors_io import _parse_safetensors
from resnetc.serialization.torch_reader import _load_torch_buffer, is_torch_file

_FORMAT = "resnetc.checkpoint"
_VERSION = 1
_RESERVED = ("__tensor__", "__tuple__", "__dict__", "__float__", "__bytes__", "__npscalar__",
             "__namespace__")


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
        if isinstance(obj, argparse.Namespace):  # torchvision's train.py saves its args
            return {"__namespace__": self.encode(vars(obj), path + ("args",))}
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
    if "__namespace__" in obj:
        return argparse.Namespace(**_decode(obj["__namespace__"], tensors, path))
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


def save(obj, f):
    """Saves a checkpoint (any nesting of dicts, lists, tuples, numbers, strings, None,
    argparse Namespaces, NumPy arrays and resnetc Tensors, e.g. ``{'model': model.state_dict(),
    'optimizer': opt.state_dict(), 'epoch': 3, 'args': args}``) to the path ``f`` atomically,
    or to a binary file object ``f`` (io.BytesIO, an open file) as torch.save does.

    Format: one safetensors file; arrays are its tensors, named by dotted path; the rest is
    JSON in its header metadata (see the module docstring)."""
    import safetensors.numpy

    encoder = _Encoder()
    tree = encoder.encode(obj, ())
    meta = {"format": _FORMAT, "version": str(_VERSION),
            _FORMAT: json.dumps(tree, allow_nan=False, separators=(",", ":"))}
    # serialized in memory (safetensors.numpy.save_file would use its own temp file, which a
    # kill would leave behind under a name we cannot recognise)
    data = safetensors.numpy.save(encoder.tensors, metadata=meta)
    if hasattr(f, "write"):
        f.write(data)
    else:
        _atomic_write(os.fspath(f), lambda out: out.write(data))


def load(f, map_location=None, weights_only=None, **pickle_load_args):
    """Loads what :func:`save` wrote, from a path or a binary file object, as ``torch.load``
    does; a file written by ``torch.save`` (a state_dict or a checkpoint dict of them) and a
    plain safetensors file are read too (see :func:`resnetc.load_torch_state_dict`).

    Arrays come back as NumPy arrays (resnetc Tensors as Tensors, with their requires_grad);
    dict key order, tuples and non-string keys are preserved. The arrays are writable views of
    one buffer holding the file (no second copy), so that buffer lives as long as any of them.

    ``map_location`` may name the CPU (everything loads there) or be a dict or function, which
    has nothing to remap; a CUDA device is refused. Loading never runs code from the file, so
    ``weights_only`` is accepted for compatibility and changes nothing: a torch file holding a
    pickled model is refused either way."""
    del weights_only, pickle_load_args  # torch's options for its unpickler; ours is fixed
    _check_map_location(map_location)
    if not hasattr(f, "read") and not os.path.exists(os.fspath(f)):
        raise FileNotFoundError(f"no checkpoint at {os.fspath(f)}")
    path, buffer = _read_source(f)
    if is_torch_file(buffer):
        return _load_torch_buffer(path, buffer)
    if len(buffer) >= 9 and buffer[8:9] != b"{":  # a safetensors header is JSON after its length
        raise ValueError(f"{path}: not a checkpoint: neither resnetc's (safetensors) nor torch.save's "
                         f"format (starts with {bytes(buffer[:8])!r})")
    metadata, tensors = _parse_safetensors(path, buffer)
    if metadata.get("format") != _FORMAT or _FORMAT not in metadata:
        return tensors  # a plain safetensors file: its weights
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


def _check_map_location(map_location):
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    from resnetc._device import device
    device(map_location)  # raises, naming the device, unless it is the CPU
