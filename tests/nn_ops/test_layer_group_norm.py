"""layer_norm and group_norm against torch (float64): values and gradients of input, weight, bias."""
import numpy as np
import pytest
import torch.nn.functional as TF

import resnetc.nn.functional as F
from nn_ops_helpers import run_both


@pytest.mark.parametrize("shape,normalized", [((4, 10), (10,)), ((2, 3, 5, 6), (5, 6)), ((2, 3, 4), (2, 3, 4))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(rng, shape, normalized, affine):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    if affine:
        w = rng.standard_normal(normalized).astype(np.float32)
        b = rng.standard_normal(normalized).astype(np.float32)
        run_both(lambda a, c, d: F.layer_norm(a, normalized, c, d, eps=1e-5),
                 lambda a, c, d: TF.layer_norm(a, normalized, c, d, eps=1e-5), [x, w, b], rtol=1e-4, atol=1e-5)
    else:
        run_both(lambda a: F.layer_norm(a, normalized), lambda a: TF.layer_norm(a, normalized), [x],
                 rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape,groups", [((2, 6, 4, 5), 3), ((3, 4, 7), 1), ((2, 4, 3, 3), 4), ((5, 6), 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(rng, shape, groups, affine):
    x = (rng.standard_normal(shape) * 2 - 1).astype(np.float32)
    C = shape[1]
    if affine:
        w, b = rng.standard_normal((2, C)).astype(np.float32)
        run_both(lambda a, c, d: F.group_norm(a, groups, c, d), lambda a, c, d: TF.group_norm(a, groups, c, d),
                 [x, w, b], rtol=1e-4, atol=1e-5)
    else:
        run_both(lambda a: F.group_norm(a, groups), lambda a: TF.group_norm(a, groups), [x], rtol=1e-4, atol=1e-5)


def test_shape_errors():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(np.zeros((2, 3), np.float32), (4,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(np.zeros((2, 6, 2), np.float32), 4)
