"""The Winograd F(2x2, 3x3) path of 3x3 stride-1 pad-1 convolutions (csrc/nn/conv_winograd.c):
forward, input gradient and weight gradient (all three through Winograd) against torch in
float64, and against resnetc's own im2col path with Winograd turned off.

Tolerances: 2e-5 * max |torch| as in test_conv2d.py (observed ~3e-7); the two resnetc paths,
both float32, agree within 4e-6 * max |result|.
"""
import numpy as np
import pytest
import torch

import resnetc.nn.functional as F
from resnetc import Tensor, _C

RTOL = 2e-5
PATHS_RTOL = 4e-6

# (N, C, K, H, W, bias): even and odd sizes (an odd size's last tile row or column is half
# outside the map), 1x1 and 2x3 maps (a single tile), C != K both ways, a batch of one (the
# GEMMs then run threaded, the transforms split channels), and batches that give each thread
# several chunks: of one image (7x7) or of several (5x5, of 9 tiles each), of several images
# because the transformed weights (16 x 272 x 256 floats) are too large to reread per image,
# and of half an image each (35x33: 18 x 17 tiles, past the 256 that one chunk takes, cut
# into tile rows 0-8 and 9-17 when the threads take chunks side by side).
SHAPES = [
    (2, 16, 16, 7, 7, True),
    (3, 32, 48, 8, 9, False),
    (1, 64, 64, 14, 14, True),
    (5, 16, 32, 5, 6, True),
    (2, 20, 24, 1, 1, False),
    (2, 16, 16, 2, 3, True),
    (24, 16, 16, 7, 7, True),
    (24, 16, 16, 5, 5, True),
    (8, 272, 256, 3, 3, False),
    (2, 16, 16, 35, 33, True),
    (4, 48, 16, 13, 11, False),
]


def ids(shape):
    n, c, k, h, w, bias = shape
    return f"n{n}_c{c}_k{k}_{h}x{w}{'_bias' if bias else ''}"


def rel_err(ours, ref):
    return np.abs(ours - ref).max() / np.abs(ref).max()


def ours(x, w, b, grad):
    xs, ws = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    bs = Tensor(b, requires_grad=True) if b is not None else None
    y = F.conv2d(xs, ws, bs, 1, 1)
    y.backward(grad)
    return y.array, xs.grad.array, ws.grad.array


def operands(rng, n, c, k, h, w, bias):
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = (rng.standard_normal((k, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(k).astype(np.float32) if bias else None
    grad = rng.standard_normal((n, k, h, w)).astype(np.float32)
    return x, wt, b, grad


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_winograd_matches_torch(isa, rng, num_threads, threads, shape):
    x, w, b, grad = operands(rng, *shape)
    num_threads(threads)
    y, dx, dw = ours(x, w, b, grad)

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64) if b is not None else None
    yt = torch.nn.functional.conv2d(xt, wt, bt, 1, 1)
    yt.backward(torch.tensor(grad, dtype=torch.float64))
    assert rel_err(y, yt.detach().numpy()) <= RTOL
    assert rel_err(dx, xt.grad.numpy()) <= RTOL
    assert rel_err(dw, wt.grad.numpy()) <= RTOL


@pytest.mark.parametrize("shape", SHAPES[:4], ids=ids)
def test_winograd_agrees_with_im2col_and_takes_its_own_path(rng, shape):
    x, w, b, grad = operands(rng, *shape)
    fast = ours(x, w, b, grad)
    previous = _C._conv_winograd(False)
    try:
        slow = ours(x, w, b, grad)
    finally:
        _C._conv_winograd(previous)
    for a, r in zip(fast, slow):
        assert rel_err(a, r) <= PATHS_RTOL
    # Different roundings: the output and both gradients really went through another path.
    assert not np.array_equal(fast[0], slow[0])
    assert not np.array_equal(fast[1], slow[1])
    assert not np.array_equal(fast[2], slow[2])


@pytest.mark.parametrize("batch", [6, 24])
def test_winograd_weight_gradient_is_reproducible(rng, num_threads, batch):
    # Each thread sums a fixed set of chunks and the sums are added in thread order, so repeated
    # runs give the same bits (batch 24 of 7x7: several chunks per thread).
    x, w, b, grad = operands(rng, batch, 16, 24, 7, 7, False)
    num_threads(2)
    first = ours(x, w, b, grad)[2]
    for _ in range(3):
        assert np.array_equal(ours(x, w, b, grad)[2], first)


def test_winograd_leaves_other_convolutions_alone(rng):
    # 15 input channels (below the threshold), a stride, groups, dilation, a huge map: all keep
    # im2col, so turning Winograd off changes no bit.
    x = rng.standard_normal((2, 16, 9, 9)).astype(np.float32)
    cases = [(x[:, :15], rng.standard_normal((16, 15, 3, 3)), dict(padding=1)),
             (x, rng.standard_normal((16, 16, 3, 3)), dict(stride=2, padding=1)),
             (x, rng.standard_normal((16, 8, 3, 3)), dict(padding=1, groups=2)),
             (x, rng.standard_normal((16, 16, 3, 3)), dict(padding=2, dilation=2))]
    # A map whose tiles would outgrow a chunk buffer (16 x 16 channels x 260 x 260 tiles > 2^24).
    big = rng.standard_normal((1, 16, 520, 520)).astype(np.float32)
    cases.append((big, rng.standard_normal((16, 16, 3, 3)), dict(padding=1)))
    for inp, w, kw in cases:
        w = w.astype(np.float32)
        on = F.conv2d(np.ascontiguousarray(inp), w, **kw).array
        previous = _C._conv_winograd(False)
        try:
            off = F.conv2d(np.ascontiguousarray(inp), w, **kw).array
        finally:
            _C._conv_winograd(previous)
        assert np.array_equal(on, off), kw


@pytest.mark.parametrize("overwrite", [False, True])
def test_winograd_input_gradient_accumulates_or_overwrites(rng, overwrite):
    # The C contracts of backward-data: += into grad_input, or = without reading it (NaNs in it
    # must not leak through).
    x, w, _, grad = operands(rng, 3, 16, 24, 6, 7, False)
    start = np.full(x.shape, np.nan if overwrite else 0.5, np.float32)
    dx = start.copy()
    _C._conv2d_backward_data_into(dx, grad, w, (1, 1), (1, 1), (1, 1), 1, overwrite)
    ref = torch.nn.grad.conv2d_input(x.shape, torch.tensor(w, dtype=torch.float64),
                                     torch.tensor(grad, dtype=torch.float64), 1, 1).numpy()
    if not overwrite:
        ref = ref + 0.5
    assert rel_err(dx, ref) <= RTOL


def test_winograd_with_avx512_geometry(rng, num_threads):
    # The 16 GEMMs through the driver with the 14 x 32 tile (a portable kernel), two threads.
    x, w, b, grad = operands(rng, 4, 16, 40, 9, 8, True)
    num_threads(2)
    _C._sgemm_force_config("generic_14x32")
    try:
        y, dx, dw = ours(x, w, b, grad)
    finally:
        _C._sgemm_force_config(None)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, torch.tensor(b, dtype=torch.float64), 1, 1)
    yt.backward(torch.tensor(grad, dtype=torch.float64))
    assert rel_err(y, yt.detach().numpy()) <= RTOL
    assert rel_err(dx, xt.grad.numpy()) <= RTOL
    assert rel_err(dw, wt.grad.numpy()) <= RTOL


def test_winograd_weight_gradient_of_one_image_does_not_grow_memory(rng, num_threads):
    # A batch smaller than the thread count runs its GEMMs threaded outside any team: inside
    # one, every GEMM started threads of its own, each leaving its packing buffers behind
    # (2.5 MiB per call here).
    import os
    x = rng.standard_normal((1, 64, 28, 28)).astype(np.float32)
    dy = rng.standard_normal((1, 64, 28, 28)).astype(np.float32)

    def weight_grads(times):
        for _ in range(times):
            _C.conv2d_backward_weight(dy, x, (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1, False)

    def resident_mib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    num_threads(2)
    weight_grads(5)
    before = resident_mib()
    weight_grads(40)
    assert resident_mib() - before < 20, resident_mib() - before
