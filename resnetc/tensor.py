"""Tensor: a NumPy array with a gradient and a place on the autograd tape.

A Tensor wraps an ndarray (``t.array``) without copying it: ``np.asarray(t)`` and
``Tensor(ndarray)`` share memory. Ops record, on their output, the inputs and a backward
function that maps the output's gradient to the inputs' gradients (micrograd-style);
``backward()`` walks that tape in reverse topological order and accumulates into ``.grad``.

The C kernels (conv, batchnorm, ...) plug in through :func:`record`, like the NumPy ops here.
"""
import functools
import sys
import threading
from collections import namedtuple

import numpy as np

from resnetc._device import device, parse_to
from resnetc import _tensor_repr
from resnetc._tensor_ops import TensorOps
from resnetc.utils.hooks import add_hook

from resnetc import _dtypes
from resnetc._dtypes import float32, float64, int64, uint8

bool_ = _dtypes.bool

_grad_mode = threading.local()

MaxResult = namedtuple("MaxResult", ["values", "indices"])
MinResult = namedtuple("MinResult", ["values", "indices"])
TopkResult = namedtuple("TopkResult", ["values", "indices"])


def is_grad_enabled():
    return getattr(_grad_mode, "enabled", True)


def _set_grad_mode(enabled):
    _grad_mode.enabled = bool(enabled)


class _GradMode:
    """Context manager and decorator that sets whether ops record the tape (per thread);
    usable as ``@no_grad()`` or bare ``@no_grad``, as torch's."""

    enabled = False

    def __new__(cls, *args):
        if len(args) == 1 and callable(args[0]) and not isinstance(args[0], bool):  # bare @decorator
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self.previous = is_grad_enabled()
        _set_grad_mode(self.enabled)

    def __exit__(self, *exc):
        _set_grad_mode(self.previous)

    def _clone(self):
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Ops inside record no tape: no graph, no memory kept for backward."""


class enable_grad(_GradMode):
    """Turns recording back on, e.g. inside no_grad."""

    enabled = True


class inference_mode(_GradMode):
    """torch.inference_mode(mode=True): here the same as no_grad (when `mode` is True)."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.enabled = not self.mode

    def _clone(self):
        return inference_mode(self.mode)


class set_grad_enabled(_GradMode):
    """Sets grad mode at once when called, as torch's: ``set_grad_enabled(False)`` alone turns
    recording off until ``set_grad_enabled(True)``; as a context manager (or decorator) the
    previous mode comes back on exit."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.previous, self.enabled = is_grad_enabled(), bool(mode)
        _set_grad_mode(self.enabled)

    def __enter__(self):
        _set_grad_mode(self.enabled)

    def __exit__(self, *exc):
        _set_grad_mode(self.previous)

    def __call__(self, fn):
        _set_grad_mode(self.previous)  # as a decorator, only calls of fn change the mode
        mode = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


def _to_array(data, dtype=None):
    if isinstance(data, Tensor):
        array = data.array
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        array = np.asarray(data)
        # Python floats become float32 and ints int64, as in torch.tensor.
        if array.dtype == np.float64:
            array = array.astype(np.float32)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return array


def as_array(x):
    """The ndarray behind a Tensor, or x itself as an ndarray (no copy when possible)."""
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _operands(a, b, true_divide=False):
    """Both operands of a binary op as ndarrays of the dtype torch gives the result (see
    resnetc._dtypes): a Python/NumPy scalar or a 0-dim tensor does not raise a tensor's float
    dtype, so `float32_tensor * np.float64(2)` stays float32. `true_divide`: integer results
    become the default float32, as torch's `/`."""
    dtype = _dtypes.result_type(a, b)
    if true_divide and dtype.kind != "f":
        dtype = _dtypes.DEFAULT_FLOAT
    return _dtypes.cast(a, dtype), _dtypes.cast(b, dtype)


def record(out, inputs, backward):
    """Wraps the ndarray `out` of an op as a Tensor and puts it on the tape.

    `inputs` are the op's arguments (Tensors or not); `backward(grad_out)` returns one
    gradient ndarray (or None) per input. Nothing is recorded when grad mode is off or no
    input requires a gradient.
    """
    result = Tensor(out)
    if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        result.requires_grad = True
        result._node = (tuple(inputs), backward)
    return result


def _refcount(array):
    return sys.getrefcount(array)


def _calibrate_refcount():
    fresh = np.empty(1, np.float32)
    return _refcount(fresh)


# The count _refcount reports for an array held by one local variable of its caller and by
# nothing else; measured the way it is used, so it holds for any CPython's frame conventions.
_SOLE_LOCAL_REFCOUNT = _calibrate_refcount() if hasattr(sys, "getrefcount") else None


def _sole_reference(grad):
    """Whether the gradient array `grad` (one local variable of Tensor.backward) is referenced
    by nothing else and owns its memory: no other tensor, view, closure or user holds it, so it
    can become a .grad without a copy. Conservative: any doubt answers False."""
    if _SOLE_LOCAL_REFCOUNT is None or type(grad) is not np.ndarray:
        return False
    if not (grad.flags.owndata and grad.flags.writeable):
        return False
    return _refcount(grad) == _SOLE_LOCAL_REFCOUNT + 1  # +1: this function's parameter


def _unbroadcast(grad, shape):
    """Sums `grad` down to `shape`, undoing NumPy broadcasting."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


class Tensor(TensorOps):
    """An n-dimensional array with autograd, sharing memory with NumPy."""

    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected op

    def __init__(self, data, dtype=None, requires_grad=False):
        self.array = _to_array(data, dtype)
        self.grad = None
        self._node = None
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ interop and info
    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self.array.dtype:
            return self.array.astype(dtype)
        return self.array.copy() if copy else self.array

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.array

    @property
    def shape(self):
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def data(self):
        """A Tensor sharing this one's memory, outside the tape (torch's ``.data``)."""
        return Tensor(self.array)

    @data.setter
    def data(self, value):
        self.array = _to_array(value)

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        return self.ndim

    def numel(self):
        return self.array.size

    def item(self):
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be converted to Scalar")
        return self.array.reshape(()).item()

    def tolist(self):
        return self.array.tolist()

    def __len__(self):
        return len(self.array)

    def __repr__(self):
        body = _tensor_repr.tensor_body(self.array)
        extras = ""
        if _tensor_repr.shows_dtype(self.array.dtype):
            extras += f", dtype={self.array.dtype}"
        if self._node is not None:
            extras += f", grad_fn=<{getattr(self._node[1], '__qualname__', 'Backward').split('.')[0]}>"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        if self.array.size > _tensor_repr.THRESHOLD:
            extras += f", shape={tuple(self.shape)}"
        return f"tensor({body}{extras})"

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.array.dtype.kind != "f":
            raise RuntimeError(f"only floating point tensors can require gradients, got {self.array.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        return Tensor(self.array)

    def register_hook(self, hook):
        """Calls ``hook(grad)`` with this tensor's gradient during backward; a tensor it returns
        replaces the gradient (for what flows further back and for a leaf's .grad). Returns a
        handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook)

    def _run_hooks(self, grad):
        for hook in list(self._hooks.values()):
            replaced = hook(Tensor(grad))
            if replaced is not None:
                replaced = as_array(replaced)
                if replaced.shape != grad.shape:
                    raise RuntimeError(f"hook returned a gradient of shape {replaced.shape}, expected {grad.shape}")
                grad = replaced
        return grad

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=False):
        """Accumulates d(self)/d(leaf) * gradient into every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            gradient = np.ones_like(self.array)
        else:
            gradient = np.asarray(as_array(gradient), dtype=self.array.dtype)
            if gradient.shape != self.shape:
                raise ValueError(f"gradient has shape {gradient.shape}, expected {self.shape}")
        order = self._topological_order()
        grads = {id(self): gradient}
        for position, tensor in enumerate(order):
            if not retain_graph:
                order[position] = None  # with the node's inputs dropped below, frees activations as we go
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            if tensor._hooks:
                grad = tensor._run_hooks(grad)
            if tensor._node is None:
                owned = _sole_reference(grad)  # a statement of its own: an argument list would hold grad too
                tensor._accumulate_grad(grad, owned)
                continue
            inputs, backward = tensor._node
            if backward is None:
                raise RuntimeError("Trying to backward through the graph a second time; "
                                   "call backward(retain_graph=True) the first time if you need to.")
            for x, g in zip(inputs, backward(grad)):
                if g is None or not isinstance(x, Tensor) or not x.requires_grad:
                    continue
                if id(x) in grads:
                    grads[id(x)] = grads[id(x)] + g
                else:
                    grads[id(x)] = g
            x = g = None  # the loop's last gradient must not look shared to _sole_reference
            if not retain_graph:
                # The graph below stays reachable only through tensors still to be processed, so
                # each activation is freed once the backwards that use it have run (as torch
                # frees saved tensors), instead of all living until backward() returns.
                tensor._node = ((), None)

    def _accumulate_grad(self, grad, owned=False):
        """`owned`: nothing else references `grad` (see _sole_reference), so the first
        gradient can become .grad without a copy, as torch's AccumulateGrad steals it."""
        array = np.asarray(grad, dtype=self.array.dtype)
        owned = owned or array is not grad  # a dtype conversion made a private copy
        if array.shape != self.shape:
            array = array.reshape(self.shape)
        if self.grad is None:
            # Otherwise own the buffer: the op's gradient array may be shared with other tensors.
            self.grad = Tensor(array if owned else np.array(array, copy=True))
        else:
            self.grad.array += array

    def _topological_order(self):
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            tensor, expanded = stack.pop()
            if expanded:
                order.append(tensor)
                continue
            if id(tensor) in visited:
                continue
            visited.add(id(tensor))
            stack.append((tensor, True))
            if tensor._node is not None:
                for x in tensor._node[0]:
                    if isinstance(x, Tensor) and x.requires_grad and id(x) not in visited:
                        stack.append((x, False))
        return order[::-1]

    # ------------------------------------------------------------------ elementwise arithmetic
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __floordiv__(self, other):
        return floor_divide(self, other)

    def __rfloordiv__(self, other):
        return floor_divide(other, self)

    def __mod__(self, other):
        return remainder(self, other)

    def __rmod__(self, other):
        return remainder(other, self)

    def __and__(self, other):
        return bitwise_and(self, other)

    def __or__(self, other):
        return bitwise_or(self, other)

    def __xor__(self, other):
        return bitwise_xor(self, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__  # commutative

    def __invert__(self):
        return bitwise_not(self)

    def __neg__(self):
        return neg(self)

    def __pow__(self, exponent):
        return pow(self, exponent)

    def __rpow__(self, base):
        return pow(base, self)

    def __matmul__(self, other):
        return matmul(self, other)

    matmul = __matmul__

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __getitem__(self, index):
        return index_select(self, index)

    def __setitem__(self, index, value):
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError("in-place assignment to a tensor that requires grad; use torch-style no_grad()")
        self.array[_plain_index(index)] = as_array(value)

    # Comparisons give boolean tensors, outside the tape.
    def __eq__(self, other):
        return eq(self, other)

    def __ne__(self, other):
        return ne(self, other)

    def __lt__(self, other):
        return lt(self, other)

    def __le__(self, other):
        return le(self, other)

    def __gt__(self, other):
        return gt(self, other)

    def __ge__(self, other):
        return ge(self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    __hash__ = object.__hash__

    # Python scalars from one-element tensors, as torch's.
    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.array.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.size != 1 or self.array.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, format_spec):
        if self.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def sqrt(self):
        return sqrt(self)

    def abs(self):
        return abs_(self)

    def clamp(self, min=None, max=None):
        return clamp(self, min, max)

    def sum(self, dim=None, keepdim=False):
        return sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return mean(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        """The maximum; with `dim`, a (values, indices) pair as in torch."""
        if dim is None:
            return amax(self, None, False)
        if isinstance(dim, (Tensor, np.ndarray)):
            raise TypeError("max(other): use resnetc.maximum(a, b) (or resnetc.max(a, b)) for an elementwise maximum")
        return MaxResult(*indexed_extreme(self, dim, keepdim, np.argmax))

    def amax(self, dim=None, keepdim=False):
        return amax(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return Tensor(np.argmax(self.array, axis=dim, keepdims=keepdim))

    def min(self, dim=None, keepdim=False):
        """The minimum; with `dim`, a (values, indices) pair as in torch."""
        if dim is None:
            return amin(self, None, False)
        if isinstance(dim, (Tensor, np.ndarray)):
            raise TypeError("min(other): use resnetc.minimum(a, b) (or resnetc.min(a, b)) for an elementwise minimum")
        return MinResult(*indexed_extreme(self, dim, keepdim, np.argmin))

    def amin(self, dim=None, keepdim=False):
        return amin(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return Tensor(np.argmin(self.array, axis=dim, keepdims=keepdim))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The k largest (or smallest) entries along `dim` and their indices, largest first."""
        return topk(self, k, dim, largest, sorted)

    def sigmoid(self):
        return sigmoid(self)

    def tanh(self):
        return tanh(self)

    def unsqueeze(self, dim):
        return reshape(self, np.expand_dims(self.array, dim).shape)

    def squeeze(self, dim=None):
        """Drops dimensions of size 1 (only `dim`, or those in the tuple `dim`, when given)."""
        dims = range(self.ndim) if dim is None else [dim] if isinstance(dim, int) else dim
        drop = {d % self.ndim for d in dims if self.ndim and self.shape[d] == 1}
        return reshape(self, tuple(n for i, n in enumerate(self.shape) if i not in drop))

    def t(self):
        """The transpose of a matrix (0-D and 1-D tensors are returned as they are)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def cpu(self):
        """This tensor: resnetc's tensors live in host memory (for torch code's .cpu().numpy())."""
        return self

    @property
    def device(self):
        """Always the CPU (for torch code's ``labels.to(outputs.device)``)."""
        return device("cpu")

    def cuda(self, *args, **kwargs):
        device("cuda")  # raises: resnetc computes on the CPU only

    def reshape(self, *shape):
        return reshape(self, _shape_args(shape))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        end = end_dim % self.ndim if self.ndim else 0
        shape = self.shape[:start_dim] + (-1,) + self.shape[end + 1:]
        return reshape(self, shape)

    def permute(self, *dims):
        return permute(self, _shape_args(dims))

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return permute(self, dims)

    # nn.functional's (C kernels for float32, its checks); imported here, as nn imports this module
    def log_softmax(self, dim, dtype=None):
        from resnetc.nn.functional import log_softmax
        return log_softmax(self, dim, dtype=dtype)

    def softmax(self, dim, dtype=None):
        from resnetc.nn.functional import softmax
        return softmax(self, dim, dtype=dtype)

    # ------------------------------------------------------------------ copies and in-place (off the tape)
    def clone(self):
        return record(self.array.copy(), (self,), lambda g: (g,))

    def contiguous(self):
        return self if self.array.flags.c_contiguous else self.clone()

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def long(self):
        return self.to(int64)

    def to(self, *args, **kwargs):
        """torch's .to(dtype), .to(device), .to(device, dtype) or .to(other): the device must be
        the CPU; the tensor itself when nothing changes (a copy with copy=True)."""
        dtype, copy = parse_to(args, kwargs, self.dtype)
        if dtype is None:
            return self.clone() if copy else self
        array = self.array.astype(dtype)
        if dtype.kind != "f":
            return Tensor(array)
        return record(array, (self,), lambda g: (g.astype(self.dtype),))

    # In place. Without a graph to record (grad mode off, or nothing requires grad) the result is
    # written into this tensor's own memory, which views and NumPy arrays sharing it see: that is
    # what `p -= lr * p.grad` under no_grad() needs. As in torch, a leaf that requires grad
    # refuses in-place ops while grad mode is on. A non-leaf in the graph (`out += identity` in a
    # residual block) is supported without corrupting saved values: the op is recorded
    # out-of-place on a node holding the old value and this tensor takes the result's memory and
    # node, so the values that earlier ops saved for backward are never overwritten (views taken
    # of the tensor before the op keep the old values, unlike torch).
    def _inplace(self, op, other=None, check_dtype=True):
        """self <- op(self, other) in place; `check_dtype`: refuse results of a higher category than
        self's dtype (float into an integer tensor), as torch does."""
        recording = is_grad_enabled() and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))
        if recording and self.requires_grad and self._node is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if recording:
            source = Tensor.__new__(Tensor)
            source.array, source.grad, source._node, source._hooks = self.array, None, self._node, None
            source.requires_grad = self.requires_grad
            out = op(source, other)
        else:
            with no_grad():
                out = op(self.detach(), other)
        if check_dtype and not _dtypes.can_cast(out.dtype, self.dtype):
            raise RuntimeError(f"result type {_dtypes.torch_name(out.dtype)} can't be cast to the desired output "
                               f"type {_dtypes.torch_name(self.dtype)}")
        if out.shape != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(self.shape, out.shape))}")
        if recording:
            if out.dtype != self.dtype:
                out = out.to(self.dtype)
            self.array, self._node, self.requires_grad = out.array, out._node, True
        elif out.array is not self.array:
            np.copyto(self.array, out.array, casting="unsafe")
        return self

    def __iadd__(self, other):
        return self._inplace(add, other)

    def __isub__(self, other):
        return self._inplace(sub, other)

    def __imul__(self, other):
        return self._inplace(mul, other)

    def __itruediv__(self, other):
        return self._inplace(div, other)

    def __ifloordiv__(self, other):
        return self._inplace(floor_divide, other)

    def __imod__(self, other):
        return self._inplace(remainder, other)

    def __ipow__(self, other):
        return self._inplace(pow, other)

    def __iand__(self, other):
        return self._inplace(bitwise_and, other)

    def __ior__(self, other):
        return self._inplace(bitwise_or, other)

    def __ixor__(self, other):
        return self._inplace(bitwise_xor, other)

    def add_(self, other, alpha=1):
        return self._inplace(lambda a, b: add(a, b, alpha), other)

    def sub_(self, other, alpha=1):
        return self._inplace(lambda a, b: sub(a, b, alpha), other)

    def mul_(self, other):
        return self._inplace(mul, other)

    def div_(self, other, rounding_mode=None):
        return self._inplace(lambda a, b: div(a, b, rounding_mode), other)

    def pow_(self, exponent):
        return self._inplace(pow, exponent)

    def neg_(self):
        return self._inplace(lambda a, _: neg(a))

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda a, _: clamp(a, min, max))

    clip_ = clamp_

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        return self._inplace(lambda a, v: _filled(a, v), value, check_dtype=False)

    def copy_(self, src, non_blocking=False):
        """self <- src (broadcast, converted to self's dtype); the gradient flows to src."""
        return self._inplace(lambda a, b: _copied(a, b), src, check_dtype=False)


def _filled(a, value):
    """A tensor like a, all `value` (fill_'s out-of-place form; a 0-dim tensor value gets the gradient)."""
    x = as_array(a)
    out = np.full(x.shape, as_array(value), dtype=x.dtype)
    return record(out, (a, value), lambda g: (None, np.asarray(g.sum())))


def _copied(a, src):
    x = as_array(a)
    y = as_array(src)
    out = np.array(np.broadcast_to(y, np.broadcast_shapes(x.shape, y.shape)), dtype=x.dtype)
    return record(out, (a, src), lambda g: (None, _unbroadcast(g, y.shape)))


def _shape_args(args):
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


def _plain_index(index):
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    return index.array if isinstance(index, Tensor) else index


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (like torch.tensor)."""
    check_device(device)
    array = np.array(_to_array(data, dtype), copy=True)
    return Tensor(array, requires_grad=requires_grad)


def check_device(name):
    """Factories' `device=`: None or the CPU (anything else raises, see resnetc.device)."""
    if name is not None:
        device(name)


def from_numpy(array):
    """A tensor sharing memory with `array`."""
    return Tensor(np.asarray(array))


# ---------------------------------------------------------------------- differentiable ops
def add(a, b, alpha=1):
    xa, xb = _operands(a, b)
    if alpha != 1:
        xb = xb * np.asarray(alpha).astype(xb.dtype)
    sa, sb = xa.shape, xb.shape
    return record(np.add(xa, xb), (a, b),
                  lambda g: (_unbroadcast(g, sa), _unbroadcast(g * alpha if alpha != 1 else g, sb)))


def sub(a, b, alpha=1):
    xa, xb = _operands(a, b)
    if alpha != 1:
        xb = xb * np.asarray(alpha).astype(xb.dtype)
    sa, sb = xa.shape, xb.shape
    return record(np.subtract(xa, xb), (a, b),
                  lambda g: (_unbroadcast(g, sa), _unbroadcast(-g * alpha if alpha != 1 else -g, sb)))


def mul(a, b):
    xa, xb = _operands(a, b)
    return record(xa * xb, (a, b),
                  lambda g: (_unbroadcast(g * xb, xa.shape), _unbroadcast(g * xa, xb.shape)))


def div(a, b, rounding_mode=None):
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                             f"'{rounding_mode}'")
        return floor_divide(a, b) if rounding_mode == "floor" else _trunc_divide(a, b)
    xa, xb = _operands(a, b, true_divide=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # inf and nan, silently, as torch
        out = xa / xb
    return record(out, (a, b),
                  lambda g: (_unbroadcast(g / xb, xa.shape), _unbroadcast(-g * xa / (xb * xb), xb.shape)))


def _integer_division_check(xb):
    if xb.dtype.kind in "iub" and not np.all(xb):
        raise RuntimeError("ZeroDivisionError")  # torch's message for an integer division by zero


def floor_divide(a, b):
    """a // b rounded down (torch's floor_divide, Python's //); no gradient, as in torch."""
    xa, xb = _operands(a, b)
    _integer_division_check(xb)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Tensor(np.floor_divide(xa, xb))


def _trunc_divide(a, b):
    xa, xb = _operands(a, b)
    _integer_division_check(xb)
    with np.errstate(divide="ignore", invalid="ignore"):
        if xa.dtype.kind == "f":
            return Tensor(np.trunc(xa / xb))
        quotient = np.floor_divide(xa, xb)
        return Tensor(quotient + ((quotient < 0) & (quotient * xb != xa)))


def remainder(a, b):
    """a % b with the sign of b (torch's remainder, Python's %)."""
    xa, xb = _operands(a, b)
    _integer_division_check(xb)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.remainder(xa, xb)
    return record(out, (a, b),
                  lambda g: (_unbroadcast(g, xa.shape), _unbroadcast(-g * np.floor_divide(xa, xb), xb.shape)))


def _bitwise(ufunc, name):
    def op(a, b):
        xa, xb = _operands(a, b)
        if xa.dtype.kind not in "iub":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{_dtypes.torch_name(xa.dtype)}\'')
        return Tensor(ufunc(xa, xb))

    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(a):
    x = as_array(a)
    if x.dtype.kind not in "iub":
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{_dtypes.torch_name(x.dtype)}'")
    return Tensor(np.invert(x))


def _comparison(ufunc):
    def compare(a, b):
        xa, xb = _operands(a, b)
        return Tensor(ufunc(xa, xb))

    return compare


eq, ne, lt, le, gt, ge = (_comparison(f) for f in (np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                                                     np.greater_equal))


def neg(a):
    return record(-as_array(a), (a,), lambda g: (-g,))


def pow(a, exponent):
    """a ** exponent; either may be a tensor (a scalar base: ``2 ** t``)."""
    xa, xb = _operands(a, exponent)
    if xa.dtype.kind in "iu" and np.any(xb < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = (xa ** xb).astype(xa.dtype, copy=False)  # bool ** bool: NumPy's int8, torch's bool

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = g * xb * xa ** (xb - 1) if isinstance(a, Tensor) and a.requires_grad else None
            gb = g * out * np.log(xa) if isinstance(exponent, Tensor) and exponent.requires_grad else None
        if ga is not None:  # 0 ** 0 is 1 with derivative 0 in torch, not nan
            ga = np.where(xb == 0, 0, ga).astype(ga.dtype)
        return (None if ga is None else _unbroadcast(ga, xa.shape),
                None if gb is None else _unbroadcast(np.where((xa == 0) & (xb >= 0), 0, gb).astype(gb.dtype), xb.shape))

    return record(out, (a, exponent), backward)


def _floating(a):
    """a's values for a float-valued op: integers and bools become float32, as in torch."""
    x = as_array(a)
    return x if x.dtype.kind in "fc" else x.astype(_dtypes.DEFAULT_FLOAT)


def exp(a):
    with np.errstate(over="ignore"):  # inf, silently, as torch
        out = np.exp(_floating(a))
    return record(out, (a,), lambda g: (g * out,))


def log(a):
    x = _floating(a)
    return record(np.log(x), (a,), lambda g: (g / x,))


def sqrt(a):
    out = np.sqrt(_floating(a))
    return record(out, (a,), lambda g: (g / (2 * out),))


def abs_(a):
    x = as_array(a)
    return record(np.abs(x), (a,), lambda g: (g * np.sign(x),))


def clamp(a, min=None, max=None):
    """Values clipped to [min, max]; as torch's, the gradient passes strictly inside the bounds
    (0 where a value equals one), and the result's dtype is the promoted one (int with 0.5: float32)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    dtype = _dtypes.result_type(a, *bounds)
    x = _dtypes.cast(a, dtype)
    out = np.clip(x, min, max).astype(dtype, copy=False)
    inside = np.ones(x.shape, dtype=bool)
    if min is not None:
        inside &= x > as_array(min)
    if max is not None:
        inside &= x < as_array(max)
    return record(out, (a,), lambda g: (g * inside,))


def _axes(dim):
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def _expand_reduced(g, shape, dim, keepdim):
    """Reshapes the gradient of a reduction so it broadcasts back to the input's shape."""
    if dim is not None and not keepdim:
        axes = _axes(dim)
        axes = axes if isinstance(axes, tuple) else (axes,)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def sum(a, dim=None, keepdim=False):
    x = as_array(a)
    wide = np.int64 if x.dtype.kind in "biu" else None  # torch sums integers and bools as int64
    out = np.asarray(x.sum(axis=_axes(dim), keepdims=keepdim, dtype=wide))
    return record(out, (a,), lambda g: (_expand_reduced(g, x.shape, dim, keepdim),))


def mean(a, dim=None, keepdim=False):
    x = as_array(a)
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {_dtypes.torch_name(x.dtype)}")
    out = np.asarray(x.mean(axis=_axes(dim), keepdims=keepdim))
    count = x.size // max(out.size, 1)
    return record(out, (a,), lambda g: (_expand_reduced(g / count, x.shape, dim, keepdim),))


def _extreme(a, dim, keepdim, reduce):
    """amax / amin (reduce = np.max / np.min): ties share the gradient evenly, as torch's do."""
    x = as_array(a)
    out = np.asarray(reduce(x, axis=_axes(dim), keepdims=keepdim))

    def backward(g):
        peak = x == _expand_reduced(out, x.shape, dim, keepdim)
        share = peak / peak.sum(axis=_axes(dim), keepdims=True)
        return (_expand_reduced(g, x.shape, dim, keepdim) * share,)

    return record(out, (a,), backward)


def amax(a, dim=None, keepdim=False):
    return _extreme(a, dim, keepdim, np.max)


def amin(a, dim=None, keepdim=False):
    return _extreme(a, dim, keepdim, np.min)


def _checked_dim(dim, ndim):
    if not -max_ndim(ndim) <= dim < max_ndim(ndim):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max_ndim(ndim)}, "
                         f"{max_ndim(ndim) - 1}], but got {dim})")
    return dim % max_ndim(ndim)


def max_ndim(ndim):
    return ndim if ndim else 1


def take_along(a, indices, dim):
    """a's entries at `indices` along `dim` (indices shaped like a, with any size along dim);
    the gradient goes to exactly those entries, as torch's max(dim)/min(dim)/topk route it."""
    x = as_array(a)

    def backward(g):
        grad = np.zeros(x.shape, dtype=np.result_type(g, x) if x.dtype.kind == "f" else np.asarray(g).dtype)
        np.put_along_axis(grad, indices, g, axis=dim)
        return (grad,)

    return record(np.take_along_axis(x, indices, axis=dim), (a,), backward)


def indexed_extreme(a, dim, keepdim, arg):
    """(values, indices) of max(dim) / min(dim) (arg = np.argmax / np.argmin)."""
    x = as_array(a)
    dim = _checked_dim(dim, x.ndim)
    if x.ndim == 0:
        return a if isinstance(a, Tensor) else Tensor(x), Tensor(np.int64(0))
    indices = np.expand_dims(arg(x, axis=dim), dim)
    values = take_along(a, indices, dim)
    if not keepdim:
        values = reshape(values, np.squeeze(indices, dim).shape)
        indices = np.squeeze(indices, dim)
    return values, Tensor(indices.astype(np.int64))


def topk(a, k, dim=-1, largest=True, sorted=True):
    x = as_array(a)
    scalar = x.ndim == 0  # torch treats a 0-d tensor as one element, and returns 0-d results
    if scalar:
        _checked_dim(dim, 0)
        a, x, dim = reshape(a, (1,)), x.reshape(1), 0
    dim = _checked_dim(dim, x.ndim)
    if not 0 <= k <= x.shape[dim]:
        raise RuntimeError(f"selected index k out of range: k={k}")
    if largest:  # descending, NaN first (torch's largest), ties by lower index: no negation (unsigned ints)
        n = x.shape[dim]
        order = n - 1 - np.flip(np.argsort(np.flip(x, dim), axis=dim, kind="stable"), dim)
    else:
        order = np.argsort(x, axis=dim, kind="stable")
    indices = np.take(order, np.arange(k), axis=dim)
    values = take_along(a, indices, dim)
    if scalar:
        values, indices = reshape(values, indices.shape[:0] if k else (0,)), indices.reshape(() if k else (0,))
    return TopkResult(values, Tensor(indices.astype(np.int64)))


def logistic(x):
    """1 / (1 + exp(-x)) of an ndarray, in float32 for integer input (as torch)."""
    x = x if x.dtype.kind == "f" else x.astype(np.float32)
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for very negative x: sigmoid is 0
        return (1 / (1 + np.exp(-x))).astype(x.dtype, copy=False)


def sigmoid(a):
    out = logistic(as_array(a))
    return record(out, (a,), lambda g: (g * out * (1 - out),))


def tanh(a):
    x = as_array(a)
    out = np.tanh(x if x.dtype.kind == "f" else x.astype(np.float32))
    return record(out, (a,), lambda g: (g * (1 - out * out),))


def maximum(a, b):
    """Elementwise maximum; where they are equal the gradient is shared evenly, as torch's."""
    return _elementwise_extreme(a, b, np.maximum)


def minimum(a, b):
    return _elementwise_extreme(a, b, np.minimum)


def _elementwise_extreme(a, b, pick):
    xa, xb = _operands(a, b)
    out = pick(xa, xb)

    def backward(g):
        wins_a = np.where(xa == xb, 0.5, (out == xa).astype(np.float32))
        return _unbroadcast(g * wins_a, xa.shape), _unbroadcast(g * (1 - wins_a), xb.shape)

    return record(out, (a, b), backward)


def matmul(a, b):
    xa, xb = as_array(a), as_array(b)
    if xa.ndim != 2 or xb.ndim != 2:
        raise ValueError(f"matmul: expected two 2-D tensors, got shapes {xa.shape} and {xb.shape}")
    return record(xa @ xb, (a, b), lambda g: (g @ xb.T, xa.T @ g))


def reshape(a, shape):
    x = as_array(a)
    return record(x.reshape(shape), (a,), lambda g: (g.reshape(x.shape),))


def permute(a, dims):
    inverse = np.argsort(dims)
    return record(np.transpose(as_array(a), dims), (a,), lambda g: (np.transpose(g, inverse),))


def index_select(a, index):
    """a[index] for basic and advanced (integer array) indexing, e.g. ``logp[range(n), labels]``."""
    x = as_array(a)
    index = _plain_index(index)

    def backward(g):
        grad = np.zeros_like(x)
        np.add.at(grad, index, g)
        return (grad,)

    return record(x[index], (a,), backward)


def cat(tensors, dim=0):
    dtype = _dtypes.result_type(*tensors)  # torch promotes mixed inputs
    arrays = [_dtypes.cast(t, dtype) for t in tensors]
    bounds = np.cumsum([x.shape[dim] for x in arrays])[:-1]
    return record(np.concatenate(arrays, axis=dim), tuple(tensors),
                  lambda g: tuple(np.split(g, bounds, axis=dim)))


def stack(tensors, dim=0):
    dtype = _dtypes.result_type(*tensors)
    arrays = [_dtypes.cast(t, dtype) for t in tensors]
    return record(np.stack(arrays, axis=dim), tuple(tensors),
                  lambda g: tuple(np.moveaxis(g, dim, 0)))
