import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import resnetc
import resnetc.nn.functional as F
from nn_ops_helpers import run_both

MAX_CASES = [  # kernel, stride, padding, dilation, ceil_mode
    (3, 2, 1, 1, False),   # ResNet's stem
    (3, 2, 1, 1, True),
    (2, None, 0, 1, False),
    (3, 1, 0, 1, False),
    ((3, 2), (2, 1), (1, 0), 1, True),
    (3, 2, 1, 2, False),
    (3, 3, 1, (2, 1), True),
    (4, 3, 2, 1, True),
    ((1, 3), (1, 2), (0, 1), 1, False),
]


@pytest.mark.parametrize("k,s,p,d,ceil", MAX_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9, 10), (3, 7, 8)])
def test_max_pool2d_matches_torch(isa, rng, k, s, p, d, ceil, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    run_both(lambda x: F.max_pool2d(x, k, s, p, d, ceil), lambda x: TF.max_pool2d(x, k, s, p, d, ceil), [x])
    _, idx = F.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
    _, tidx = TF.max_pool2d(torch.tensor(x), k, s, p, d, ceil, return_indices=True)
    np.testing.assert_array_equal(idx.array, tidx.numpy())


def test_max_pool2d_ties_go_to_the_first_maximum(isa, rng):
    # Small integers make many ties; the gradient must land where torch puts it (a misrouted
    # gradient is off by O(1); float32 vs float64 sums of overlapping windows by ~1e-7).
    x = rng.integers(0, 3, (2, 2, 8, 8)).astype(np.float32)
    run_both(lambda x: F.max_pool2d(x, 3, 1, 1), lambda x: TF.max_pool2d(x, 3, 1, 1), [x], rtol=1e-6, atol=1e-6)
    run_both(lambda x: F.max_pool2d(x, 2, 2, 0, 2, True), lambda x: TF.max_pool2d(x, 2, 2, 0, 2, True), [x],
             rtol=1e-6, atol=1e-6)


def test_max_pool2d_nan_and_infinities(isa):
    x = np.array([[[[1, np.nan, 2, -np.inf], [np.nan, 0, -np.inf, -np.inf]]]], np.float32)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(out.array, tout.numpy())
    np.testing.assert_array_equal(idx.array, tidx.numpy())


AVG_CASES = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None),
    (3, 2, 1, False, True, None),
    (3, 2, 1, False, False, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    ((3, 2), (2, 3), (1, 1), True, True, None),
    (3, 2, 1, True, False, 4),
    (2, 2, 0, True, True, None),  # a ceil_mode window hanging past the input's edge
    (7, 1, 0, False, True, None),
]


@pytest.mark.parametrize("k,s,p,ceil,include,div", AVG_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (3, 8, 7)])
def test_avg_pool2d_matches_torch(rng, k, s, p, ceil, include, div, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    run_both(lambda x: F.avg_pool2d(x, k, s, p, ceil, include, div),
             lambda x: TF.avg_pool2d(x, k, s, p, ceil, include, div), [x])


@pytest.mark.parametrize("size", [1, (1, 1), 3, (3, 5), (None, 4), (7, None), (4, 6), (7, 9), (10, 12)])
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (4, 7, 9)])
def test_adaptive_avg_pool2d_matches_torch(rng, size, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    run_both(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: TF.adaptive_avg_pool2d(x, size), [x])


def test_global_average_pool_of_a_resnet_sized_input(rng):
    x = rng.standard_normal((2, 64, 7, 7)).astype(np.float32)
    run_both(lambda x: F.adaptive_avg_pool2d(x, 1), lambda x: TF.adaptive_avg_pool2d(x, 1), [x])


def test_gradient_through_a_chain(rng):
    # relu -> max_pool -> batch_norm -> adaptive pool -> cross_entropy, as in a ResNet's ends.
    x = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, 3).astype(np.float32)
    labels = np.array([0, 2, 1, 2])

    def rc(x, w):
        h = F.max_pool2d(F.relu(x), 3, 2, 1)
        h = F.batch_norm(h, None, None, w, None, True)
        return F.cross_entropy(F.adaptive_avg_pool2d(h, 1).reshape(4, 3), labels)

    def ref(x, w):
        h = TF.max_pool2d(TF.relu(x), 3, 2, 1)
        h = TF.batch_norm(h, None, None, w, None, True)
        return TF.cross_entropy(TF.adaptive_avg_pool2d(h, 1).reshape(4, 3), torch.tensor(labels))

    run_both(rc, ref, [x, w], rtol=1e-4, atol=1e-5)


def test_pool_bad_arguments(rng):
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    with pytest.raises(ValueError, match="pad should be at most half of effective kernel size, but got pad=2, kernel_size=3"):
        F.max_pool2d(x, 3, 1, 2)
    with pytest.raises(ValueError, match="pad should be at most half"):
        F.avg_pool2d(x, 2, 1, 2)
    with pytest.raises(ValueError, match=r"Given input size: \(2x4x4\). Calculated output size: \(2x0x0\). Output size is too small"):
        F.max_pool2d(np.ascontiguousarray(x[..., :4, :4]), 3, 1, 0, 2)
    with pytest.raises(ValueError, match="kernel size should be greater than zero"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="stride should be greater than zero"):
        F.avg_pool2d(x, 2, 0)
    with pytest.raises(ValueError, match="dilation should be greater than zero"):
        F.max_pool2d(x, 2, 1, 0, 0)
    with pytest.raises(ValueError, match=r"3D \(C, H, W\) or 4D"):
        F.max_pool2d(x[0, 0], 2)
    with pytest.raises(ValueError, match="non-empty"):
        F.avg_pool2d(np.zeros((1, 0, 4, 4), np.float32), 2)
    with pytest.raises(TypeError, match="kernel_size must be an int or a tuple of two ints"):
        F.max_pool2d(x, (1, 2, 3))
    with pytest.raises(TypeError, match="float32"):
        F.adaptive_avg_pool2d(x.astype(np.float64), 1)
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match="divisor must be a positive int"):
        F.avg_pool2d(x, 2, divisor_override=0)


def test_max_pool2d_windows_wholly_in_the_padding_match_torch(rng):
    # Dilation can leave a window with no tap inside the input: torch outputs -inf with an
    # index past the plane. (torch's backward then writes past the plane -- into the next
    # channel or out of the buffer -- so it is not run here; resnetc drops that gradient.)
    x = rng.standard_normal((1, 2, 1, 3)).astype(np.float32)
    args = ((2, 1), 1, (1, 0), (2, 1))
    out, idx = F.max_pool2d(resnetc.Tensor(x, requires_grad=True), *args, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(out.array, tout.numpy())
    assert np.isneginf(out.array).all()
    np.testing.assert_array_equal(idx.array, tidx.numpy())
    leaf = out._node[0][0]
    out.backward(np.ones(out.shape, np.float32))
    np.testing.assert_array_equal(leaf.grad.array, 0)


def test_binding_skips_indices_outside_the_plane(rng):
    x = rng.standard_normal((1, 1, 4, 4)).astype(np.float32)
    _, idx = resnetc._C.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (2, 2))
    idx[0, 0, 0, 0] = 16
    idx[0, 0, 0, 1] = -3
    dx = resnetc._C.max_pool2d_backward(np.ones((1, 1, 2, 2), np.float32), idx, 4, 4)
    assert dx.sum() == 2
    with pytest.raises(ValueError, match="invalid pooling geometry"):
        resnetc._C.max_pool2d_forward(x, (0, 2), (2, 2), (0, 0), (1, 1), (2, 2))


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pool2d_3x3_interior_windows_keep_torchs_nan_tie_and_index_rules(isa, rng, stride):
    # The 3x3 windows wholly inside the plane take an unrolled path (ResNet's stem): NaN, -inf
    # and ties placed inside them must give torch's values, indices and gradients.
    x = rng.integers(0, 3, (2, 3, 12, 11)).astype(np.float32)
    x[0, 0, 5, 5] = np.nan
    x[0, 1, 4, 4:7] = np.nan
    x[1, 2, 2:8, 3:9] = -np.inf
    x[1, 0, 6, 6] = np.inf
    out, idx = F.max_pool2d(x, 3, stride, 1, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(x), 3, stride, 1, return_indices=True)
    np.testing.assert_array_equal(out.array, tout.numpy())
    np.testing.assert_array_equal(idx.array, tidx.numpy())
    finite = np.nan_to_num(x, nan=0.5, posinf=7.0, neginf=-7.0)
    run_both(lambda x: F.max_pool2d(x, 3, stride, 1), lambda x: TF.max_pool2d(x, 3, stride, 1), [finite],
             rtol=1e-6, atol=1e-6)


def _ties_nan_and_infinities(rng, shape):
    """Small integers (many ties) with NaN, +inf and -inf scattered in, plus whole planes of
    -inf (the index is the window's first tap inside the plane), of -inf with NaNs (the last
    NaN wins) and of NaN."""
    x = rng.integers(0, 3, shape).astype(np.float32)
    u = rng.random(shape)
    x[u < 0.04] = np.nan
    x[(u >= 0.04) & (u < 0.1)] = -np.inf
    x[u > 0.97] = np.inf
    x[0, 0] = -np.inf
    x[0, 1] = np.where(u[0, 1] < 0.2, np.nan, -np.inf)
    x[1, 0] = np.nan
    return x


@pytest.mark.parametrize("stride,padding,ceil",
                         [(2, 1, False), (2, 1, True), (1, 1, False), (2, 0, True), (1, 0, False)])
@pytest.mark.parametrize("width", [1, 2, 3, 4, 7, 8, 15, 16, 17, 18, 19, 24, 33, 40])
def test_max_pool2d_3x3_rows_on_every_isa_match_torch(isa, rng, stride, padding, ceil, width):
    # ResNet's 3x3 pools take vector kernels (AVX2: 8 outputs a vector, the first window
    # starting in the padding, the last vector overlapping; rows clipped by the padding) when
    # a row has enough outputs: widths around and past 8 and 16 outputs, odd and even, and
    # planes too small for a vector must all give torch's values and indices.
    for height in (1, 2, 3, 6, 9):
        if min(height, width) + 2 * padding < 3:
            continue
        x = _ties_nan_and_infinities(rng, (2, 3, height, width))
        out, idx = F.max_pool2d(x, 3, stride, padding, 1, ceil, return_indices=True)
        tout, tidx = TF.max_pool2d(torch.tensor(x), 3, stride, padding, 1, ceil, return_indices=True)
        np.testing.assert_array_equal(out.array, tout.numpy(), err_msg=f"height {height}")
        np.testing.assert_array_equal(idx.array, tidx.numpy(), err_msg=f"height {height}")
