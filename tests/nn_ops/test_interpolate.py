"""interpolate against torch (float64): nearest, nearest-exact, bilinear, area; values and gradients."""
import numpy as np
import pytest
import torch.nn.functional as TF

import resnetc.nn.functional as F
from nn_ops_helpers import run_both

SIZES = [dict(size=(9, 13)), dict(size=4), dict(size=(10, 12)), dict(scale_factor=2), dict(scale_factor=0.5),
         dict(scale_factor=(1.7, 2.3)), dict(scale_factor=1.3, recompute_scale_factor=True), dict(size=(1, 1))]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
@pytest.mark.parametrize("kwargs", SIZES)
def test_nearest_and_area(rng, mode, kwargs):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    run_both(lambda a: F.interpolate(a, mode=mode, **kwargs), lambda a: TF.interpolate(a, mode=mode, **kwargs),
             [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kwargs", SIZES)
def test_bilinear(rng, align_corners, kwargs):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    run_both(lambda a: F.interpolate(a, mode="bilinear", align_corners=align_corners, **kwargs),
             lambda a: TF.interpolate(a, mode="bilinear", align_corners=align_corners, **kwargs),
             [x], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs,error", [
    (dict(size=4, scale_factor=2), ValueError), (dict(), ValueError),
    (dict(size=4, align_corners=True), ValueError), (dict(size=4, mode="bicubic"), NotImplementedError)])
def test_errors(kwargs, error):
    with pytest.raises(error):
        F.interpolate(np.zeros((1, 1, 3, 3), np.float32), **kwargs)


def test_3d_input_is_refused_clearly():
    with pytest.raises(NotImplementedError, match=r"4-D \(N, C, H, W\)"):
        F.interpolate(np.zeros((1, 3, 4), np.float32), size=8)
