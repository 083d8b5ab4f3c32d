"""Argument checks shared by the functional ops (torch-like messages, raised before any C call)."""
import numpy as np

from resnetc.tensor import Tensor, as_array, is_grad_enabled


def float32_input(x, fn, name="input"):
    """The ndarray behind `x`, C-contiguous float32; TypeError naming `fn` for other dtypes."""
    array = as_array(x)
    if array.dtype != np.float32:
        raise TypeError(f"{fn}: expected {name} of dtype float32, got {array.dtype}")
    return np.ascontiguousarray(array)


def optional_vector(x, fn, name, size):
    """None, or the (size,) float32 ndarray behind `x`."""
    if x is None:
        return None
    array = float32_input(x, fn, name)
    if array.shape != (size,):
        raise ValueError(f"{fn}: {name} should contain {size} elements, got shape {tuple(array.shape)}")
    return array


def grad_array(g):
    """An incoming gradient as the C-contiguous float32 array the kernels expect."""
    return np.ascontiguousarray(g, dtype=np.float32)


def check_inplace(x, fn):
    """torch refuses in-place ops on leaves that require grad (their .grad would be wrong)."""
    if isinstance(x, Tensor) and x.requires_grad and x.is_leaf and is_grad_enabled():
        raise RuntimeError(f"{fn}: a leaf Variable that requires grad is being used in an in-place operation.")


def rebase_inplace(x, backward):
    """Makes the Tensor `x`, just modified in place, the output of an op with `backward`.

    Like torch, x keeps its identity: its old history moves to a stand-in Tensor that becomes
    the op's input. The stand-in shares x's (now overwritten) memory, so an earlier op whose
    backward reads its own output must not be followed by an in-place op (torch detects this
    with version counters; resnetc does not).
    """
    if not (isinstance(x, Tensor) and x.requires_grad and is_grad_enabled()):
        return x if isinstance(x, Tensor) else Tensor(x)
    previous = Tensor(x.array)
    previous.requires_grad = True
    previous._node = x._node
    x._node = ((previous,), backward)
    return x
