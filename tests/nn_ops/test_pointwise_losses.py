"""Binary cross-entropy, regression losses and pointwise activations against torch: values and
the gradients of input and target, for every reduction, weights, broadcasting and edge values.
Tolerance: 2e-6 relative and absolute, per element (float32 arithmetic in a different order)."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from resnetc import nn

torch.set_num_threads(1)
RTOL = 2e-6


def close(ours, theirs):
    ours = np.asarray(ours, np.float64)
    theirs = theirs.detach().double().numpy()
    assert ours.shape == theirs.shape
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite])  # BCE's target gradient at p = 0 or 1
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=RTOL, atol=RTOL)


def run_both(ours_fn, theirs_fn, *arrays, grad=(True, True), extra=()):
    """ours_fn(*tensors) and theirs_fn(*tensors) and their gradients, compared."""
    ours_in = [resnetc.Tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad)]
    theirs_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    out, ref = ours_fn(*ours_in, *extra), theirs_fn(*theirs_in, *extra)
    close(out.array, ref)
    upstream = np.random.default_rng(9).standard_normal(ref.shape).astype(np.float32)
    out.backward(resnetc.Tensor(upstream))
    ref.backward(torch.tensor(upstream))
    for o, t, g in zip(ours_in, theirs_in, grad):
        if g:
            close(o.grad.array, t.grad)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 1.0}),
                                         ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0}),
                                         ("huber_loss", {"delta": 1.0}), ("huber_loss", {"delta": 2.5})])
def test_regression_losses(rng, name, kwargs, reduction):
    x = (rng.standard_normal((4, 5)) * 2).astype(np.float32)
    t = (rng.standard_normal((4, 5)) * 2).astype(np.float32)
    t[0, :2] = x[0, :2]  # zero differences: l1's gradient is 0 there, as torch's sign
    x[2, 3] = np.nan  # a NaN difference: NaN loss; l1's gradient 0 there, as torch's
    t[1, 0] = x[1, 0] + 1.0  # exactly at beta/delta = 1
    run_both(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs),
             lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs), x, t)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_elementwise_weight(rng, name):
    x, t = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.random((3, 4)).astype(np.float32)
    for reduction in REDUCTIONS:  # torch's mean divides by sum(w) for mse and l1, by the count for huber
        run_both(lambda a, b: getattr(F, name)(a, b, weight=resnetc.Tensor(w), reduction=reduction),
                 lambda a, b: getattr(TF, name)(a, b, weight=torch.tensor(w), reduction=reduction), x, t)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        getattr(F, name)(resnetc.Tensor(x), resnetc.Tensor(t), weight=resnetc.Tensor(w[0]))


def test_broadcast_target_warns_and_sums_its_gradient(rng):
    x, t = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 1)).astype(np.float32)
    with pytest.warns(UserWarning, match="different to the input size"):
        run_both(F.mse_loss, TF.mse_loss, x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(rng, reduction, weighted):
    p = rng.random((4, 6)).astype(np.float32)
    p[0, :3] = [0.0, 1.0, 0.5]  # log clamped at -100 and a finite gradient, as torch
    t = rng.random((4, 6)).astype(np.float32)
    t[0, :2] = [1.0, 0.0]
    w = rng.random((4, 6)).astype(np.float32) if weighted else None
    run_both(lambda a, b: F.binary_cross_entropy(a, b, None if w is None else resnetc.Tensor(w), reduction=reduction),
             lambda a, b: TF.binary_cross_entropy(a, b, None if w is None else torch.tensor(w), reduction=reduction),
             p, t)


def test_binary_cross_entropy_rejects_what_torch_rejects():
    for bad in (1.5, -0.1, np.nan):
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            F.binary_cross_entropy(resnetc.Tensor(np.array([bad, 0.5], np.float32)), resnetc.Tensor(np.ones(2, np.float32)))
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            TF.binary_cross_entropy(torch.tensor([bad, 0.5]), torch.ones(2))
    x, t = np.zeros(3, np.float32), np.ones(3, np.float32)
    for fn, theirs in ((F.binary_cross_entropy, TF.binary_cross_entropy),
                       (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits)):
        p = x + np.float32(0.5) if fn is F.binary_cross_entropy else x
        with pytest.raises(RuntimeError, match="does not broadcast to the input's shape"):  # a weight may not grow x
            fn(resnetc.Tensor(p), resnetc.Tensor(t), weight=resnetc.Tensor(np.ones((3, 1), np.float32)))
        with pytest.raises(RuntimeError):
            theirs(torch.tensor(p), torch.tensor(t), weight=torch.ones(3, 1))
    with pytest.raises(RuntimeError, match="pos_weight of shape"):
        F.binary_cross_entropy_with_logits(resnetc.Tensor(x), resnetc.Tensor(t),
                                           pos_weight=resnetc.Tensor(np.ones(4, np.float32)))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(resnetc.Tensor(np.full((2, 1), 0.5, np.float32)), resnetc.Tensor(np.ones(2, np.float32)))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(resnetc.Tensor(np.zeros((2, 3), np.float32)),
                                           resnetc.Tensor(np.zeros((2, 1), np.float32)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_binary_cross_entropy_with_logits(rng, reduction, weighted, pos_weighted):
    x = (rng.standard_normal((5, 4)) * 3).astype(np.float32)
    x[0] = [-100.0, 100.0, -30.0, 30.0]  # stable at large logits
    t = (rng.random((5, 4)) > 0.5).astype(np.float32)
    t[1, 0] = 0.3  # soft labels too
    w = rng.random((5, 4)).astype(np.float32) if weighted else None
    pw = (rng.random(4) * 3).astype(np.float32) if pos_weighted else None

    def ours(a, b):
        return F.binary_cross_entropy_with_logits(a, b, None if w is None else resnetc.Tensor(w), reduction=reduction,
                                                  pos_weight=None if pw is None else resnetc.Tensor(pw))

    def theirs(a, b):
        return TF.binary_cross_entropy_with_logits(a, b, None if w is None else torch.tensor(w), reduction=reduction,
                                                   pos_weight=None if pw is None else torch.tensor(pw))

    run_both(ours, theirs, x, t)


def test_loss_modules_match_torch(rng):
    x, t = rng.standard_normal((3, 4)).astype(np.float32), (rng.random((3, 4)) > 0.5).astype(np.float32)
    pw = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    pairs = [(nn.MSELoss(), torch.nn.MSELoss()), (nn.L1Loss(reduction="sum"), torch.nn.L1Loss(reduction="sum")),
             (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5)), (nn.HuberLoss(delta=0.7), torch.nn.HuberLoss(delta=0.7)),
             (nn.BCEWithLogitsLoss(pos_weight=pw), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw)))]
    for ours, theirs in pairs:
        run_both(ours, theirs, x, t, grad=(True, False))
    run_both(nn.BCELoss(), torch.nn.BCELoss(), 1 / (1 + np.exp(-x)), t, grad=(True, False))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    assert "pos_weight" in dict(nn.BCEWithLogitsLoss(pos_weight=pw).named_buffers())


@pytest.mark.parametrize("name,kwargs", [("sigmoid", {}), ("tanh", {}), ("leaky_relu", {}),
                                         ("leaky_relu", {"negative_slope": 0.2}), ("silu", {})])
def test_activations(rng, name, kwargs):
    x = (rng.standard_normal((3, 7)) * 4).astype(np.float32)
    x[0, :4] = [-100.0, 100.0, 0.0, -0.0]
    run_both(lambda a: getattr(F, name)(a, **kwargs), lambda a: getattr(TF, name)(a, **kwargs), x, grad=(True,))


@pytest.mark.parametrize("name,module,reference", [
    ("leaky_relu", lambda: nn.LeakyReLU(0.1, inplace=True), lambda: torch.nn.LeakyReLU(0.1, inplace=True)),
    ("silu", lambda: nn.SiLU(inplace=True), lambda: torch.nn.SiLU(inplace=True))])
def test_inplace_activations_after_another_op(rng, name, module, reference):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    # In place on a non-leaf (a leaf that requires grad is refused, as torch does).
    run_both(lambda a: module()(a * 2), lambda a: reference()(a * 2), x, grad=(True,))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        module()(resnetc.Tensor(x, requires_grad=True))


def test_activation_modules(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    for ours, theirs in [(nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
                         (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)), (nn.SiLU(), torch.nn.SiLU())]:
        run_both(ours, theirs, x, grad=(True,))
    assert repr(nn.LeakyReLU(0.3, inplace=True)) == repr(torch.nn.LeakyReLU(0.3, inplace=True))
    assert repr(nn.SiLU()) == repr(torch.nn.SiLU())
