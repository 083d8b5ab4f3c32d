"""nn.init: torch's formulas (bounds and standard deviations), on the default or a given generator."""
import math

import numpy as np
import pytest
import torch

import resnetc
from resnetc.nn import init


def test_kaiming_and_xavier_match_torch_statistics():
    weight = resnetc.zeros(256, 128, 3, 3)
    fan_in, fan_out = 128 * 9, 256 * 9
    init.kaiming_normal_(weight, mode="fan_out", nonlinearity="relu")
    assert abs(weight.array.std() - math.sqrt(2 / fan_out)) < 0.01 * math.sqrt(2 / fan_out)
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    bound = math.sqrt(6 / ((1 + 5) * fan_in))
    assert np.abs(weight.array).max() <= bound and np.abs(weight.array).max() > 0.99 * bound
    init.xavier_uniform_(weight)
    assert np.abs(weight.array).max() <= math.sqrt(6 / (fan_in + fan_out))
    assert init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)


def test_uniform_normal_constant_and_generators():
    t = resnetc.zeros(10000)
    init.uniform_(t, -2, 3)
    assert t.array.min() >= -2 and t.array.max() < 3 and abs(t.array.mean() - 0.5) < 0.05
    init.normal_(t, 1.0, 0.5)
    assert abs(t.array.mean() - 1.0) < 0.02 and abs(t.array.std() - 0.5) < 0.02
    a, b = resnetc.zeros(5), resnetc.zeros(5)
    init.normal_(a, generator=np.random.default_rng(3))
    init.normal_(b, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a.array, b.array)
    init.ones_(a)
    init.zeros_(b)
    init.constant_(t, 7)
    assert (a.array == 1).all() and (b.array == 0).all() and (t.array == 7).all()
    init.trunc_normal_(t, std=1.0, a=-0.5, b=0.5)
    assert np.abs(t.array).max() <= 0.5
    with pytest.raises(ValueError, match="Fan in and fan out"):
        init.kaiming_normal_(resnetc.zeros(4))
    with pytest.raises(ValueError, match="Mode fan_sideways not supported"):
        init.kaiming_normal_(resnetc.zeros(4, 4), mode="fan_sideways")


def test_manual_seed_makes_models_reproducible():
    resnetc.manual_seed(5)
    first = resnetc.models.resnet18().conv1.weight.array.copy()
    resnetc.manual_seed(5)
    np.testing.assert_array_equal(resnetc.models.resnet18().conv1.weight.array, first)
