"""adaptive_max_pool2d against torch: values, indices and gradients."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc.nn.functional as F
from nn_ops_helpers import run_both


@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (3, 5, 6)])
@pytest.mark.parametrize("output_size", [1, 3, (2, 4), (7, 9), (5, None), (9, 11)])
def test_adaptive_max_pool2d(rng, shape, output_size):
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::7] = 0.5  # ties: the first maximum wins
    out, tout = run_both(lambda a: F.adaptive_max_pool2d(a, output_size),
                         lambda a: TF.adaptive_max_pool2d(a, output_size), [x], rtol=0, atol=0,
                         grad_rtol=1e-6, grad_atol=1e-6)  # overlapping windows add in float32
    _, indices = F.adaptive_max_pool2d(x, output_size, return_indices=True)
    _, t_indices = TF.adaptive_max_pool2d(torch.tensor(x), output_size, return_indices=True)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices.array, t_indices.numpy())


def test_nan_is_the_maximum():
    x = np.zeros((1, 1, 2, 2), np.float32)
    x[0, 0, 1, 0] = np.nan
    out, indices = F.adaptive_max_pool2d(x, 1, return_indices=True)
    assert np.isnan(out.array).all() and indices.array.item() == 2
