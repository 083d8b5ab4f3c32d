"""pad against torch (float64): every mode, values and gradients."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from nn_ops_helpers import run_both


@pytest.mark.parametrize("pad", [(1, 2), (1, 1, 2, 0), (2, 1, 0, 1, 1, 1), (-1, 2, 1, -2), (0, 0, 0, 0, 0, 0, 1, 0)])
def test_constant(rng, pad):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    run_both(lambda a: F.pad(a, pad, value=1.5), lambda a: TF.pad(a, pad, value=1.5), [x], rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 3, 4, 5), (1, 2, 3, 1)), ((3, 4, 5), (2, 1, 0, 3)),
                                       ((2, 3, 6), (2, 3)), ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2))])
def test_index_modes(rng, mode, shape, pad):
    x = rng.standard_normal(shape).astype(np.float32)
    run_both(lambda a: F.pad(a, pad, mode=mode), lambda a: TF.pad(a, pad, mode=mode), [x], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("pad", [(-1, 2), (2, -1), (-2, -1, 1, -1)])
def test_circular_crops_before_wrapping(rng, pad):
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    run_both(lambda a: F.pad(a, pad, mode="circular"), lambda a: TF.pad(a, pad, mode="circular"), [x],
             rtol=1e-6, atol=1e-6)  # the wrapped positions' gradients are sums (torch: in float64)


def test_constant_on_integers():
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    np.testing.assert_array_equal(F.pad(resnetc.tensor(x), (1, 0), value=7).array,
                                  TF.pad(torch.tensor(x), (1, 0), value=7).numpy())


@pytest.mark.parametrize("shape,pad,mode", [((2, 3), (1, 2, 3), "constant"), ((1, 2, 3), (3, 0), "reflect"),
                                            ((1, 2, 3), (1, 0), "nope"), ((1, 2, 3), (1, 1), "reflect")])
def test_errors(shape, pad, mode):
    kwargs = {"value": 2.0} if pad == (1, 1) else {}
    with pytest.raises((ValueError, NotImplementedError)):
        F.pad(np.zeros(shape, np.float32), pad, mode=mode, **kwargs)
