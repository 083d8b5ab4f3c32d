"""resnetc.nn.functional.linear (forward and every gradient) against torch in float64.
Tolerance: max |ours - torch| <= 2e-5 * max |torch|."""
import numpy as np
import pytest
import torch

import resnetc.nn.functional as F
from resnetc import Tensor

RTOL = 2e-5


def rel_err(ours, ref):
    ref = ref.detach().numpy()
    return np.abs(ours - ref).max() / np.abs(ref).max()


@pytest.mark.parametrize("in_shape,out_features,bias", [
    ((1, 1), 1, True), ((5, 7), 3, True), ((32, 2048), 10, True), ((4, 3, 17), 9, False), ((6,), 4, True),
    ((37, 130), 70, True)])
def test_linear_matches_torch(isa, rng, in_shape, out_features, bias):
    x = rng.standard_normal(in_shape).astype(np.float32)
    w = rng.standard_normal((out_features, in_shape[-1])).astype(np.float32)
    b = rng.standard_normal(out_features).astype(np.float32) if bias else None
    xs, ws = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    bs = Tensor(b, requires_grad=True) if bias else None
    ys = F.linear(xs, ws, bs)
    grad = rng.standard_normal(ys.shape).astype(np.float32)
    ys.backward(grad)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True) if bias else None
    yt = torch.nn.functional.linear(xt, wt, bt)
    yt.backward(torch.tensor(grad, dtype=torch.float64))
    assert ys.shape == tuple(yt.shape)
    assert rel_err(ys.array, yt) <= RTOL
    assert rel_err(xs.grad.array, xt.grad) <= RTOL
    assert rel_err(ws.grad.array, wt.grad) <= RTOL
    if bias:
        assert rel_err(bs.grad.array, bt.grad) <= RTOL


def test_linear_only_computes_needed_gradients(rng):
    x = rng.standard_normal((3, 5)).astype(np.float32)
    w = Tensor(rng.standard_normal((2, 5)).astype(np.float32))
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    F.linear(x, w, b).sum().backward()
    assert w.grad is None
    np.testing.assert_allclose(b.grad.array, [3.0, 3.0])


def test_linear_non_contiguous_input(rng):
    x = rng.standard_normal((6, 10)).astype(np.float32)[:, ::2]
    w = rng.standard_normal((3, 5)).astype(np.float32)
    out = F.linear(x, w)
    ref = torch.nn.functional.linear(torch.tensor(np.ascontiguousarray(x), dtype=torch.float64),
                                     torch.tensor(w, dtype=torch.float64))
    assert rel_err(out.array, ref) <= RTOL


def test_linear_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)"):
        F.linear(np.zeros((2, 5), np.float32), np.zeros((3, 4), np.float32))
    with pytest.raises(TypeError, match="linear: expected input of dtype float32, got float64"):
        F.linear(np.zeros((2, 4)), np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="expected weight to be 2-dimensional"):
        F.linear(np.zeros((2, 4), np.float32), np.zeros((3, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"expected bias of shape \(3,\), got \(4,\)"):
        F.linear(np.zeros((2, 4), np.float32), np.zeros((3, 4), np.float32), np.zeros(4, np.float32))
