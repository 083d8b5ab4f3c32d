"""resnetc._C.sgemm (the GEMM engine) against NumPy in float64, on every ISA.

Tolerance: max |ours - ref| <= 2e-5 * max(1, max |ref|); float32 accumulation stays near 1e-6
relative on these shapes (K up to 40000 on the long-K routes, which sum in blocks).
"""
import numpy as np
import pytest

from resnetc import _C

RTOL = 2e-5


def reference(a, b, c, trans_a, trans_b, alpha, beta, bias=None, bias_axis=0):
    opa = a.T if trans_a else a
    opb = b.T if trans_b else b
    out = alpha * (opa.astype(np.float64) @ opb.astype(np.float64))
    if beta != 0:
        out += beta * c.astype(np.float64)
    if bias is not None:
        out += bias[:, None] if bias_axis == 0 else bias[None, :]
    return out


def check(ours, ref):
    err = np.abs(ours - ref).max() if ref.size else 0.0
    assert err <= RTOL * max(1.0, np.abs(ref).max() if ref.size else 0.0), err


def operands(rng, m, n, k, trans_a, trans_b):
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    c = rng.standard_normal((m, n)).astype(np.float32)
    return a, b, c


def check_sgemm_with_bias(rng, m, n, k, trans_a, trans_b, alpha, beta, bias_axis):
    """One product with a bias along C's rows (bias_axis 0) or columns (1), against NumPy."""
    a, b, c = operands(rng, m, n, k, trans_a, trans_b)
    bias = rng.standard_normal(m if bias_axis == 0 else n).astype(np.float32)
    ref = reference(a, b, c, trans_a, trans_b, alpha, beta, bias, bias_axis)
    _C.sgemm(a, b, c, trans_a, trans_b, alpha, beta, bias, bias_axis)
    check(c, ref)


# (33, 2, 300) and (300, 49, 40) take the transposed route (C^T computed, then transposed);
# (64, 70, 33) ends in a short row panel and a narrow column panel for both the 6x16 and the
# 14x32 tile.
SHAPES = [(1, 1, 1), (7, 13, 5), (6, 16, 8), (5, 17, 3), (129, 257, 65), (33, 2, 300), (300, 49, 40),
          (2, 40, 1), (64, 70, 33)]


@pytest.mark.parametrize("m,n,k", SHAPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (1.0, 1.0), (0.5, -2.0)])
def test_sgemm_matches_numpy(isa, rng, m, n, k, trans_a, trans_b, alpha, beta):
    a, b, c = operands(rng, m, n, k, trans_a, trans_b)
    ref = reference(a, b, c, trans_a, trans_b, alpha, beta)
    out = _C.sgemm(a, b, c, trans_a, trans_b, alpha, beta)
    assert out is c
    check(c, ref)


def test_sgemm_crosses_every_cache_block(isa, rng):
    # k > KC (256), m > MC (<= 168), n > NC (<= 4096): every loop of the nest runs twice.
    m, n, k = 180, 4200, 530
    a, b, c = operands(rng, m, n, k, False, False)
    ref = reference(a, b, c, False, False, 1.0, 1.0)
    _C.sgemm(a, b, c, beta=1.0)
    check(c, ref)


def test_sgemm_beta_zero_never_reads_c(isa, rng):
    a, b, _ = operands(rng, 13, 21, 9, False, False)
    c = np.full((13, 21), np.nan, np.float32)
    _C.sgemm(a, b, c, beta=0.0)
    check(c, reference(a, b, c, False, False, 1.0, 0.0))


@pytest.mark.parametrize("beta", [0.0, 3.0])
def test_sgemm_k_zero_scales_c(isa, beta):
    a = np.zeros((4, 0), np.float32)
    b = np.zeros((0, 5), np.float32)
    c = np.ones((4, 5), np.float32)
    _C.sgemm(a, b, c, beta=beta)
    np.testing.assert_array_equal(c, np.full((4, 5), beta, np.float32))


def test_sgemm_leading_dimensions(isa, rng):
    # Column slices of bigger arrays: rows are contiguous but the row stride is larger.
    big_a = rng.standard_normal((19, 40)).astype(np.float32)
    big_b = rng.standard_normal((23, 50)).astype(np.float32)
    big_c = rng.standard_normal((19, 60)).astype(np.float32)
    a, b, c = big_a[:, 3:26], big_b[:, 5:22], big_c[:, 7:24]
    untouched = big_c.copy()
    ref = reference(a, b, c, False, False, 1.0, 1.0)
    _C.sgemm(a, b, c, beta=1.0)
    check(c, ref)
    np.testing.assert_array_equal(big_c[:, :7], untouched[:, :7])
    np.testing.assert_array_equal(big_c[:, 24:], untouched[:, 24:])


@pytest.mark.parametrize("bias_axis", [0, 1])
@pytest.mark.parametrize("m,n,k", [(7, 13, 5), (50, 70, 300), (60, 5, 64), (5, 60, 64)])
def test_sgemm_bias_epilogue(isa, rng, bias_axis, m, n, k):
    check_sgemm_with_bias(rng, m, n, k, False, True, 1.0, 0.5, bias_axis)


# Several threads take C's columns in chunks, from one shared copy of packed A: chunks of
# whole micro-panels for (100, 300, 200) and (20, 5000, 40), of one (narrowed) B block for
# (64, 8000, 600) and of several for (64, 40000, 600); (300, 100, 200) splits along M.
@pytest.mark.parametrize("m,n,k", [(100, 300, 200), (20, 5000, 40), (64, 8000, 600), (64, 40000, 600),
                                   (300, 100, 200)])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, True)])
@pytest.mark.parametrize("threads", [2, 3])
def test_sgemm_same_result_with_one_and_more_threads(isa, rng, num_threads, m, n, k, trans_a, trans_b, threads):
    a, b, c = operands(rng, m, n, k, trans_a, trans_b)
    bias = rng.standard_normal(n).astype(np.float32)
    num_threads(1)
    one = _C.sgemm(a, b, c.copy(), trans_a, trans_b, 0.5, 1.0, bias, 1)
    num_threads(threads)
    more = _C.sgemm(a, b, c.copy(), trans_a, trans_b, 0.5, 1.0, bias, 1)
    np.testing.assert_array_equal(one, more)
    check(more, reference(a, b, c, trans_a, trans_b, 0.5, 1.0, bias, 1))


def test_sgemm_does_not_modify_inputs(rng):
    a, b, c = operands(rng, 9, 11, 7, False, False)
    a0, b0 = a.copy(), b.copy()
    _C.sgemm(a, b, c)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


def test_sgemm_rejects_bad_arguments():
    a = np.zeros((3, 4), np.float32)
    b = np.zeros((5, 6), np.float32)
    c = np.zeros((3, 6), np.float32)
    with pytest.raises(ValueError, match=r"sgemm: op\(a\) is 3 x 4 but op\(b\) is 5 x 6"):
        _C.sgemm(a, b, c)
    with pytest.raises(TypeError, match="sgemm: a must have dtype float32, got numpy.float64"):
        _C.sgemm(a.astype(np.float64), b, c)
    with pytest.raises(ValueError, match=r"sgemm: c must have shape \(3, 5\), got \(3, 6\)"):
        _C.sgemm(a, np.zeros((4, 5), np.float32), c)
    with pytest.raises(ValueError, match="sgemm: b must have contiguous rows"):
        _C.sgemm(a, np.zeros((4, 12), np.float32)[:, ::2], c)
    readonly = np.zeros((3, 6), np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="sgemm: c must be writeable"):
        _C.sgemm(a, np.zeros((4, 6), np.float32), readonly)


@pytest.fixture
def avx512_geometry():
    """The driver with the AVX-512 kernel's 14 x 32 tile, through a portable kernel: checks
    packing, edge tiles and blocking for that geometry on machines without AVX-512."""
    _C._sgemm_force_config("generic_14x32")
    yield
    _C._sgemm_force_config(None)


# (64, 1000, 600): A is one block, so B's blocks narrow to fit L2 and each thread's half of N
# takes two of them, the next prefetched; (37, 70, 1200): K split across the threads;
# (150, 96, 15000): A streams past a narrow B in 56-row blocks (4 micro-panels of 14).
WIDE_AND_LONG = [(64, 1000, 600), (37, 70, 1200), (150, 96, 15000)]


@pytest.mark.parametrize("m,n,k", SHAPES + [(180, 4200, 300)] + WIDE_AND_LONG)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_sgemm_avx512_geometry(avx512_geometry, rng, m, n, k, trans_a, trans_b):
    assert _C.sgemm_config()["kernel"] == "generic_14x32"
    check_sgemm_with_bias(rng, m, n, k, trans_a, trans_b, 0.5, 1.0, 0)


# Batch 3 runs images in order, each GEMM threaded; batch 24 gives each of two threads chunks
# of images whose columns go straight into the 32-wide panels (the implicit GEMM).
@pytest.mark.parametrize("batch", [3, 24])
def test_conv2d_with_avx512_geometry(avx512_geometry, rng, num_threads, batch):
    import torch
    import resnetc.nn.functional as F
    x = rng.standard_normal((batch, 6, 9, 9)).astype(np.float32)
    w = rng.standard_normal((32, 3, 3, 3)).astype(np.float32)  # 16 output channels per group
    num_threads(2)
    ours = F.conv2d(x, w, stride=2, padding=1, groups=2).array
    ref = torch.nn.functional.conv2d(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                                     stride=2, padding=1, groups=2).numpy()
    assert np.abs(ours - ref).max() <= RTOL * np.abs(ref).max()


def test_force_config_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown or unsupported kernel 'sse_2x2'"):
        _C._sgemm_force_config("sse_2x2")


def test_release_workspace_then_compute_again(rng):
    a, b, c = operands(rng, 40, 50, 60, False, False)
    _C.sgemm(a, b, c)
    _C.release_workspace()
    c2 = _C.sgemm(a, b, np.empty_like(c))
    np.testing.assert_array_equal(c, c2)


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, True), (False, True)])
def test_engine_matches_its_naive_reference(isa, rng, trans_a, trans_b):
    a, b, c = operands(rng, 37, 70, 300, trans_a, trans_b)
    bias = rng.standard_normal(70).astype(np.float32)
    fast = _C.sgemm(a, b, c.copy(), trans_a, trans_b, 1.5, 0.5, bias, 1)
    slow = _C.sgemm(a, b, c.copy(), trans_a, trans_b, 1.5, 0.5, bias, 1, naive=True)
    check(fast, slow.astype(np.float64))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("m,n,k", [(20, 30, 5003), (1, 9, 3000), (64, 147, 2048)])
def test_sgemm_dot_route_long_k(isa, rng, num_threads, threads, m, n, k):
    # A @ B^T with few outputs and a long K: dot products when one side is under 32 (else the
    # packed driver), threads splitting K when there are 2.
    num_threads(threads)
    check_sgemm_with_bias(rng, m, n, k, False, True, 0.75, -1.0, 1)


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("m,n,k", [(64, 40, 3001), (37, 70, 1200), (5, 7, 40000), (64, 1000, 600)])
def test_sgemm_split_k_and_narrow_blocks(isa, rng, num_threads, trans_a, trans_b, m, n, k):
    # K >= 4 x C's longer side: two threads each sum half of K (across several K blocks) into
    # a private C, then add them up; alpha, beta and the bias apply once, after the sum. (Some
    # of these take the dot or transposed route first on some ISAs; (64, 1000, 600) is split
    # along N into narrowed B blocks.)
    num_threads(2)
    check_sgemm_with_bias(rng, m, n, k, trans_a, trans_b, 0.5, -2.0, 0)


@pytest.mark.parametrize("m", [61, 62, 63, 64, 65])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False)])
@pytest.mark.parametrize("beta", [0.0, -2.0])
def test_sgemm_short_last_row_panel(isa, rng, m, trans_a, trans_b, beta):
    # M = 60 + 1..5: the last row panel of every tile height here (4, 6, 14) is short by each
    # count; with whole column panels it takes the short-tile kernel where the ISA has one.
    n, k = 96, 37
    a, b, c = operands(rng, m, n, k, trans_a, trans_b)
    ref = reference(a, b, c, trans_a, trans_b, 1.0, beta)
    _C.sgemm(a, b, c, trans_a, trans_b, 1.0, beta)
    check(c, ref)


@pytest.mark.parametrize("m,n", [(256, 56), (64, 200), (5, 24), (65, 113), (6, 17)])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("beta", [0.0, -2.0])
def test_sgemm_narrow_last_column_panel(isa, rng, m, n, trans_a, trans_b, beta):
    # N = 16q + 1..8: the last column panel of the 16-wide tile is at most half used, which the
    # AVX2 config computes with its 8-wide edge kernel and masked stores (with a short row
    # panel too where M is not a multiple of 6); none of these shapes is worth transposing.
    k = 43
    a, b, c = operands(rng, m, n, k, trans_a, trans_b)
    ref = reference(a, b, c, trans_a, trans_b, 1.0, beta)
    _C.sgemm(a, b, c, trans_a, trans_b, 1.0, beta)
    check(c, ref)


@pytest.mark.parametrize("threads", [1, 2])
def test_sgemm_transposed_route_long_k(isa, rng, num_threads, threads):
    # The stem's weight gradient shape (64 x 147, K long): on the 6x16 tile, C^T is computed
    # (98% of its tiles used, against 89%), on two threads with K split, then transposed.
    m, n, k = 64, 147, 4608
    num_threads(threads)
    check_sgemm_with_bias(rng, m, n, k, False, True, 0.5, 1.0, 1)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("n", [48, 128, 257])
def test_sgemm_small_a_blocks_past_a_narrow_b(isa, rng, num_threads, threads, trans_a, trans_b, n):
    # A over 4 MiB (per thread, K split or not) and B's blocks narrow enough (up to 128 columns
    # on the 6x16 tile) that two of them fit in L2 beside two A blocks of 4 micro-panels: A
    # streams past B in such blocks (150 rows: several, the last short), the next one
    # prefetched, over many K blocks; 257 columns keep the usual blocks.
    m, k = 150, 15000
    num_threads(threads)
    check_sgemm_with_bias(rng, m, n, k, trans_a, trans_b, 0.5, -2.0, 0)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("m,n", [(32, 80), (64, 128), (64, 576), (65, 200), (40, 150), (150, 40)])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_sgemm_short_weight_gradient_transposed(isa, rng, num_threads, threads, m, n, beta):
    # A @ B^T with K >= 4096, M up to 64 and N at least twice M is computed as C^T (65 x 200 is
    # not), where C^T uses the 6x16 tiles no worse; the bias along C's columns becomes one along
    # C^T's rows. 150 x 40 is transposed for its tiles into 40 x 150, which must not be
    # transposed back (the two rules would recurse until the stack overflows).
    k = 4100
    num_threads(threads)
    check_sgemm_with_bias(rng, m, n, k, False, True, 1.0, beta, 1)


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (False, True)])
def test_sgemm_split_k_alpha_zero_reads_neither_operand(isa, rng, num_threads, trans_a, trans_b):
    # alpha == 0: C = beta * C + bias whatever A and B hold, as on the other routes.
    a, b, c = operands(rng, 40, 40, 400, trans_a, trans_b)
    a[0, 0] = np.inf
    bias = rng.standard_normal(40).astype(np.float32)
    expected = 2.0 * c.astype(np.float64) + bias[:, None]
    num_threads(2)
    _C.sgemm(a, b, c, trans_a, trans_b, 0.0, 2.0, bias, 0)
    check(c, expected)


def test_sgemm_split_k_beta_zero_never_reads_c(isa, rng, num_threads):
    a, b, _ = operands(rng, 40, 30, 3000, False, False)
    c = np.full((40, 30), np.nan, np.float32)
    num_threads(2)
    _C.sgemm(a, b, c, beta=0.0)
    check(c, reference(a, b, c, False, False, 1.0, 0.0))


def test_workspace_is_freed_when_its_thread_exits(rng):
    # Each thread that runs a convolution or a GEMM grows its own workspace (and its OpenMP
    # team's); threads that come and go must take theirs with them (before: +2.9 MiB a thread).
    import os
    import threading

    x = rng.standard_normal((4, 32, 28, 28)).astype(np.float32)
    w = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)
    a, b = operands(rng, 300, 300, 300, False, False)[:2]

    def work():
        _C.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)
        _C.sgemm(a, b, np.empty((300, 300), np.float32))

    def resident_mib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def in_threads(count):
        for _ in range(count):
            t = threading.Thread(target=work)
            t.start()
            t.join()

    in_threads(5)
    before = resident_mib()
    in_threads(25)
    assert resident_mib() - before < 25, resident_mib() - before
