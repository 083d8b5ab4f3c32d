"""torch's other tensor ops: norms and moments, flips, gathers and masks, sorting, dtype casts,
the ``new_*`` factories. Each is a function here (also exported as resnetc.<name>) and a method
of Tensor through ``TensorOps``. Differentiable where torch's are: each backward sits under its
forward in the function body."""
import builtins
from collections import namedtuple

import numpy as np

from resnetc import _dtypes
from resnetc import tensor as _t

SortResult = namedtuple("SortResult", ["values", "indices"])


def _float_input(x, name):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}(): input dtype should be floating point, but got {_dtypes.torch_name(x.dtype)}")


def _dims(dim, ndim):
    """`dim` (None, int or sequence) as a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(_t._checked_dim(d, ndim) for d in dims) if ndim else ()


def _keep(g, shape, axes, keepdim):
    """A reduction's gradient (or output) broadcast back to the input's shape."""
    if not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


# ---------------------------------------------------------------------- norms and moments
def norm(a, p="fro", dim=None, keepdim=False):
    """The vector p-norm over `dim` (all entries by default): p = 2 / 'fro' (default), 1, inf,
    -inf, 0 (count of nonzeros) or any other number. Its gradient at a zero norm is 0, as torch's."""
    x = _t.as_array(a)
    _float_input(x, "linalg.vector_norm")
    axes = _dims(dim, x.ndim)
    p = 2 if p == "fro" else p
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported (a number, 'fro' or inf)")
    ax = np.abs(x)
    if p == 2:
        out = np.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
    elif p == 1:
        out = ax.sum(axis=axes, keepdims=keepdim)
    elif np.isinf(p):
        out = (np.max if p > 0 else np.min)(ax, axis=axes, keepdims=keepdim)
    elif p == 0:
        out = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    else:
        out = (ax ** p).sum(axis=axes, keepdims=keepdim) ** (1 / p)
    out = np.asarray(out, dtype=x.dtype)

    def backward(g):
        if p == 0:
            return (None,)  # no gradient (torch leaves .grad None too)
        g, n = _keep(g, x.shape, axes, keepdim), _keep(out, x.shape, axes, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                grad = g * x / n
            elif p == 1:
                grad = g * np.sign(x)
            elif np.isinf(p):
                hit = ax == n
                grad = g * np.sign(x) * hit / _keep(hit.sum(axis=axes, keepdims=keepdim), x.shape, axes, keepdim)
            else:
                grad = g * np.sign(x) * ax ** (p - 1) / n ** (p - 1)
        return (np.where(n == 0, 0, grad).astype(x.dtype),)

    return _t.record(out, (a,), backward)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim` with Bessel's correction by default (``unbiased=False`` or
    ``correction=0`` for the population variance), as torch's."""
    if isinstance(dim, bool):  # torch's var(input, unbiased) overload
        dim, unbiased = None, dim
    x = _t.as_array(a)
    if x.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _dims(dim, x.ndim)
    count = int(np.prod([x.shape[i] for i in axes]))
    dof = count - _correction(unbiased, correction)
    centered = x - x.mean(axis=axes, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # dof <= 0: inf or nan, as torch
        out = np.asarray((centered * centered).sum(axis=axes, keepdims=keepdim) / np.asarray(dof, x.dtype), x.dtype)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((_keep(g, x.shape, axes, keepdim) * centered * np.asarray(2 / dof if dof else np.inf, x.dtype)),)

    return _t.record(out, (a,), backward)


def std(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The square root of :func:`var` (same arguments)."""
    return _t.sqrt(var(a, dim, unbiased, keepdim, correction=correction))


# ---------------------------------------------------------------------- shape and indexing
def flip(a, dims):
    axes = _dims(dims, _t.as_array(a).ndim)
    return _t.record(np.flip(_t.as_array(a), axes).copy(), (a,), lambda g: (np.flip(g, axes),))


def expand(a, *sizes):
    """a broadcast to `sizes` (-1 keeps a dimension), a read-only view as torch's."""
    x = _t.as_array(a)
    sizes = _t._shape_args(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({x.ndim})")
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[i + lead]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[i + lead]}) must match the existing size "
                               f"({n}) at non-singleton dimension {i + lead}.  Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(x.shape)}")
    return _t.record(np.broadcast_to(x, shape), (a,), lambda g: (_t._unbroadcast(g, x.shape),))


def gather(a, dim, index):
    """out[i][j] = a[index[i][j]][j] for dim 0 (and so on): torch.gather. index is int64 and may
    be smaller than a in the other dimensions; the gradient adds up over repeated indices."""
    x, idx = _t.as_array(a), _t.as_array(index)
    if idx.dtype != np.int64:
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {_dtypes.torch_name(idx.dtype)}")
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    dim = _t._checked_dim(dim, x.ndim)
    if np.any((idx < -x.shape[dim]) | (idx >= x.shape[dim])) if x.ndim else np.any(idx != 0):
        raise RuntimeError(f"index out of bounds in gather along dimension {dim} of size {x.shape[dim] if x.ndim else 1}")
    if builtins.any(idx.shape[d] > x.shape[d] for d in range(x.ndim) if d != dim):
        raise RuntimeError(f"Size does not match at a dimension other than {dim}: index {tuple(idx.shape)}, "
                           f"input {tuple(x.shape)}")
    positions = list(np.indices(idx.shape, sparse=True))
    if x.ndim:
        positions[dim] = idx
    positions = tuple(positions)

    def backward(g):
        grad = np.zeros(x.shape, dtype=g.dtype)
        np.add.at(grad, positions, g)
        return (grad, None)

    return _t.record(x[positions], (a, index), backward)


def masked_fill(a, mask, value):
    """a with `value` where the boolean `mask` (broadcast to a) is True."""
    x, m = _t.as_array(a), _t.as_array(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_dtypes.torch_name(m.dtype)}")
    if isinstance(value, _t.Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    if np.broadcast_shapes(x.shape, m.shape) != x.shape:
        raise RuntimeError(f"masked_fill: the mask of shape {tuple(m.shape)} does not broadcast to {tuple(x.shape)}")
    out = np.where(m, _dtypes.cast(value, x.dtype), x)
    return _t.record(out, (a, value),
                     lambda g: (np.where(m, 0, g).astype(g.dtype), np.asarray((g * m).sum(), g.dtype)))


def where(condition, input=None, other=None):
    """input where condition, else other (either may be a number); ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    c = _t.as_array(condition)
    if c.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtypes.torch_name(c.dtype)}")
    xa, xb = _t._operands(input, other)
    return _t.record(np.where(c, xa, xb), (input, other),
                     lambda g: (_t._unbroadcast(np.where(c, g, 0).astype(g.dtype), xa.shape),
                                _t._unbroadcast(np.where(c, 0, g).astype(g.dtype), xb.shape)))


def nonzero(a, as_tuple=False):
    x = _t.as_array(a)
    if as_tuple:
        return tuple(_t.Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(x)))
    return _t.Tensor(np.argwhere(x).astype(np.int64))


# ---------------------------------------------------------------------- sorting and counting
def argsort(a, dim=-1, descending=False, stable=False):
    """Indices that sort `a` along `dim`; stable in either direction (NaN counts as largest)."""
    x = _t.as_array(a)
    if x.ndim == 0:
        return _t.Tensor(np.int64(0))
    dim = _t._checked_dim(dim, x.ndim)
    if descending:  # reversed stable ascending order of the reversed input: ties keep index order
        order = x.shape[dim] - 1 - np.flip(np.argsort(np.flip(x, dim), axis=dim, kind="stable"), dim)
    else:
        order = np.argsort(x, axis=dim, kind="stable")
    return _t.Tensor(order.astype(np.int64))


def sort(a, dim=-1, descending=False, stable=False):
    """(values, indices) of `a` sorted along `dim`; the values carry the gradient."""
    indices = argsort(a, dim, descending, stable)
    if indices.ndim == 0:
        return SortResult(a if isinstance(a, _t.Tensor) else _t.Tensor(a), indices)
    return SortResult(_t.take_along(a, indices.array, _t._checked_dim(dim, indices.ndim)), indices)


def unique(a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with each entry's position among them
    (`return_inverse`, shaped like a) and their counts."""
    x = _t.as_array(a)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=dim)
    out = [_t.Tensor(values)]
    if return_inverse:
        out.append(_t.Tensor(inverse.reshape(x.shape if dim is None else (x.shape[dim],)).astype(np.int64)))
    if return_counts:
        out.append(_t.Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(a, weights=None, minlength=0):
    x = _t.as_array(a)
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if np.any(x < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _t.Tensor(np.bincount(x, minlength=minlength).astype(np.int64))
    w = _t.as_array(weights)
    return _t.Tensor(np.bincount(x, w, minlength=minlength).astype(w.dtype if w.dtype.kind == "f" else np.float64))


# ---------------------------------------------------------------------- elementwise
def round(a, decimals=0):
    """Rounds half to even, as torch; the gradient is zero (as torch's)."""
    x = _t.as_array(a)
    return _t.record(np.round(x, decimals), (a,), lambda g: (np.zeros_like(g),))


def isnan(a):
    return _t.Tensor(np.isnan(_t.as_array(a)))


def isinf(a):
    return _t.Tensor(np.isinf(_t.as_array(a)))


def isfinite(a):
    return _t.Tensor(np.isfinite(_t.as_array(a)))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    xa, xb = _t._operands(a, b)
    return _t.Tensor(np.isclose(xa, xb, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(a, b, rtol, atol, equal_nan).array.all())


def logical_not(a):
    return _t.Tensor(np.logical_not(_t.as_array(a)))


def logical_and(a, b):
    return _t.Tensor(np.logical_and(_t.as_array(a), _t.as_array(b)))


def logical_or(a, b):
    return _t.Tensor(np.logical_or(_t.as_array(a), _t.as_array(b)))


def logical_xor(a, b):
    return _t.Tensor(np.logical_xor(_t.as_array(a), _t.as_array(b)))


def any(a, dim=None, keepdim=False):
    x = _t.as_array(a)
    out = np.any(x, axis=_t._axes(dim), keepdims=keepdim)
    return _t.Tensor(np.asarray(out).astype(np.uint8 if x.dtype == np.uint8 else np.bool_))


def all(a, dim=None, keepdim=False):
    x = _t.as_array(a)
    out = np.all(x, axis=_t._axes(dim), keepdims=keepdim)
    return _t.Tensor(np.asarray(out).astype(np.uint8 if x.dtype == np.uint8 else np.bool_))


# ---------------------------------------------------------------------- matrix products
def mm(a, b):
    return _t.matmul(a, b)


def bmm(a, b):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors."""
    xa, xb = _t.as_array(a), _t.as_array(b)
    if xa.ndim != 3 or xb.ndim != 3 or xa.shape[0] != xb.shape[0] or xa.shape[2] != xb.shape[1]:
        raise RuntimeError(f"bmm: expected (b, n, m) and (b, m, p) tensors, got {tuple(xa.shape)} and {tuple(xb.shape)}")
    return _t.record(xa @ xb, (a, b), lambda g: (g @ xb.transpose(0, 2, 1), xa.transpose(0, 2, 1) @ g))


def einsum(equation, *operands):
    """NumPy's einsum, differentiable for equations without '...' and without an index repeated
    within one operand: each operand's gradient is the einsum of the output gradient with the
    other operands."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    arrays = [_t.as_array(x) for x in operands]
    out = np.asarray(np.einsum(equation, *arrays))
    equation = equation.replace(" ", "")
    inputs, _, output = equation.partition("->")
    subscripts = inputs.split(",")
    if not _:
        letters = "".join(subscripts)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))

    def backward(g):
        if "." in equation or builtins.any(len(set(s)) != len(s) for s in subscripts):
            raise RuntimeError(f"einsum: the gradient of {equation!r} is not supported (ellipsis or repeated index)")
        grads = []
        for k, (s, x) in enumerate(zip(subscripts, arrays)):
            if not (isinstance(operands[k], _t.Tensor) and operands[k].requires_grad):
                grads.append(None)
                continue
            others = [(sub, arr) for i, (sub, arr) in enumerate(zip(subscripts, arrays)) if i != k]
            present = set(output).union(*[set(sub) for sub, _ in others])
            target = "".join(c for c in s if c in present)  # indices summed only within x: broadcast back
            grad = np.einsum(f"{','.join([output] + [sub for sub, _ in others])}->{target}", g,
                             *[arr for _, arr in others])
            shape = [x.shape[i] if c in present else 1 for i, c in enumerate(s)]
            grads.append(np.broadcast_to(grad.reshape(shape), x.shape))
        return tuple(grads)

    return _t.record(out, tuple(operands), backward)


# ---------------------------------------------------------------------- methods on Tensor

class TensorOps:
    """The methods of Tensor that call the functions above (and a few casts and factories)."""

    def norm(self, p="fro", dim=None, keepdim=False):
        return norm(self, p, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return std(self, dim, unbiased, keepdim, correction=correction)

    def pow(self, exponent):
        return _t.pow(self, exponent)

    def add(self, other, alpha=1):
        return _t.add(self, other, alpha)

    def sub(self, other, alpha=1):
        return _t.sub(self, other, alpha)

    def mul(self, other):
        return _t.mul(self, other)

    def div(self, other, rounding_mode=None):
        return _t.div(self, other, rounding_mode)

    def floor_divide(self, other):
        return _t.floor_divide(self, other)

    def remainder(self, other):
        return _t.remainder(self, other)

    def neg(self):
        return _t.neg(self)

    def clip(self, min=None, max=None):
        return _t.clamp(self, min, max)

    def flip(self, *dims):
        return flip(self, _t._shape_args(dims))

    def expand(self, *sizes):
        return expand(self, *sizes)

    def expand_as(self, other):
        return expand(self, other.shape)

    def view_as(self, other):
        return _t.reshape(self, other.shape)

    reshape_as = view_as

    def gather(self, dim, index):
        return gather(self, dim, index)

    def masked_fill(self, mask, value):
        return masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return self._inplace(lambda a, v: masked_fill(a, mask, v), value, check_dtype=False)

    def argsort(self, dim=-1, descending=False, stable=False):
        return argsort(self, dim, descending, stable)

    def sort(self, dim=-1, descending=False, stable=False):
        return sort(self, dim, descending, stable)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return unique(self, sorted, return_inverse, return_counts, dim)

    def nonzero(self, as_tuple=False):
        return nonzero(self, as_tuple)

    def bincount(self, weights=None, minlength=0):
        return bincount(self, weights, minlength)

    def round(self, decimals=0):
        return round(self, decimals)

    def isnan(self):
        return isnan(self)

    def isinf(self):
        return isinf(self)

    def isfinite(self):
        return isfinite(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return allclose(self, other, rtol, atol, equal_nan)

    def logical_not(self):
        return logical_not(self)

    def logical_and(self, other):
        return logical_and(self, other)

    def logical_or(self, other):
        return logical_or(self, other)

    def any(self, dim=None, keepdim=False):
        return any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return all(self, dim, keepdim)

    def mm(self, other):
        return mm(self, other)

    def bmm(self, other):
        return bmm(self, other)

    # dtype casts (torch's names); the float ones stay on the tape
    def int(self):
        return self.to(_dtypes.int32)

    def bool(self):
        return self.to(_dtypes.bool)

    def half(self):
        return self.to(_dtypes.float16)

    def short(self):
        return self.to(_dtypes.int16)

    def byte(self):
        return self.to(_dtypes.uint8)

    def char(self):
        return self.to(_dtypes.int8)

    def type(self, dtype=None, non_blocking=False):
        """Without `dtype`, torch's type name ('torch.FloatTensor'); otherwise the tensor converted
        to `dtype` (a dtype or such a name)."""
        if dtype is None:
            return _dtypes.tensor_type_name(self.dtype)
        if isinstance(dtype, str) and dtype.startswith("torch."):
            name, dtype = dtype, _dtypes.dtype_of_type_name(dtype)
            if dtype is None:
                raise ValueError(f"invalid type: {name!r}")
        return self.to(np.dtype(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def is_floating_point(self):
        return self.dtype.kind == "f"

    @property
    def is_cuda(self):
        return False

    def element_size(self):
        return self.dtype.itemsize

    def nelement(self):
        return self.array.size

    def ndimension(self):
        return self.ndim

    # new tensors with this one's dtype (unless given)
    def _new(self, array, dtype, device, requires_grad):
        if device is not None:
            _t.device(device)
        return _t.Tensor(array if dtype is None else array.astype(dtype), requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.zeros(_t._shape_args(size), self.dtype), dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.ones(_t._shape_args(size), self.dtype), dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.empty(_t._shape_args(size), self.dtype), dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new(np.full(tuple(size), fill_value, self.dtype), dtype, device, requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        array = np.array(_t.as_array(data), dtype=self.dtype if dtype is None else dtype, copy=True)
        return self._new(array, None, device, requires_grad)
