"""Runs the same op in resnetc (float32) and torch (float64 on the same values) and compares
outputs and the gradients of every float input for a random upstream gradient."""
import numpy as np
import torch

import resnetc


def run_both(rc_fn, torch_fn, arrays, grad=None, rng=None, rtol=1e-5, atol=1e-5, grad_rtol=None, grad_atol=None):
    """`arrays`: input ndarrays; floating ones get requires_grad on both sides (unless listed as
    False in `grad`). Returns (resnetc output Tensor, torch output tensor)."""
    rng = rng if rng is not None else np.random.default_rng(1)
    grad = grad if grad is not None else [a.dtype.kind == "f" for a in arrays]
    rc_inputs = [resnetc.Tensor(a.copy(), requires_grad=bool(g)) for a, g in zip(arrays, grad)]
    t_inputs = [torch.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a, requires_grad=bool(g))
                for a, g in zip(arrays, grad)]
    out = rc_fn(*rc_inputs)
    tout = torch_fn(*t_inputs)
    assert out.shape == tuple(tout.shape), (out.shape, tout.shape)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.array, tout.detach().numpy(), rtol=rtol, atol=atol)
    if any(grad):
        upstream = rng.standard_normal(out.shape).astype(np.float32)
        out.backward(upstream)
        tout.backward(torch.tensor(upstream, dtype=torch.float64))
        for i, (r, t) in enumerate(zip(rc_inputs, t_inputs)):
            if not grad[i]:
                continue
            assert r.grad is not None, f"no gradient for input {i}"
            np.testing.assert_allclose(r.grad.array, t.grad.numpy(), rtol=grad_rtol or rtol,
                                       atol=grad_atol or atol, err_msg=f"gradient of input {i}")
    return out, tout
