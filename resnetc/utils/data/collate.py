"""default_collate / default_convert: samples to batches (torch.utils.data's rules, NumPy inside).

Arrays and Tensors of one shape are copied once into a preallocated contiguous batch array
(``out[k] = sample``, no intermediate list of copies) and returned as a resnetc Tensor; the dtype is
kept (ToTensor's float32 images give a float32 NCHW batch). Python ints give an int64 Tensor,
floats float64, bools bool; strings and bytes stay lists. Mappings, namedtuples and sequences are
collated field by field (a tuple becomes a list, as in torch).
"""
import collections.abc
import contextlib
import copy
import threading

import numpy as np

from resnetc.tensor import Tensor

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                                  "dicts or lists; found {}")


def _is_str_or_object(dtype):
    return dtype.kind in "SaUO"


_prefilled = threading.local()  # the batch buffer a DataLoader worker had samples written into


def _in_place(a, row):
    """True if ``a`` is the very memory of ``row`` (a view of it, nothing to copy)."""
    return (isinstance(a, np.ndarray) and a.__array_interface__["data"][0] == row.__array_interface__["data"][0]
            and a.shape == row.shape and a.strides == row.strides and a.dtype == row.dtype)


def _batch_buffer(arrays, shape, dtype):
    """The DataLoader's batch buffer (see prefilled_batch) when some of ``arrays`` already sit in
    their rows of it, else None."""
    buffer = getattr(_prefilled, "buffer", None)
    if buffer is None or buffer.shape[1:] != tuple(shape) or buffer.dtype != dtype or len(arrays) > len(buffer):
        return None
    for k, a in enumerate(arrays):
        a = a.array if isinstance(a, Tensor) else a
        if _in_place(a, buffer[k]):
            _prefilled.buffer = None  # used once: another field of the samples gets its own array
            return buffer[:len(arrays)]
    return None


@contextlib.contextmanager
def prefilled_batch(buffer):
    """Within this block (in this thread), collate_arrays stacks samples into ``buffer`` (a
    C-contiguous (N, ...) array) when samples already sit in their rows of it, and does not copy
    those. The DataLoader has the fused transform path write sample k straight into buffer[k]."""
    _prefilled.buffer = buffer
    try:
        yield
    finally:
        _prefilled.buffer = None


def collate_arrays(arrays):
    """Stacks same-shaped ndarrays/Tensors along a new first axis into one contiguous array."""
    first = arrays[0]
    shape, dtype = first.shape, first.dtype
    out = _batch_buffer(arrays, shape, dtype)
    if out is None:
        out = np.empty((len(arrays),) + tuple(shape), dtype=dtype)
    for k, a in enumerate(arrays):
        a = a.array if isinstance(a, Tensor) else a
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(a.shape)} at entry {k}")
        if not _in_place(a, out[k]):
            out[k] = a
    return out


def default_collate(batch):
    """Collates a list of samples into a batch (see the module docstring)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor(collate_arrays(batch))
    if isinstance(elem, np.ndarray):
        if _is_str_or_object(elem.dtype):
            raise TypeError(default_collate_err_msg_format.format(elem.dtype))
        return Tensor(collate_arrays(batch))
    if isinstance(elem, (np.bool_, np.number)):
        return Tensor(np.asarray(batch))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):  # bool included: a bool batch stays bool, as in torch
        return Tensor(np.asarray(batch, dtype=np.bool_ if isinstance(elem, bool) else np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(collated)
                return clone
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(samples) for samples in zip(*batch)]
        collated = [default_collate(samples) for samples in transposed]
        if isinstance(elem, tuple):
            return collated  # torch returns a list for tuples
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, value in enumerate(collated):
                    clone[i] = value
                return clone
            return type(elem)(collated)
        except TypeError:
            return collated
    raise TypeError(default_collate_err_msg_format.format(type(elem)))


def default_convert(data):
    """Converts NumPy arrays (and scalars) inside ``data`` to Tensors; used when automatic
    batching is off (``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_str_or_object(data.dtype) else Tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return Tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, value in enumerate(converted):
                    clone[i] = value
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    return data
