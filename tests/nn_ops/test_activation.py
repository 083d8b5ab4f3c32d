import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from nn_ops_helpers import run_both


def test_relu_matches_torch(rng):
    x = rng.standard_normal((3, 4, 5, 5)).astype(np.float32)
    x[0, 0, 0, :3] = 0.0  # the gradient at exactly 0 is 0, as torch
    run_both(F.relu, TF.relu, [x], rtol=0, atol=0)


def test_relu_large_input_runs_parallel_path(rng):
    x = rng.standard_normal(100_000).astype(np.float32)
    run_both(F.relu, TF.relu, [x], rtol=0, atol=0)


def test_relu_backward_passes_the_gradient_where_the_output_is_nan():
    x = np.array([np.nan, -1.0, 0.0, 2.0], np.float32)
    ours = resnetc.Tensor(x.copy(), requires_grad=True)
    F.relu(ours).backward(np.full(4, 3.0, np.float32))
    theirs = torch.tensor(x, requires_grad=True)
    torch.relu(theirs).backward(torch.full((4,), 3.0))
    np.testing.assert_array_equal(ours.grad.array, theirs.grad.numpy())


def test_relu_keeps_nan():
    out = F.relu(np.array([np.nan, -1.0, 2.0], np.float32))
    assert np.isnan(out.array[0]) and out.array[1] == 0 and out.array[2] == 2


def test_relu_inplace_rebases_history(rng):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    leaf = resnetc.Tensor(x.copy(), requires_grad=True)
    mid = leaf * np.float32(2.0)
    out = F.relu(mid, inplace=True)
    assert out is mid
    np.testing.assert_array_equal(mid.array, np.maximum(2 * x, 0))
    (out * np.float32(3.0)).sum().backward()
    np.testing.assert_array_equal(leaf.grad.array, np.where(x > 0, 6.0, 0.0).astype(np.float32))


def test_relu_inplace_on_arrays_and_refused_on_leaves(rng):
    x = rng.standard_normal(10).astype(np.float32)
    out = F.relu(x, inplace=True)
    assert np.shares_memory(out.array, x) and (x >= 0).all()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(resnetc.Tensor(x, requires_grad=True), inplace=True)
    with resnetc.no_grad():
        F.relu(resnetc.Tensor(x, requires_grad=True), inplace=True)


def test_relu_inplace_on_a_non_contiguous_view(rng):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    view = x.T
    F.relu(view, inplace=True)
    assert (x >= 0).all()


def test_relu_rejects_other_dtypes():
    with pytest.raises(TypeError, match="relu: expected input of dtype float32, got float64"):
        F.relu(np.zeros(3))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_statistics_and_gradient(p):
    x = np.ones((200, 100), np.float32) * 3
    xt = resnetc.Tensor(x, requires_grad=True)
    out = F.dropout(xt, p, generator=np.random.default_rng(5))
    kept = out.array != 0
    assert abs(kept.mean() - (1 - p)) < 0.02
    np.testing.assert_allclose(out.array[kept], 3 / (1 - p), rtol=1e-6)
    g = np.random.default_rng(6).standard_normal(x.shape).astype(np.float32)
    out.backward(g)
    np.testing.assert_allclose(xt.grad.array, np.where(kept, g / (1 - p), 0), rtol=1e-6)


def test_dropout_reproducible_with_a_generator_and_default_generator():
    x = np.ones((8, 8), np.float32)
    a = F.dropout(x, 0.5, generator=np.random.default_rng(3)).array
    b = F.dropout(x, 0.5, generator=np.random.default_rng(3)).array
    np.testing.assert_array_equal(a, b)
    resnetc.manual_seed(11)
    c = F.dropout(x, 0.5).array
    resnetc.manual_seed(11)
    np.testing.assert_array_equal(c, F.dropout(x, 0.5).array)


def test_dropout_identity_cases_and_p_one():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    xt = resnetc.Tensor(x)
    assert F.dropout(xt, 0.5, training=False) is xt
    assert F.dropout(xt, 0.0) is xt
    leaf = resnetc.Tensor(x.copy(), requires_grad=True)
    out = F.dropout(leaf, 1.0)
    np.testing.assert_array_equal(out.array, 0)
    out.sum().backward()
    np.testing.assert_array_equal(leaf.grad.array, 0)
    ref = TF.dropout(torch.tensor(x), 1.0)
    np.testing.assert_array_equal(out.array, ref.numpy())


def test_dropout_inplace():
    x = np.ones((10, 10), np.float32)
    out = F.dropout(x, 0.5, inplace=True, generator=np.random.default_rng(0))
    assert np.shares_memory(out.array, x)
    assert set(np.unique(x)) <= {0.0, 2.0}


def test_dropout_bad_arguments():
    x = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="but got -0.1"):
        F.dropout(x, -0.1)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        F.dropout(x, 0.5, generator=42)
    with pytest.raises(TypeError, match="float32"):
        F.dropout(x.astype(np.float16), 0.5)
