"""The fused C update equals its NumPy twin (resnetc.optim._functional) bit for bit, on every
ISA; and the binding rejects bad arguments with messages naming them."""
import numpy as np
import pytest

from resnetc import _C
from resnetc.optim import _functional
from resnetc.optim.optimizer import KIND_ADAGRAD, KIND_ADAM, KIND_NADAM, KIND_RADAM, KIND_RMSPROP, KIND_SGD

# The last size makes the call large enough to run on all threads (csrc/optim/optim.c), in 5 chunks.
SIZES = [1, 7, 8, 33, 16384 * 4 + 5]
BASE = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
CASES = [
    (KIND_SGD, dict(lr=0.1), 0, (0.0,)),
    (KIND_SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01), 1, (0.0,)),
    (KIND_SGD, dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True), 1, (1.0,)),
    (KIND_ADAM, dict(BASE), 2, (0.05, 0.3)),
    (KIND_ADAM, dict(BASE, weight_decay=0.1, amsgrad=True, maximize=True), 3, (0.05, 0.3)),
    (KIND_ADAM, dict(BASE, weight_decay=0.1, decoupled_weight_decay=True, beta1=0.3), 2, (0.05, 0.3)),
    (KIND_NADAM, dict(BASE, weight_decay=0.01), 2, (0.2, -0.01, -0.02)),
    (KIND_RADAM, dict(BASE), 2, (0.4, 0.1, 0.8, 1.0)),
    (KIND_RADAM, dict(BASE, weight_decay=0.01, decoupled_weight_decay=True), 2, (0.4, 0.1, 0.0, 0.0)),
    (KIND_RMSPROP, dict(lr=0.01, beta2=0.99, eps=1e-8), 1, ()),
    (KIND_RMSPROP, dict(lr=0.01, beta2=0.9, eps=1e-8, momentum=0.5, centered=True, weight_decay=0.1), 3, ()),
    (KIND_ADAGRAD, dict(lr=0.01, eps=1e-10, maximize=True), 1, (0.009,)),
]


def make(rng, kind, nstates, coef):
    params = [rng.standard_normal(n).astype(np.float32) for n in SIZES]
    grads = [rng.standard_normal(n).astype(np.float32) for n in SIZES]
    states = [[np.abs(rng.standard_normal(n)).astype(np.float32) for n in SIZES] if s < nstates else None
              for s in range(3)]
    if kind == KIND_ADAM and states[2] is not None:
        states[2][-1][:5] = np.nan  # amsgrad's maximum lets NaN win, like torch.maximum
    coefs = np.zeros((len(SIZES), 4))
    coefs[:, :len(coef)] = coef
    return params, grads, states, coefs


@pytest.mark.parametrize("kind,h,nstates,coef", CASES)
def test_c_equals_numpy_reference(kind, h, nstates, coef, isa):
    rng = np.random.default_rng(kind)
    params, grads, states, coefs = make(rng, kind, nstates, coef)
    copies = [[a.copy() for a in params], [a.copy() for a in grads]] + \
             [[a.copy() for a in s] if s is not None else None for s in states]
    for _ in range(3):
        _C.optim_step(kind, params, grads, *states, coefs, **h)
        _functional.optim_step_reference(kind, *copies, coefs, **h)
    for a, b in zip(params, copies[0]):
        np.testing.assert_array_equal(a, b)
    for s, t in zip(states, copies[2:]):
        for a, b in zip(s or [], t or []):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(grads, copies[1]):
        np.testing.assert_array_equal(a, b)  # gradients are read, never written


def test_binding_rejects_bad_arguments():
    p, g = np.zeros(4, np.float32), np.zeros(4, np.float32)
    coefs = np.zeros((1, 4))
    with pytest.raises(ValueError, match=r"optim_step: grads\[0\] must have 4 elements like params\[0\], got 3"):
        _C.optim_step(KIND_SGD, [p], [np.zeros(3, np.float32)], None, None, None, coefs)
    with pytest.raises(TypeError, match=r"optim_step: params\[0\] must have dtype"):
        _C.optim_step(KIND_SGD, [p.astype(np.float64)], [g], None, None, None, coefs)
    with pytest.raises(ValueError, match=r"optim_step: params\[0\] must be writeable"):
        ro = p.copy()
        ro.flags.writeable = False
        _C.optim_step(KIND_SGD, [ro], [g], None, None, None, coefs)
    with pytest.raises(ValueError, match=r"optim_step: grads\[0\] must be C-contiguous"):
        _C.optim_step(KIND_SGD, [p], [np.zeros(8, np.float32)[::2]], None, None, None, coefs)
    with pytest.raises(ValueError, match=r"optim_step: state1\[0\] is needed"):
        _C.optim_step(KIND_ADAM, [p], [g], [p.copy()], None, None, coefs, lr=0.1)
    with pytest.raises(ValueError, match=r"optim_step: coefs must have shape \(1, 4\), got \(2, 4\)"):
        _C.optim_step(KIND_SGD, [p], [g], None, None, None, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"optim_step: grads must have 1 items like params, got 0"):
        _C.optim_step(KIND_SGD, [p], [], None, None, None, coefs)
    with pytest.raises(ValueError, match=r"optim_step: kind must be in \[0, 6\), got 9"):
        _C.optim_step(9, [p], [g], None, None, None, coefs)
