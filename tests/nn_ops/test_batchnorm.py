import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from nn_ops_helpers import run_both


def _bn_case(rng, shape, affine=True):
    C = shape[1]
    x = rng.standard_normal(shape).astype(np.float32) * 2 + 0.5
    w = rng.uniform(0.5, 1.5, C).astype(np.float32) if affine else None
    b = rng.standard_normal(C).astype(np.float32) if affine else None
    rm = rng.standard_normal(C).astype(np.float32)
    rv = rng.uniform(0.5, 2.0, C).astype(np.float32)
    return x, w, b, rm, rv


# (2, 3, 23, 29): planes longer than the kernels' 512-float summation blocks, with ragged tails.
@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (7, 5), (3, 4, 9), (2, 6, 1, 1), (2, 3, 23, 29)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum,eps", [(0.1, 1e-5), (0.3, 1e-3)])
def test_training_matches_torch_and_updates_running_stats(rng, shape, affine, momentum, eps):
    x, w, b, rm, rv = _bn_case(rng, shape, affine)
    rm_rc, rv_rc = rm.copy(), rv.copy()
    rm_t, rv_t = torch.tensor(rm, dtype=torch.float64), torch.tensor(rv, dtype=torch.float64)
    if affine:
        run_both(lambda x, w, b: F.batch_norm(x, rm_rc, rv_rc, w, b, True, momentum, eps),
                 lambda x, w, b: TF.batch_norm(x, rm_t, rv_t, w, b, True, momentum, eps),
                 [x, w, b], rtol=2e-5, atol=2e-5)
    else:
        run_both(lambda x: F.batch_norm(x, rm_rc, rv_rc, None, None, True, momentum, eps),
                 lambda x: TF.batch_norm(x, rm_t, rv_t, None, None, True, momentum, eps),
                 [x], rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(rm_rc, rm_t.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv_rc, rv_t.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (6, 4)])
def test_eval_uses_running_stats_and_leaves_them(rng, shape):
    x, w, b, rm, rv = _bn_case(rng, shape)
    rm0, rv0 = rm.copy(), rv.copy()
    run_both(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False),
             lambda x, w, b: TF.batch_norm(x, torch.tensor(rm0, dtype=torch.float64),
                                           torch.tensor(rv0, dtype=torch.float64), w, b, False),
             [x, w, b])
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)


def test_no_running_stats_uses_batch_stats(rng):
    x, w, b, _, _ = _bn_case(rng, (5, 3, 4, 4))
    run_both(lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, True), [x, w, b], rtol=2e-5, atol=2e-5)


def test_running_stats_as_tensors_are_updated_in_place(rng):
    x, w, b, rm, rv = _bn_case(rng, (4, 3, 2, 2))
    rm_t, rv_t = resnetc.tensor(rm), resnetc.tensor(rv)
    arrays = rm_t.array, rv_t.array
    F.batch_norm(resnetc.Tensor(x), rm_t, rv_t, w, b, training=True, momentum=0.5)
    assert rm_t.array is arrays[0] and rv_t.array is arrays[1]
    assert not np.allclose(rm_t.array, rm)


def test_stats_are_sound_with_a_large_offset(rng):
    # E[x^2] - E[x]^2 in float32 would lose every digit of the variance here.
    x = (1000.0 + rng.standard_normal((8, 2, 16, 16))).astype(np.float32)
    ref = x.astype(np.float64)
    mean, var = resnetc._C.batch_norm_stats(x)
    np.testing.assert_allclose(mean, ref.mean(axis=(0, 2, 3)), rtol=1e-7)
    np.testing.assert_allclose(var, ref.var(axis=(0, 2, 3)), rtol=1e-5)
    run_both(lambda x: F.batch_norm(x, None, None, training=True),
             lambda x: TF.batch_norm(x, None, None, training=True), [x], rtol=1e-4, atol=1e-4)


def test_stats_merge_planes_with_different_means_and_spreads(rng):
    # Each (n, c) plane is summarised alone and the summaries merged: the merge must add the
    # spread between the planes' means to the variance.
    shape = (6, 3, 7, 9)
    offset = (np.arange(shape[0]) * 250.0 - 600.0).reshape(-1, 1, 1, 1)
    spread = np.geomspace(0.01, 10.0, shape[0]).reshape(-1, 1, 1, 1)
    x = (offset + spread * rng.standard_normal(shape)).astype(np.float32)
    ref = x.astype(np.float64)
    mean, var = resnetc._C.batch_norm_stats(x)
    np.testing.assert_allclose(mean, ref.mean(axis=(0, 2, 3)), rtol=1e-7)
    np.testing.assert_allclose(var, ref.var(axis=(0, 2, 3)), rtol=1e-6)


@pytest.mark.parametrize("shape", [(8, 4, 6, 6), (3, 7, 23, 29)])
def test_same_result_with_one_or_two_threads(rng, num_threads, shape):
    x, w, b, rm, rv = _bn_case(rng, shape)
    results = []
    for n in (1, 2):
        num_threads(n)
        xt = resnetc.Tensor(x.copy(), requires_grad=True)
        out = F.batch_norm(xt, None, None, w, b, True)
        out.backward(np.ones(out.shape, np.float32) * np.arange(out.numel(), dtype=np.float32).reshape(out.shape))
        results.append((out.array, xt.grad.array))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_input_is_not_modified(rng):
    x, w, b, rm, rv = _bn_case(rng, (3, 2, 4, 4))
    x0 = x.copy()
    F.batch_norm(x, rm, rv, w, b, True)
    np.testing.assert_array_equal(x, x0)


def test_bad_arguments(rng):
    x, w, b, rm, rv = _bn_case(rng, (2, 3, 4, 4))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.batch_norm(np.zeros(3, np.float32), rm, rv)
    with pytest.raises(TypeError, match="dtype float32, got float64"):
        F.batch_norm(x.astype(np.float64), rm, rv)
    with pytest.raises(ValueError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(x, np.zeros(4, np.float32), rv)
    with pytest.raises(ValueError, match="weight should contain 3 elements"):
        F.batch_norm(x, rm, rv, np.ones(2, np.float32))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(np.zeros((1, 3), np.float32), rm, rv, training=True)
    with pytest.raises(ValueError, match="must be defined in evaluation mode"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="both be given"):
        F.batch_norm(x, rm, None, training=True)
