"""Properties every op shares: inputs are left alone, ndarrays and Tensors are both accepted,
nothing is recorded under no_grad, and gradients accumulate across calls."""
import numpy as np
import pytest

import resnetc
import resnetc.nn.functional as F

X4 = np.random.default_rng(7).standard_normal((2, 3, 6, 6)).astype(np.float32)
X2 = np.random.default_rng(8).standard_normal((4, 5)).astype(np.float32)
T = np.array([0, 4, 2, 1])

OPS = {
    "batch_norm": (X4, lambda x: F.batch_norm(x, None, None, training=True)),
    "relu": (X4, F.relu),
    "dropout": (X4, lambda x: F.dropout(x, 0.3, generator=np.random.default_rng(0))),
    "max_pool2d": (X4, lambda x: F.max_pool2d(x, 3, 2, 1)),
    "avg_pool2d": (X4, lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
    "adaptive_avg_pool2d": (X4, lambda x: F.adaptive_avg_pool2d(x, (2, 3))),
    "log_softmax": (X2, lambda x: F.log_softmax(x, 1)),
    "softmax": (X2, lambda x: F.softmax(x, 0)),
    "cross_entropy": (X2, lambda x: F.cross_entropy(x, T, label_smoothing=0.1)),
    "nll_loss": (X2, lambda x: F.nll_loss(x, T)),
}


@pytest.mark.parametrize("name", OPS)
def test_inputs_untouched_and_ndarray_accepted(name):
    x, op = OPS[name]
    x = x.copy()
    before = x.copy()
    out_array = op(x)
    out_tensor = op(resnetc.Tensor(x))
    assert isinstance(out_array, resnetc.Tensor) and isinstance(out_tensor, resnetc.Tensor)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(out_array.array, out_tensor.array)


@pytest.mark.parametrize("name", OPS)
def test_no_grad_records_nothing_and_grads_accumulate(name):
    x, op = OPS[name]
    leaf = resnetc.Tensor(x.copy(), requires_grad=True)
    with resnetc.no_grad():
        assert not op(leaf).requires_grad
    op(leaf).sum().backward()
    first = leaf.grad.array.copy()
    op(leaf).sum().backward()
    np.testing.assert_allclose(leaf.grad.array, 2 * first, rtol=1e-6, atol=1e-7)
