"""dropout2d: whole channels dropped with probability p, kept ones scaled; gradient by the same mask."""
import numpy as np
import pytest

import resnetc
import resnetc.nn.functional as F


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_channels_are_dropped_whole(p):
    x = np.ones((100, 40, 3, 3), np.float32)
    leaf = resnetc.Tensor(x, requires_grad=True)
    out = F.dropout2d(leaf, p, generator=np.random.default_rng(3))
    per_channel = out.array.reshape(100, 40, 9)
    kept = per_channel[..., 0] != 0
    assert (per_channel == per_channel[..., :1]).all()  # one decision per (sample, channel)
    assert abs(kept.mean() - (1 - p)) < 0.03
    np.testing.assert_allclose(per_channel[kept], 1 / (1 - p), rtol=1e-6)
    g = np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    out.backward(g)
    np.testing.assert_allclose(leaf.grad.array, g * out.array, rtol=1e-6)


def test_eval_mode_and_p_zero_return_the_input():
    x = resnetc.Tensor(np.ones((2, 3, 4, 4), np.float32))
    assert F.dropout2d(x, 0.5, training=False) is x and F.dropout2d(x, 0.0) is x


def test_3d_input_warns_as_torch_and_drops_per_channel():
    with pytest.warns(UserWarning, match="channel-wise 1D dropout"):
        out = F.dropout2d(np.ones((4, 5, 6), np.float32), 0.5, generator=np.random.default_rng(0))
    assert (out.array == out.array[..., :1]).all()


def test_inplace_and_errors():
    x = np.ones((2, 8, 2, 2), np.float32)
    out = F.dropout2d(x, 0.5, inplace=True, generator=np.random.default_rng(0))
    assert np.shares_memory(out.array, x) and set(np.unique(x)) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout2d(x, 1.5)
    with pytest.raises(ValueError, match="4-D"):
        F.dropout2d(np.ones((2, 3), np.float32))
