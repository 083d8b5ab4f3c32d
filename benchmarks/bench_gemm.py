"""resnetc's GEMM engine against NumPy (OpenBLAS) on the GEMMs of ResNet-50 at batch 32.

Run from the repository root, with OpenBLAS left to detect the CPU by itself:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_gemm.py

(some environments pin OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which would handicap the
reference). Options: --batch N, --reps R, --reps-largest R, --threads T, --quick (batch 8),
--json PATH, --clock cpu (see below). The default (batch 32, one timed rep, five for the largest
shapes) runs in about two minutes on 2 idle cores.

Each convolution of torchvision's resnet50 (224x224 input) becomes three GEMMs, with the batch
folded into one dimension (what one GEMM per chunk of images computes):
    forward          Y[K, B*OH*OW]   = W[K, C*KH*KW]     @ col[C*KH*KW, B*OH*OW]   (NN)
    backward-data    dcol[CKK, B*OHW] = W^T               @ dY[K, B*OHW]            (TN)
    backward-weight  dW[K, CKK]       = dY[K, B*OHW]      @ col^T                   (NT)
and the fc layer three more. Identical shapes are timed once and weighted by how many layers
have them. GFLOP/s = 2*M*N*K / best time of `reps` runs (ours and NumPy's alternating, each after a
warm-up; ours waits for OpenBLAS's spinning threads to sleep first). The largest shapes (within
5% of the most flops, the ones the percent-of-peak target is about) get --reps-largest runs: on
a shared machine one run of the same shape varies by +-10 points of peak. The FMA peak is
measured with register-only FMA loops on all threads (resnetc._C.fma_peak).

--clock wall (default) times with time.perf_counter. --clock cpu divides the process's CPU time
by the thread count instead: on a machine shared with other jobs this estimates what the code
would do on idle cores (both libraries' OpenMP/pthread workers spin while waiting, so waiting is
still counted), while wall time mostly measures the neighbours.
Prints a table and writes JSON (default benchmarks/bench_gemm.json).
"""
import argparse
import collections
import json
import os
import platform
import sys
import time

if "--threads" in sys.argv[:-1]:  # OpenBLAS reads its thread count when NumPy loads
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import resnetc  # noqa: E402
from resnetc import _C  # noqa: E402


def resnet50_convs():
    """(C, K, KH, KW, stride, padding, H) of every conv in resnet50, in order (H = input size)."""
    convs = [(3, 64, 7, 7, 2, 3, 224)]
    size, inplanes = 56, 64
    for planes, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for b in range(blocks):
            s = stride if b == 0 else 1
            width, out = planes, planes * 4
            convs.append((inplanes, width, 1, 1, 1, 0, size))
            convs.append((width, width, 3, 3, s, 1, size))          # torchvision: stride on the 3x3
            convs.append((width, out, 1, 1, 1, 0, size // s))
            if b == 0:
                convs.append((inplanes, out, 1, 1, s, 0, size))     # downsample
            size //= s
            inplanes = out
    return convs


def gemm_shapes(batch):
    """{(layer description, direction, M, N, K, trans_a, trans_b): count}."""
    shapes = collections.Counter()
    for c, k, kh, kw, stride, pad, h in resnet50_convs():
        oh = (h + 2 * pad - kh) // stride + 1
        cols, ckk = batch * oh * oh, c * kh * kw
        name = f"conv {kh}x{kw}/{stride} {c}->{k} @{h}"
        shapes[(name, "forward", k, cols, ckk, False, False)] += 1
        shapes[(name, "backward-data", ckk, cols, k, True, False)] += 1
        shapes[(name, "backward-weight", k, ckk, cols, False, True)] += 1
    name = "fc 2048->1000"
    shapes[(name, "forward", batch, 1000, 2048, False, True)] += 1
    shapes[(name, "backward-data", batch, 2048, 1000, False, False)] += 1
    shapes[(name, "backward-weight", 1000, 2048, batch, True, False)] += 1
    return shapes


CLOCK = {"wall": (time.perf_counter, 1), "cpu": (time.process_time, None)}


# OpenBLAS's worker threads busy-wait for about 0.1 s after each call (THREAD_TIMEOUT, 2^28
# cycles). Timed inside that window, our threads would share the two cores with them, and
# --clock cpu would charge us for their spinning, so ours waits until they have gone to sleep.
# (Our OpenMP threads spin for microseconds: GOMP_SPINCOUNT in resnetc/_runtime.py.)
SETTLE_SECONDS = 0.3


def fma_peak(clock):
    """One sample of the FMA peak in GFLOP/s, all threads. A neighbour on the same physical cores
    slows some samples down even in CPU time, so callers keep the best of several. Taken after
    OpenBLAS's threads have gone to sleep: spinning beside the loops, they halved some samples
    (and in CPU time they count as ours)."""
    time.sleep(SETTLE_SECONDS)
    wall, cpu = time.perf_counter(), time.process_time()
    gflops = _C.fma_peak(20_000_000)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if clock == "cpu":  # same flops over CPU seconds per thread
        gflops *= wall / (cpu / resnetc.get_num_threads())
    return gflops


def best_times(ours, reference, reps, clock):
    """Best time of each function over `reps` alternating runs, after one warm-up each (page
    faults, workspace growth): alternating gives both the same share of the machine's noise."""
    timer, divisor = CLOCK[clock]
    divisor = divisor or resnetc.get_num_threads()
    time.sleep(SETTLE_SECONDS)
    ours()
    reference()
    best = [float("inf"), float("inf")]
    for _ in range(reps):
        for i, fn in enumerate((ours, reference)):
            if fn is ours:
                time.sleep(SETTLE_SECONDS)
            start = timer()
            fn()
            best[i] = min(best[i], (timer() - start) / divisor)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--reps-largest", type=int, default=5, help="timed runs of the largest shapes")
    parser.add_argument("--clock", choices=sorted(CLOCK), default="wall")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="batch 8, one timed rep of every shape")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_gemm.json"))
    args = parser.parse_args()
    if args.quick:
        args.batch, args.reps, args.reps_largest = 8, 1, 1
    if args.threads:
        resnetc.set_num_threads(args.threads)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"warning: {var}={os.environ[var]} is set; run under `env -u {var}` for a fair reference")

    rng = np.random.default_rng(0)
    _C.fma_peak(200_000_000)  # warm-up: the first samples of a run read as low as half the peak (clock ramp)
    peak = max(fma_peak(args.clock) for _ in range(3))
    print(f"resnetc ISA {resnetc.get_isa()}, kernel {_C.sgemm_config()}, threads {resnetc.get_num_threads()}")
    print(f"measured FMA peak: {peak:.1f} GFLOP/s (all threads), clock: {args.clock}; measured again before "
          f"each shape, the best so far in %peak\n")

    rows = []
    header = f"{'layer':32s} {'direction':16s} {'M':>6s} {'N':>7s} {'K':>6s} {'n':>2s} {'ours':>7s} {'numpy':>7s} {'ratio':>6s} {'%peak':>6s}"
    print(header)
    print("-" * len(header))
    totals = collections.defaultdict(lambda: [0.0, 0.0, 0.0])  # direction -> flops, t_ours, t_numpy
    shapes = gemm_shapes(args.batch)
    largest = max(2.0 * m * n * k for (_, _, m, n, k, _, _) in shapes)
    for (name, direction, m, n, k, ta, tb), count in shapes.items():
        peak = max(peak, fma_peak(args.clock))
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        c = np.empty((m, n), np.float32)
        opa, opb = (a.T if ta else a), (b.T if tb else b)
        flops = 2.0 * m * n * k
        reps = max(args.reps, args.reps_largest) if flops >= 0.95 * largest else args.reps
        t_ours, t_np = best_times(lambda: _C.sgemm(a, b, c, ta, tb), lambda: np.matmul(opa, opb, out=c),
                                  reps, args.clock)
        g_ours, g_np = flops / t_ours / 1e9, flops / t_np / 1e9
        print(f"{name:32s} {direction:16s} {m:6d} {n:7d} {k:6d} {count:2d} {g_ours:7.1f} {g_np:7.1f} {g_ours / g_np:6.2f} {g_ours / peak:6.0%}")
        rows.append(dict(layer=name, direction=direction, m=m, n=n, k=k, trans_a=ta, trans_b=tb, count=count, reps=reps,
                         gflops_resnetc=g_ours, gflops_numpy=g_np, seconds_resnetc=t_ours, seconds_numpy=t_np))
        for key in (direction, "all"):
            totals[key][0] += count * flops
            totals[key][1] += count * t_ours
            totals[key][2] += count * t_np
        del a, b, c

    print(f"\nbest FMA peak measured: {peak:.1f} GFLOP/s; percentages below use it")
    print("\nweighted over all layers (sum of flops / sum of times, each shape x its layer count):")
    summary = {}
    for key in ("forward", "backward-data", "backward-weight", "all"):
        flops, t_ours, t_np = totals[key]
        summary[key] = dict(gflops_resnetc=flops / t_ours / 1e9, gflops_numpy=flops / t_np / 1e9,
                            seconds_resnetc=t_ours, seconds_numpy=t_np)
        print(f"  {key:16s} ours {flops / t_ours / 1e9:7.1f} GFLOP/s ({t_ours:6.2f} s)   numpy "
              f"{flops / t_np / 1e9:7.1f} GFLOP/s ({t_np:6.2f} s)   ours/peak {flops / t_ours / 1e9 / peak:5.1%}")
    print(f"\nthe largest shapes (within 5% of the most flops, best of {max(args.reps, args.reps_largest)} runs):")
    for r in rows:
        if 2.0 * r["m"] * r["n"] * r["k"] >= 0.95 * largest:
            print(f"  {r['layer']:32s} {r['direction']:16s} ours {r['gflops_resnetc'] / peak:4.0%} of peak, "
                  f"numpy {r['gflops_numpy'] / peak:4.0%}")
    result = dict(batch=args.batch, reps=args.reps, reps_largest=args.reps_largest, clock=args.clock, threads=resnetc.get_num_threads(), isa=resnetc.get_isa(),
                  kernel=_C.sgemm_config(), fma_peak_gflops=peak, numpy=np.__version__,
                  machine=platform.processor() or platform.machine(), rows=rows, summary=summary)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
