"""Tensor ops and the autograd tape, checked against torch in float64."""
import numpy as np
import pytest
import torch

import resnetc
from resnetc import Tensor

CASES = {
    "add_broadcast": lambda a, b, m: (a + b[:1]).sum(),
    "sub_scalar": lambda a, b, m: (3.0 - a * b).mean(),
    "mul_div": lambda a, b, m: (a * b / (b * b + 1.0)).sum(),
    "neg_exp_log": lambda a, b, m: (-(a.exp() + 1.0).log()).sum(),
    "pow_sqrt_abs": lambda a, b, m: ((a ** 2 + 1.0).sqrt() + b.abs()).sum(),
    "matmul": lambda a, b, m: ((a @ m) * (a @ m)).sum(),
    "reductions_dims": lambda a, b, m: a.sum(1).mean() + b.mean(0, keepdim=True).sum() + a.max(1).values.sum() + a.max(),
    "reshape_transpose": lambda a, b, m: (a.reshape(2, 6).T * b.reshape(6, 2)).sum(),
    "log_softmax_nll": lambda a, b, m: -a.log_softmax(1)[np.arange(3), np.array([0, 3, 1])].mean(),
    "softmax": lambda a, b, m: (a.softmax(1) * b).sum(),
    "clamp": lambda a, b, m: a.clamp(-0.5, 0.5).sum(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_torch(name, rng):
    a, b, m = (rng.standard_normal(s) for s in [(3, 4), (3, 4), (4, 5)])
    ours = [Tensor(x.copy(), requires_grad=True) for x in (a, b, m)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (a, b, m)]
    out, ref = CASES[name](*ours), CASES[name](*theirs)
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    out.backward()
    ref.backward()
    for x, y in zip(ours, theirs):
        if y.grad is None:
            assert x.grad is None
        else:
            np.testing.assert_allclose(x.grad.array, y.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_accumulate_and_reuse_sums(rng):
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    y = x * x + x  # x used three times
    y.sum().backward()
    y2 = x * 2.0
    y2.sum().backward()
    np.testing.assert_allclose(x.grad.array, 2 * x.array + 1 + 2)


def test_numpy_interop_is_zero_copy():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = resnetc.from_numpy(array)
    assert np.shares_memory(np.asarray(t), array)
    assert np.shares_memory(Tensor(array).array, array)
    assert t.shape == (2, 3) and t.dtype == np.float32
    copy = resnetc.tensor(array)
    assert not np.shares_memory(copy.array, array)
    assert resnetc.tensor([1.5, 2]).dtype == np.float32 and resnetc.tensor([1, 2]).dtype == np.int64


def test_no_grad_detach_item_and_errors():
    x = resnetc.randn(2, 2, requires_grad=True)
    with resnetc.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    z = (x * 2).detach()
    assert not z.requires_grad
    assert isinstance((x.sum()).item(), float)
    with pytest.raises(ValueError, match="one element"):
        x.item()
    with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        resnetc.randn(2).sum().backward()
    with pytest.raises(RuntimeError, match="numpy\\(\\) on a Tensor that requires grad"):
        x.numpy()
    loss = (x * 3).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_no_grad_is_per_thread_and_decorates():
    import threading

    @resnetc.no_grad()
    def off():
        return resnetc.is_grad_enabled()

    assert off() is False and resnetc.is_grad_enabled()
    seen = []
    with resnetc.no_grad():
        thread = threading.Thread(target=lambda: seen.append(resnetc.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]
