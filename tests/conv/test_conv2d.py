"""resnetc.nn.functional.conv2d (forward and every gradient) against torch in float64.

Tolerance: max |ours - torch| <= 2e-5 * max |torch| for the output and each gradient
(float32 kernels against a float64 reference; observed errors are ~5e-7 relative).
"""
import numpy as np
import pytest
import torch

import resnetc
import resnetc.nn.functional as F
from resnetc import Tensor, _C

RTOL = 2e-5

# (N, C, H, W, K, (KH, KW), stride, padding, dilation, groups, bias)
CASES = [
    (1, 3, 8, 8, 4, (3, 3), 1, 1, 1, 1, True),          # 3x3 same-size
    (3, 4, 9, 7, 6, (3, 3), 2, 1, 1, 2, False),         # stride 2, groups 2, non-square, odd batch
    (2, 8, 10, 10, 8, (3, 3), 1, 1, 1, 8, True),        # depthwise (direct kernels)
    (2, 4, 9, 8, 8, (3, 3), 2, 1, 1, 4, True),          # depthwise, channel multiplier 2, stride 2
    (1, 3, 11, 12, 3, (5, 5), 1, 2, 2, 3, False),       # depthwise 5x5, dilation 2
    (3, 8, 7, 9, 16, (3, 3), 1, 1, 1, 4, True),         # groups 4, channel multiplier 4
    (2, 4, 6, 6, 8, (1, 1), 1, 0, 1, 1, True),          # 1x1 stride 1: no im2col
    (3, 8, 5, 7, 4, (1, 1), 1, 0, 1, 2, False),         # 1x1 stride 1 grouped
    (4, 4, 9, 9, 8, (1, 1), 2, 0, 1, 1, False),         # 1x1 stride 2 (downsample)
    (3, 3, 15, 13, 4, (7, 7), 2, 3, 1, 1, True),        # ResNet stem shape, small
    (2, 4, 9, 9, 4, (3, 3), 1, 2, 2, 4, True),          # dilation 2
    (1, 2, 7, 10, 3, (3, 5), (2, 1), (0, 2), (1, 2), 1, True),  # everything per axis
    (3, 5, 6, 6, 7, (3, 3), 1, 0, 1, 1, False),         # no padding, odd channels
    (3, 4, 24, 24, 6, (1, 1), 1, 0, 1, 1, True),        # 1x1 on a map wide enough for one image per GEMM
    (3, 3, 24, 23, 5, (3, 3), 1, 1, 1, 1, True),        # 3x3, one image per GEMM
    (2, 8, 24, 24, 6, (3, 3), 1, 1, 1, 2, True),        # one image per thread and per GEMM
    (1, 16, 7, 7, 64, (3, 3), 1, 1, 1, 1, True),        # N = 49 < M: the GEMM's transposed route
    (2, 16, 9, 9, 8, (3, 3), 1, 1, 1, 4, True),         # weight gradient through the dot route
    # Columns beyond conv.c's SLAB_FLOATS: the forward unfolds slabs of output rows (24 + 16 here,
    # whole micro-panels of columns)
    (2, 16, 40, 36, 8, (3, 3), 1, 1, 1, 1, True),
    (2, 16, 40, 36, 8, (3, 3), 1, 1, 1, 2, False),      # slabs, grouped
    (2, 3, 64, 64, 4, (7, 7), 2, 3, 1, 1, False),       # slabs of a stem-like conv (27 + 5 rows)
    (2, 16, 66, 66, 4, (3, 3), 2, 0, 1, 1, False),      # slabs; no window reaches the last input row
    # 14x14 maps, several images per thread: one image per GEMM with the weights packed once
    (4, 8, 14, 14, 16, (1, 1), 1, 0, 1, 1, True),       # a 1x1 convolution reads each image in place
    (4, 8, 14, 14, 8, (3, 3), 1, 1, 1, 2, False),
]


def ids(case):
    n, c, h, w, k, ks, s, p, d, g, b = case
    return f"n{n}c{c}_{h}x{w}_k{k}_{ks[0]}x{ks[1]}_s{s}_p{p}_d{d}_g{g}{'_bias' if b else ''}"


def rel_err(ours, ref):
    ref = ref.detach().numpy()
    return np.abs(ours - ref).max() / np.abs(ref).max()


def run_both(rng, n, c, h, w, k, ks, stride, padding, dilation, groups, bias, need_input=True):
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((k, c // groups, *ks)).astype(np.float32)
    b = rng.standard_normal(k).astype(np.float32) if bias else None
    xs = Tensor(x, requires_grad=need_input)
    ws = Tensor(wt, requires_grad=True)
    bs = Tensor(b, requires_grad=True) if bias else None
    ys = F.conv2d(xs, ws, bs, stride, padding, dilation, groups)
    grad = rng.standard_normal(ys.shape).astype(np.float32)
    ys.backward(grad)

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wtt = torch.tensor(wt, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True) if bias else None
    yt = torch.nn.functional.conv2d(xt, wtt, bt, stride, padding, dilation, groups)
    yt.backward(torch.tensor(grad, dtype=torch.float64))
    return (xs, ws, bs, ys), (xt, wtt, bt, yt)


@pytest.fixture(params=[True, False], ids=["winograd", "im2col"])
def winograd(request):
    """Runs a test with the Winograd path of 3x3 stride-1 convolutions on (where it applies) and
    off, so the shapes it takes over still check the im2col path too."""
    previous = _C._conv_winograd(request.param)
    yield
    _C._conv_winograd(previous)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_conv2d_matches_torch(isa, winograd, rng, case):
    (xs, ws, bs, ys), (xt, wtt, bt, yt) = run_both(rng, *case)
    assert ys.shape == tuple(yt.shape)
    assert ys.dtype == np.float32
    assert rel_err(ys.array, yt) <= RTOL
    assert rel_err(xs.grad.array, xt.grad) <= RTOL
    assert rel_err(ws.grad.array, wtt.grad) <= RTOL
    if bs is not None:
        assert rel_err(bs.grad.array, bt.grad) <= RTOL


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch", [1, 3, 4])
def test_conv2d_thread_splits_agree(rng, num_threads, threads, batch):
    # batch 4 runs images in parallel, 1 and 3 parallelise inside each GEMM.
    num_threads(threads)
    (xs, ws, bs, ys), (xt, wtt, bt, yt) = run_both(rng, batch, 6, 8, 8, 8, (3, 3), 1, 1, 1, 2, True)
    assert rel_err(ys.array, yt) <= RTOL
    assert rel_err(xs.grad.array, xt.grad) <= RTOL
    assert rel_err(ws.grad.array, wtt.grad) <= RTOL
    assert rel_err(bs.grad.array, bt.grad) <= RTOL


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("hw,batch", [(24, 12), (13, 12), (7, 24)])
def test_conv2d_images_handed_out_dynamically_agree(rng, num_threads, threads, hw, batch):
    # Batches that split into several work items per thread (one image of a 24x24 map, chunks
    # of 3 images of 13x13, 11 of 7x7): every image and chunk must land in its own place.
    num_threads(threads)
    (xs, ws, bs, ys), (xt, wtt, bt, yt) = run_both(rng, batch, 4, hw, hw, 6, (3, 3), 1, 1, 1, 1, True)
    assert rel_err(ys.array, yt) <= RTOL
    assert rel_err(xs.grad.array, xt.grad) <= RTOL
    assert rel_err(ws.grad.array, wtt.grad) <= RTOL


# Small maps with batches that give each thread chunks of several images: the forward packs
# their columns straight from the images into the GEMM's panels (an implicit GEMM), with the
# first chunk's images ahead of the next's, groups, strides, dilation and padding, 16 output
# channels per group (at least a tile's height on every ISA). The last case has one-pixel-wide
# output rows: chunks of 57 images, 513 runs of one pixel, packed 256 runs at a time.
IMPLICIT_CASES = [
    (24, 4, 7, 7, 16, (3, 3), 1, 1, 1, 1, True),
    (24, 4, 9, 9, 32, (3, 3), 2, 1, 1, 2, False),
    (16, 4, 8, 8, 32, (3, 3), 1, 2, 2, 2, True),
    (16, 4, 11, 11, 16, (3, 3), 3, 1, 1, 1, True),
    (12, 2, 7, 10, 16, (3, 5), (2, 1), (0, 2), (1, 2), 1, True),
    (120, 3, 9, 1, 16, (3, 1), 1, (1, 0), 1, 1, False),
]


@pytest.mark.parametrize("case", IMPLICIT_CASES, ids=ids)
def test_conv2d_implicit_gemm_forward(isa, rng, num_threads, case):
    num_threads(2)
    (xs, ws, bs, ys), (xt, wtt, bt, yt) = run_both(rng, *case)
    assert rel_err(ys.array, yt) <= RTOL
    assert rel_err(xs.grad.array, xt.grad) <= RTOL
    assert rel_err(ws.grad.array, wtt.grad) <= RTOL


def test_conv2d_skips_input_gradient_when_not_needed(rng):
    (xs, ws, bs, ys), (xt, wtt, bt, yt) = run_both(rng, 2, 3, 8, 8, 4, (3, 3), 2, 1, 1, 1, True,
                                                   need_input=False)
    assert xs.grad is None
    assert rel_err(ws.grad.array, wtt.grad) <= RTOL


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("ks,dilation", [((3, 3), 1), ((4, 2), 1), ((3, 3), 2), ((2, 5), (3, 1))])
def test_conv2d_padding_same_and_valid(isa, rng, ks, dilation):
    for padding in ("same", "valid"):
        (xs, ws, bs, ys), (xt, wtt, bt, yt) = run_both(rng, 2, 3, 9, 8, 4, ks, 1, padding, dilation, 1, True)
        assert ys.shape == tuple(yt.shape)
        assert rel_err(ys.array, yt) <= RTOL
        assert rel_err(xs.grad.array, xt.grad) <= RTOL
        assert rel_err(ws.grad.array, wtt.grad) <= RTOL


def test_conv2d_unbatched_input(rng):
    x = rng.standard_normal((3, 7, 6)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    xs = Tensor(x, requires_grad=True)
    ys = F.conv2d(xs, w, padding=1)
    ys.sum().backward()
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, torch.tensor(w, dtype=torch.float64), padding=1)
    yt.sum().backward()
    assert ys.shape == (5, 7, 6)
    assert rel_err(ys.array, yt) <= RTOL
    assert rel_err(xs.grad.array, xt.grad) <= RTOL


def test_conv2d_accepts_non_contiguous_arrays_and_leaves_inputs_alone(rng):
    base = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
    x = base.transpose(0, 3, 1, 2)  # NHWC memory seen as NCHW
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)[:, :, ::-1, :]
    x0, w0 = x.copy(), w.copy()
    out = F.conv2d(x, w, stride=2, padding=1)
    ref = torch.nn.functional.conv2d(torch.tensor(x0, dtype=torch.float64),
                                     torch.tensor(w0.copy(), dtype=torch.float64), stride=2, padding=1)
    assert rel_err(out.array, ref) <= RTOL
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    assert not out.requires_grad


def test_conv2d_gradient_accumulates_across_uses(rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    (F.conv2d(x, w, padding=1).sum() + F.conv2d(x, w, stride=2).sum()).backward()
    wt = torch.tensor(w.array, dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(x, dtype=torch.float64)
    (torch.nn.functional.conv2d(xt, wt, padding=1).sum() + torch.nn.functional.conv2d(xt, wt, stride=2).sum()).backward()
    assert rel_err(w.grad.array, wt.grad) <= RTOL


# ---------------------------------------------------------------------- bad inputs
def test_conv2d_rejects_wrong_rank():
    w = np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, "
                                         r"but got input of size: \[2, 3, 8, 8, 1\]"):
        F.conv2d(np.zeros((2, 3, 8, 8, 1), np.float32), w)
    with pytest.raises(ValueError, match="expected weight to be 4-dimensional"):
        F.conv2d(np.zeros((1, 3, 8, 8), np.float32), np.zeros((4, 3, 3), np.float32))


def test_conv2d_rejects_channel_mismatch():
    with pytest.raises(ValueError, match=r"Given groups=1, weight of size \[8, 3, 3, 3\], expected "
                                         r"input\[2, 4, 8, 8\] to have 3 channels, but got 4 channels instead"):
        F.conv2d(np.zeros((2, 4, 8, 8), np.float32), np.zeros((8, 3, 3, 3), np.float32))


def test_conv2d_rejects_groups_not_dividing_channels():
    with pytest.raises(ValueError, match=r"Given groups=2, expected weight to be divisible by 2 at dimension 0, "
                                         r"but got weight of size \[3, 2, 3, 3\] instead"):
        F.conv2d(np.zeros((1, 4, 8, 8), np.float32), np.zeros((3, 2, 3, 3), np.float32), groups=2)
    with pytest.raises(ValueError, match=r"Given groups=3, weight of size \[6, 1, 3, 3\], expected "
                                         r"input\[1, 4, 8, 8\] to have 3 channels, but got 4 channels instead"):
        F.conv2d(np.zeros((1, 4, 8, 8), np.float32), np.zeros((6, 1, 3, 3), np.float32), groups=3)


def test_conv2d_rejects_other_dtypes():
    with pytest.raises(TypeError, match="conv2d: expected input of dtype float32, got float64"):
        F.conv2d(np.zeros((1, 3, 8, 8)), np.zeros((4, 3, 3, 3), np.float32))
    with pytest.raises(TypeError, match="conv2d: expected weight of dtype float32, got int64"):
        F.conv2d(np.zeros((1, 3, 8, 8), np.float32), np.zeros((4, 3, 3, 3), np.int64))


def test_conv2d_rejects_bad_options():
    x, w = np.zeros((1, 3, 8, 8), np.float32), np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"expected bias of shape \(4,\), got \(3,\)"):
        F.conv2d(x, w, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="non-positive stride is not supported"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="negative padding is not supported"):
        F.conv2d(x, w, padding=-1)
    with pytest.raises(ValueError, match="dilation should be greater than zero"):
        F.conv2d(x, w, dilation=(1, 0))
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(TypeError, match="stride must be an int or a tuple of two ints"):
        F.conv2d(x, w, stride=1.5)
    with pytest.raises(ValueError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(np.zeros((1, 3, 2, 2), np.float32), w)


def test_binding_rejects_inconsistent_shapes():
    from resnetc import _C
    w = np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"conv2d backward: grad_output must have shape \(1, 4, 8, 8\), got \(1, 4, 6, 6\)"):
        _C.conv2d_backward_data(np.zeros((1, 4, 6, 6), np.float32), w, (1, 3, 8, 8), (1, 1), (1, 1), (1, 1), 1)
    with pytest.raises(ValueError, match="conv2d: input must be C-contiguous"):
        _C.conv2d_forward(np.zeros((1, 3, 8, 16), np.float32)[..., ::2], w, None, (1, 1), (0, 0), (1, 1), 1)


@pytest.mark.parametrize("case", CASES[:6], ids=ids)
def test_conv2d_matches_its_naive_reference(isa, rng, case):
    from resnetc import _C
    n, c, h, w, k, ks, stride, padding, dilation, groups, bias = case
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((k, c // groups, *ks)).astype(np.float32)
    b = rng.standard_normal(k).astype(np.float32) if bias else None
    args = (x, wt, b, pair(stride), pair(padding), pair(dilation), groups)
    fast, slow = _C.conv2d_forward(*args), _C.conv2d_forward_naive(*args)
    assert np.abs(fast - slow).max() <= RTOL * np.abs(slow).max()


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_backward_data_overwrites_and_the_c_contract_still_accumulates(isa, rng, case):
    # The Python layer gets the input gradient from the overwriting kernel (no zero-fill), which
    # must never read its output (NaNs there stay out); rc_conv2d_backward_data, kept for other
    # C callers, must still add into its output.
    n, c, h, w, k, ks, s, p, d, g, _ = case
    s, p, d = (F._conv._pair(v, "t", "t") for v in (s, p, d))
    weight = rng.standard_normal((k, c // g) + ks).astype(np.float32)
    x_shape = (n, c, h, w)
    out_shape = F.conv2d(np.zeros(x_shape, np.float32), weight, None, s, p, d, g).shape
    dy = rng.standard_normal(out_shape).astype(np.float32)
    fresh = resnetc._C.conv2d_backward_data(dy, weight, x_shape, s, p, d, g)
    reference = torch.nn.grad.conv2d_input(x_shape, torch.tensor(weight, dtype=torch.float64),
                                           torch.tensor(dy, dtype=torch.float64), s, p, d, g).numpy()
    assert np.max(np.abs(fresh - reference)) <= RTOL * np.max(np.abs(reference))
    prior = rng.standard_normal(x_shape).astype(np.float32)
    summed = prior.copy()
    resnetc._C._conv2d_backward_data_into(summed, dy, weight, s, p, d, g, False)
    np.testing.assert_allclose(summed, prior + fresh, rtol=1e-5, atol=1e-5)
    stale = np.full(x_shape, np.nan, np.float32)
    resnetc._C._conv2d_backward_data_into(stale, dy, weight, s, p, d, g, True)
    np.testing.assert_array_equal(stale, fresh)
