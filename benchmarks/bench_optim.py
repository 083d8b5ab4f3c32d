"""One AdamW step over ResNet-50's parameters: resnetc against torch.optim.AdamW (foreach, fused).

The 161 parameter tensors (25.6M floats) take the shapes of torchvision.models.resnet50()'s
parameters. Every variant holds its own parameters and optimizer state and all read the same
gradients (torch's are zero-copy views of the NumPy ones), so each step moves the same bytes:
read p, g, m, v and write p, m, v = 28 bytes per parameter.

After warm-up steps (which allocate the state), the variants take turns step by step in a
rotating order, with a pause between steps so one library's idle OpenMP threads have stopped
spinning before the other starts. Both libraries use --threads threads (default: all cores).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_optim.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_optim.py --rounds 30 --threads 1

Prints a table (median and best step time, effective bandwidth, time relative to resnetc) and
writes JSON (--json, default benchmarks/results/bench_optim.json).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import resnetc  # noqa: E402
from resnetc import optim  # noqa: E402
from resnetc.nn.parameter import Parameter  # noqa: E402

HYPER = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)


def resnet50_shapes():
    return [tuple(p.shape) for p in torchvision.models.resnet50().parameters()]


def make_variants(shapes, rng, names):
    init = [rng.standard_normal(s, dtype=np.float32) * 0.05 for s in shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) * 1e-3 for s in shapes]
    variants = {}
    if "resnetc" in names:
        params = [Parameter(a.copy()) for a in init]
        for p, g in zip(params, grads):
            p.grad = resnetc.Tensor(g)
        variants["resnetc"] = (optim.AdamW(params, **HYPER), lambda p: p.array)
    for flavour in ("foreach", "fused"):
        name = f"torch-{flavour}"
        if name not in names:
            continue
        params = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(g)
        variants[name] = (torch.optim.AdamW(params, **HYPER, **{flavour: True}),
                          lambda p: p.detach().numpy())
    return variants


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between steps (not timed)")
    parser.add_argument("--variants", default="resnetc,torch-foreach,torch-fused")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                        "bench_optim.json"))
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    resnetc.set_num_threads(args.threads)
    shapes = resnet50_shapes()
    numel = sum(int(np.prod(s)) for s in shapes)
    names = args.variants.split(",")
    variants = make_variants(shapes, np.random.default_rng(0), names)
    order = list(variants)

    times = {name: [] for name in order}
    for step in range(args.warmup + args.rounds):
        rotated = order[step % len(order):] + order[:step % len(order)]
        for name in rotated:
            opt = variants[name][0]
            time.sleep(args.pause)
            start = time.perf_counter()
            opt.step()
            elapsed = time.perf_counter() - start
            if step >= args.warmup:
                times[name].append(elapsed)

    # Same start, same gradients, same number of steps: the parameters must agree.
    final = {name: [get(p) for p in opt.param_groups[0]["params"]] for name, (opt, get) in variants.items()}
    reference = final.get("torch-fused") or final.get("torch-foreach")
    max_rel = None
    if "resnetc" in final and reference is not None:
        max_rel = max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))
                      for a, b in zip(final["resnetc"], reference))

    bytes_per_step = 28 * numel
    rows = []
    base = statistics.median(times["resnetc"]) if "resnetc" in times else None
    for name in order:
        med, best = statistics.median(times[name]), min(times[name])
        rows.append(dict(variant=name, median_ms=med * 1e3, best_ms=best * 1e3,
                         gb_per_s=bytes_per_step / med / 1e9,
                         time_vs_resnetc=(med / base) if base else None))

    print(f"AdamW step over resnet50's {len(shapes)} parameter tensors ({numel / 1e6:.2f}M floats), "
          f"{args.threads} threads, {args.rounds} interleaved rounds")
    print(f"{'variant':<16}{'median ms':>11}{'best ms':>10}{'GB/s':>8}{'time / resnetc':>16}")
    for r in rows:
        ratio = f"{r['time_vs_resnetc']:.2f}" if r["time_vs_resnetc"] is not None else "-"
        print(f"{r['variant']:<16}{r['median_ms']:>11.1f}{r['best_ms']:>10.1f}{r['gb_per_s']:>8.2f}{ratio:>16}")
    torch_rows = [r for r in rows if r["variant"].startswith("torch")]
    if base and torch_rows:
        fastest = min(torch_rows, key=lambda r: r["median_ms"])
        print(f"resnetc / fastest torch ({fastest['variant']}): {base * 1e3 / fastest['median_ms']:.3f} "
              f"(below 1 = resnetc faster)")
    if max_rel is not None:
        print(f"parameters after all steps, resnetc vs torch: max |difference| / max |value| per tensor "
              f"= {max_rel:.2e}")

    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(dict(benchmark="adamw_step_resnet50", tensors=len(shapes), numel=numel, threads=args.threads,
                       rounds=args.rounds, warmup=args.warmup, pause_s=args.pause, hyperparameters=HYPER,
                       torch=torch.__version__, resnetc=resnetc.__version__, isa=resnetc.get_isa(),
                       machine=platform.machine(), cpu_count=os.cpu_count(), rows=rows,
                       times_s={k: v for k, v in times.items()}, max_rel_diff_vs_torch=max_rel), f, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
