import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from nn_ops_helpers import run_both


@pytest.mark.parametrize("fn", ["log_softmax", "softmax"])
@pytest.mark.parametrize("shape,dim", [((5, 7), 1), ((5, 7), 0), ((5, 7), -1), ((2, 3, 4), 1), ((2, 3, 4), -1),
                                       ((6,), 0), ((2, 3, 2, 2), 1)])
def test_softmax_family_matches_torch(rng, fn, shape, dim):
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    run_both(lambda x: getattr(F, fn)(x, dim), lambda x: getattr(TF, fn)(x, dim), [x])


@pytest.mark.parametrize("fn", ["log_softmax", "softmax"])
def test_softmax_family_float64_numpy_path(rng, fn):
    x = rng.standard_normal((4, 5))
    xt = resnetc.Tensor(x.copy(), requires_grad=True)
    tt = torch.tensor(x, requires_grad=True)
    out, tout = getattr(F, fn)(xt, 1), getattr(TF, fn)(tt, 1)
    assert out.dtype == np.float64
    g = rng.standard_normal(x.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.array, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xt.grad.array, tt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_log_softmax_is_stable_for_large_logits():
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0]], np.float32)
    out = F.log_softmax(x, 1).array
    ref = TF.log_softmax(torch.tensor(x), 1).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-6)


def test_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(np.zeros((2, 4), np.float32))
    np.testing.assert_allclose(out.array, 0.25)


def _targets(rng, n, classes, ignore_index=None):
    t = rng.integers(0, classes, n)
    if ignore_index is not None:
        t[::3] = ignore_index
    return t


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [None, -100, 2])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
def test_cross_entropy_matches_torch(rng, reduction, weighted, ignore, smoothing):
    N, C = 7, 5
    x = (rng.standard_normal((N, C)) * 2).astype(np.float32)
    t = _targets(rng, N, C, ignore)
    w = rng.uniform(0.2, 2.0, C).astype(np.float32) if weighted else None
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    if ignore is not None:
        kwargs["ignore_index"] = ignore
    tw = torch.tensor(w, dtype=torch.float64) if weighted else None
    run_both(lambda x, t: F.cross_entropy(x, t, w, **kwargs),
             lambda x, t: TF.cross_entropy(x, t, tw, **kwargs), [x, t])


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_spatial_and_unbatched(rng, reduction):
    x = rng.standard_normal((2, 4, 3, 5)).astype(np.float32)
    t = rng.integers(0, 4, (2, 3, 5))
    t[0, 0, 0] = -100
    w = rng.uniform(0.5, 1.5, 4).astype(np.float32)
    tw = torch.tensor(w, dtype=torch.float64)
    run_both(lambda x, t: F.cross_entropy(x, t, w, reduction=reduction, label_smoothing=0.2),
             lambda x, t: TF.cross_entropy(x, t, tw, reduction=reduction, label_smoothing=0.2), [x, t])
    x1 = rng.standard_normal(6).astype(np.float32)
    t1 = np.array(4)
    run_both(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
             lambda x, t: TF.cross_entropy(x, t, reduction=reduction), [x1, t1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_with_class_probabilities(rng, reduction, weighted, smoothing):
    x = rng.standard_normal((6, 4)).astype(np.float32)
    q = rng.random((6, 4)).astype(np.float32)
    q /= q.sum(axis=1, keepdims=True)
    w = rng.uniform(0.5, 1.5, 4).astype(np.float32) if weighted else None
    tw = torch.tensor(w, dtype=torch.float64) if weighted else None
    run_both(lambda x, q: F.cross_entropy(x, q, w, reduction=reduction, label_smoothing=smoothing),
             lambda x, q: TF.cross_entropy(x, q, tw, reduction=reduction, label_smoothing=smoothing), [x, q])


def test_cross_entropy_large_batch_parallel_rows(rng):
    x = (rng.standard_normal((512, 100)) * 5).astype(np.float32)
    t = rng.integers(0, 100, 512)
    run_both(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
             lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.1), [x, t])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [None, 1])
def test_nll_loss_matches_torch(rng, reduction, weighted, ignore):
    N, C = 8, 4
    logp = np.log(rng.dirichlet(np.ones(C), N)).astype(np.float32)
    t = _targets(rng, N, C, ignore)
    w = rng.uniform(0.2, 2.0, C).astype(np.float32) if weighted else None
    tw = torch.tensor(w, dtype=torch.float64) if weighted else None
    kwargs = dict(reduction=reduction) if ignore is None else dict(reduction=reduction, ignore_index=ignore)
    run_both(lambda x, t: F.nll_loss(x, t, w, **kwargs), lambda x, t: TF.nll_loss(x, t, tw, **kwargs), [logp, t])


def test_nll_of_log_softmax_equals_cross_entropy(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    t = np.array([0, 1, 2, 1, 0])
    a = F.nll_loss(F.log_softmax(x, 1), t).item()
    assert a == pytest.approx(F.cross_entropy(x, t).item(), rel=1e-6)


def test_all_targets_ignored_gives_nan_like_torch():
    x = np.zeros((2, 3), np.float32)
    t = np.array([-100, -100])
    assert np.isnan(F.cross_entropy(x, t).item())
    assert np.isnan(TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item())


def test_loss_bad_arguments(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(IndexError, match="Target 4 is out of bounds."):
            fn(x, np.array([0, 4, 1]))
        with pytest.raises(IndexError, match="Target -1 is out of bounds."):
            fn(x, np.array([0, -1, 1]))
        with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
            fn(x, np.array([0, 1]))
        if fn is F.nll_loss:
            with pytest.raises(TypeError, match="integer dtype"):
                fn(x, np.array([0.0, 1.0, 2.0]))
        else:
            with pytest.raises(ValueError, match=r"class probabilities and must have the input's shape \(3, 4\)"):
                fn(x, np.array([0, 1, 2], dtype=np.float32))
        with pytest.raises(ValueError, match="elementwise is not a valid value for reduction"):
            fn(x, np.array([0, 1, 2]), reduction="elementwise")
        with pytest.raises(ValueError, match="weight tensor should be defined either for all 4 classes"):
            fn(x, np.array([0, 1, 2]), weight=np.ones(3, np.float32))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, np.array([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="dtype float32, got float64"):
        F.cross_entropy(x.astype(np.float64), np.array([0, 1, 2]))
    with pytest.raises(IndexError, match="Target 9 is out of bounds."):
        resnetc._C.cross_entropy_forward(x, np.array([0, 9, 1]), None, -100, 0.0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.log_softmax(x, 2)
