"""kl_div against torch (float64): every reduction, log_target, gradients of input and target."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from nn_ops_helpers import run_both


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(rng, reduction, log_target):
    logp = np.log(rng.dirichlet(np.ones(5), size=4)).astype(np.float32)
    q = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
    target = np.log(q) if log_target else q
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                 lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
                 [logp, target.astype(np.float32)], rtol=1e-5, atol=1e-6)


def test_zero_targets_count_as_zero_and_give_torchs_target_gradient(rng):
    logp = np.log(rng.dirichlet(np.ones(4), size=3)).astype(np.float32)
    q = np.array([[0.5, 0.5, 0, 0], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]], np.float32)
    ours_x, ours_t = resnetc.Tensor(logp, requires_grad=True), resnetc.Tensor(q, requires_grad=True)
    loss = F.kl_div(ours_x, ours_t, reduction="batchmean")
    theirs_x = torch.tensor(logp, dtype=torch.float64, requires_grad=True)
    theirs_t = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    expected = TF.kl_div(theirs_x, theirs_t, reduction="batchmean")
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(ours_x.grad.array, theirs_x.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours_t.grad.array, theirs_t.grad.numpy(), rtol=1e-5)  # NaN where q = 0, as torch
    assert np.isnan(ours_t.grad.array[q == 0]).all()


def test_mean_warns_as_torch():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(np.zeros((2, 3), np.float32), np.full((2, 3), 1 / 3, np.float32))
