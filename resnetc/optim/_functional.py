"""The readable twin of the fused C update (csrc/optim/optim_kernels.inc.h), in NumPy float32.

``optim_step_reference`` takes exactly what ``resnetc._C.optim_step`` takes and performs the
same float32 operations in the same order, one array operation at a time, so the two agree bit
for bit (tests/optim/test_reference.py). It is the specification of the kernels; the
optimizers never call it.
"""
import numpy as np

from resnetc.optim.optimizer import KIND_ADAGRAD, KIND_ADAM, KIND_NADAM, KIND_RADAM, KIND_RMSPROP, KIND_SGD

f32 = np.float32


def _lerp(self, end, weight):
    """torch's lerp: self + w (end - self) for w < 0.5, else end - (end - self)(1 - w)."""
    w = f32(weight)
    return self + w * (end - self) if w < f32(0.5) else end - (end - self) * (f32(1.0) - w)


def _nanmax(a, b):
    return np.where(np.isnan(a) | (a > b), a, b)


def _grad(p, g, h):
    d = -g if h.get("maximize") else g.copy()
    return d


def _adam_family_start(p, g, m, v, h):
    d = _grad(p, g, h)
    wd = h.get("weight_decay", 0.0)
    if wd != 0 and h.get("decoupled_weight_decay"):
        p[...] = p * f32(1.0 - h["lr"] * wd)
    elif wd != 0:
        d = d + f32(wd) * p
    m[...] = _lerp(m, d, 1.0 - h["beta1"])
    v[...] = v * f32(h["beta2"]) + f32(1.0 - h["beta2"]) * d * d
    return d


@np.errstate(invalid="ignore", divide="ignore", over="ignore")  # NaN/Inf propagate as in C, silently
def optim_step_reference(kind, params, grads, state0, state1, state2, coefs, **h):
    """Updates params and states in place, like resnetc._C.optim_step (see csrc/optim/optim.h)."""
    for i, (p, g) in enumerate(zip(params, grads)):
        s0 = state0[i] if state0 is not None else None
        s1 = state1[i] if state1 is not None else None
        s2 = state2[i] if state2 is not None else None
        c = coefs[i]
        if kind == KIND_SGD:
            d = _grad(p, g, h)
            if h.get("weight_decay", 0.0) != 0:
                d = d + f32(h["weight_decay"]) * p
            momentum = h.get("momentum", 0.0)
            if momentum != 0:
                if c[0] != 0:
                    s0[...] = d
                else:
                    s0[...] = s0 * f32(momentum) + f32(1.0 - h.get("dampening", 0.0)) * d
                d = d + f32(momentum) * s0 if h.get("nesterov") else s0
            p[...] = p + f32(-h["lr"]) * d
        elif kind == KIND_ADAM:
            _adam_family_start(p, g, s0, s1, h)
            v = s1
            if h.get("amsgrad"):
                s2[...] = _nanmax(s2, s1)
                v = s2
            denom = np.sqrt(v) / f32(c[1]) + f32(h["eps"])
            p[...] = p + f32(-c[0]) * (s0 / denom)
        elif kind == KIND_NADAM:
            d = _adam_family_start(p, g, s0, s1, h)
            denom = np.sqrt(s1 / f32(c[0])) + f32(h["eps"])
            p[...] = p + f32(c[1]) * (d / denom)
            p[...] = p + f32(c[2]) * (s0 / denom)
        elif kind == KIND_RADAM:
            _adam_family_start(p, g, s0, s1, h)
            update = (s0 / f32(c[0])) * f32(h["lr"])
            if c[3] != 0:  # torch evaluates float / tensor as reciprocal(tensor) * float
                update = (update * ((f32(1.0) / (np.sqrt(s1) + f32(h["eps"]))) * f32(c[1]))) * f32(c[2])
            p[...] = p + f32(-1.0) * update
        elif kind == KIND_RMSPROP:
            d = _grad(p, g, h)
            if h.get("weight_decay", 0.0) != 0:
                d = d + f32(h["weight_decay"]) * p
            alpha = h["beta2"]
            s0[...] = s0 * f32(alpha) + f32(1.0 - alpha) * d * d
            if h.get("centered"):
                s2[...] = _lerp(s2, d, 1.0 - alpha)
                avg = np.sqrt(s0 + f32(-1.0) * s2 * s2)
            else:
                avg = np.sqrt(s0)
            avg = avg + f32(h["eps"])
            if h.get("momentum", 0.0) > 0:
                s1[...] = s1 * f32(h["momentum"]) + d / avg
                p[...] = p + f32(-h["lr"]) * s1
            else:
                p[...] = p + f32(-h["lr"]) * (d / avg)
        elif kind == KIND_ADAGRAD:
            d = _grad(p, g, h)
            if h.get("weight_decay", 0.0) != 0:
                d = d + f32(h["weight_decay"]) * p
            s0[...] = s0 + f32(1.0) * d * d
            p[...] = p + f32(-c[0]) * (d / (np.sqrt(s0) + f32(h["eps"])))
        else:
            raise ValueError(f"unknown optimizer kind {kind}")
