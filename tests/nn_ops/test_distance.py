"""normalize and cosine_similarity against torch (float64), values and gradients."""
import math

import numpy as np
import pytest
import torch.nn.functional as TF

import resnetc.nn.functional as F
from nn_ops_helpers import run_both


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("dim", [1, -1, 0])
def test_normalize(rng, p, dim):
    x = rng.standard_normal((4, 5, 3)).astype(np.float32)
    run_both(lambda a: F.normalize(a, p=p, dim=dim), lambda a: TF.normalize(a, p=p, dim=dim), [x],
             rtol=1e-5, atol=1e-6)


def test_normalize_rows_below_eps_divide_by_eps(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    x[1] = 0.0
    x[2] = 1e-7
    run_both(lambda a: F.normalize(a, eps=1e-3), lambda a: TF.normalize(a, eps=1e-3), [x], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shapes,dim", [(((6, 5), (6, 5)), 1), (((2, 3, 4), (2, 3, 4)), 0),
                                        (((6, 5), (1, 5)), 1), (((4, 3, 2, 2), (3, 1, 1)), 1)])
def test_cosine_similarity(rng, shapes, dim):
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    run_both(lambda x, y: F.cosine_similarity(x, y, dim=dim), lambda x, y: TF.cosine_similarity(x, y, dim=dim),
             [a, b], rtol=1e-5, atol=1e-6)


def test_cosine_similarity_with_a_zero_vector(rng):
    a, b = rng.standard_normal((2, 3, 4)).astype(np.float32)
    a[0] = 0.0
    run_both(F.cosine_similarity, TF.cosine_similarity, [a, b], rtol=1e-5, atol=1e-5)


def test_dim_out_of_range():
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.normalize(np.zeros((2, 3), np.float32), dim=2)
