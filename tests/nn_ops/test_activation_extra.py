"""gelu, relu6, elu, hardswish, mish, prelu against torch (float64), values and gradients."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from nn_ops_helpers import run_both


def _input(rng):
    x = (rng.standard_normal((4, 3, 5, 6)) * 4).astype(np.float32)
    x.flat[:12] = [-9.0, -6.0, -3.0, -1.0, 0.0, 1e-3, 1.0, 3.0, 6.0, 9.0, 25.0, -25.0]  # edges and tails
    return x


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(rng, approximate):
    run_both(lambda x: F.gelu(x, approximate=approximate), lambda x: TF.gelu(x, approximate=approximate),
             [_input(rng)], rtol=1e-6, atol=1e-7)


def test_gelu_left_tail_keeps_relative_accuracy():
    # torch's 1 + erf(x) cancels out here even in float64; math.erfc is the reference
    x = np.array([-5.0, -7.0, -9.0, -12.0], np.float32)
    expected = [0.5 * float(v) * math.erfc(-float(v) / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(F.gelu(x).array, expected, rtol=1e-6)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="none or tanh"):
        F.gelu(np.zeros(2, np.float32), approximate="fast")


@pytest.mark.parametrize("name,kwargs", [("relu6", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("hardswish", {}),
                                         ("mish", {})])
def test_pointwise_activation(rng, name, kwargs):
    run_both(lambda x: getattr(F, name)(x, **kwargs), lambda x: getattr(TF, name)(x, **kwargs), [_input(rng)],
             rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["relu6", "elu", "hardswish", "mish"])
def test_inplace_variant_matches(rng, name):
    x = _input(rng)
    leaf = resnetc.Tensor(x.copy(), requires_grad=True)
    mid = leaf * np.float32(1)
    out = getattr(F, name)(mid, inplace=True)
    assert out is mid
    out.sum().backward()
    t = torch.tensor(x.astype(np.float64), requires_grad=True)
    getattr(TF, name)(t * 1, inplace=True).sum().backward()
    np.testing.assert_allclose(mid.array, getattr(TF, name)(torch.tensor(x, dtype=torch.float64)).numpy(),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(leaf.grad.array, t.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (7, 3)])
def test_prelu(rng, channels, shape):
    x = _input(rng).reshape(-1)[:int(np.prod(shape))].reshape(shape)
    w = rng.uniform(-0.5, 0.5, channels).astype(np.float32)
    run_both(F.prelu, TF.prelu, [x, w], rtol=1e-5, atol=1e-5)


def test_prelu_rejects_a_weight_of_the_wrong_size():
    with pytest.raises(ValueError, match="channel size = 3"):
        F.prelu(np.zeros((2, 3), np.float32), np.zeros(2, np.float32))
