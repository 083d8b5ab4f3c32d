"""Where a ResNet50 training step spends its time, per layer type: resnetc against PyTorch.

Every layer of ResNet50 (torchvision's v1.5, 224x224, batch 32 by default) is timed alone with
its real shapes, forward and backward (input and parameter gradients, as in training), and the
times are summed per layer type over the network (each distinct shape is timed once and
multiplied by how often it occurs). Rows: conv 7x7 stem, conv 3x3, conv 1x1 (incl. the
downsample projections), batchnorm, relu (out of place), residual add, maxpool, avgpool+fc,
loss, and the AdamW step over all 25.6M parameters.

Each framework runs in its own subprocess (PyTorch in NCHW and channels_last), alternating
round by round; a row's time is the fastest repetition in a round, then the median over
rounds. "torch" is PyTorch's faster layout per row. ratio = torch time / resnetc time
(> 1: resnetc is faster).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_layers.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_layers.py --only conv3x3 --rounds 1

Prints a table and writes JSON (--json, default benchmarks/results/bench_layers.json).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter

ROWS = ["conv7x7 stem", "conv3x3", "conv1x1", "batchnorm", "relu", "residual add", "maxpool", "avgpool+fc",
        "loss", "AdamW step"]


def resnet50_layers(batch, size):
    """Counter of (row, spec) over ResNet50's layers; spec is a hashable shape description."""
    layers = Counter()
    h = (size + 2 * 3 - 7) // 2 + 1
    layers[("conv7x7 stem", ("conv", batch, 3, size, 64, 7, 2, 3, False))] += 1
    layers[("batchnorm", ("bn", batch, 64, h))] += 1
    layers[("relu", ("relu", batch, 64, h))] += 1
    layers[("maxpool", ("maxpool", batch, 64, h))] += 1
    h = (h + 2 - 3) // 2 + 1
    inplanes = 64
    for planes, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for block in range(blocks):
            s = stride if block == 0 else 1
            out_h = (h + 2 - 3) // s + 1
            convs = [("conv1x1", (inplanes, h, planes, 1, 1, 0)), ("conv3x3", (planes, h, planes, 3, s, 1)),
                     ("conv1x1", (planes, out_h, planes * 4, 1, 1, 0))]
            if block == 0:
                convs.append(("conv1x1", (inplanes, h, planes * 4, 1, s, 0)))
            for row, (c, hh, k, ks, st, pad) in convs:
                layers[(row, ("conv", batch, c, hh, k, ks, st, pad, True))] += 1
                oh = (hh + 2 * pad - ks) // st + 1
                layers[("batchnorm", ("bn", batch, k, oh))] += 1
            layers[("relu", ("relu", batch, planes, h))] += 1
            layers[("relu", ("relu", batch, planes, out_h))] += 1
            layers[("relu", ("relu", batch, planes * 4, out_h))] += 1
            layers[("residual add", ("add", batch, planes * 4, out_h))] += 1
            inplanes, h = planes * 4, out_h
    layers[("avgpool+fc", ("head", batch, 2048, h, 1000))] += 1
    layers[("loss", ("loss", batch, 1000))] += 1
    layers[("AdamW step", ("adamw", 0))] += 1
    return layers


WORKER = r"""
import json, os, sys, time
import numpy as np
cfg = json.loads(sys.argv[1])
fw, layout, reps = cfg["framework"], cfg["layout"], cfg["reps"]
rng = np.random.default_rng(0)

def randn(*shape):
    return rng.standard_normal(shape, dtype=np.float32)

if fw == "torch":
    import torch, torchvision
    import torch.nn.functional as F
    torch.set_num_threads(os.cpu_count())
    cl = layout == "channels_last"
    def leaf(a, grad=True):
        t = torch.from_numpy(a)
        if cl and t.ndim == 4:
            t = t.contiguous(memory_format=torch.channels_last)
        return t.requires_grad_(grad)
    def backward(out, g):
        out.backward(leaf(g, False))
    def params_of(*ts):
        return ts
    def set_grad_none(ts):
        for t in ts:
            t.grad = None
    def adamw_setup():
        model = torchvision.models.resnet50()
        if cl:
            model = model.to(memory_format=torch.channels_last)
        ps = list(model.parameters())
        for p in ps:
            p.grad = torch.randn_like(p)
        opt = torch.optim.AdamW(ps, lr=1e-3, foreach=True)
        return opt.step
else:
    import resnetc
    import resnetc.nn.functional as F
    from resnetc import models, optim
    def leaf(a, grad=True):
        return resnetc.Tensor(a, requires_grad=grad)
    def backward(out, g):
        out.backward(g)
    def set_grad_none(ts):
        for t in ts:
            t.grad = None
    def adamw_setup():
        ps = list(models.resnet50().parameters())
        for p in ps:
            p.grad = resnetc.Tensor(rng.standard_normal(p.shape, dtype=np.float32))
        opt = optim.AdamW(ps, lr=1e-3)
        return opt.step

def op_for(spec):
    kind = spec[0]
    if kind == "conv":
        _, n, c, h, k, ks, st, pad, grad_in = spec
        x, w = leaf(randn(n, c, h, h), grad_in), leaf(randn(k, c, ks, ks) * np.float32(0.05))
        return (x, w), lambda: F.conv2d(x, w, None, st, pad)
    if kind == "bn":
        _, n, c, h = spec
        x, w, b = leaf(randn(n, c, h, h)), leaf(np.ones(c, np.float32)), leaf(np.zeros(c, np.float32))
        rm, rv = (np.zeros(c, np.float32), np.ones(c, np.float32))
        if fw == "torch":
            rm, rv = torch.from_numpy(rm), torch.from_numpy(rv)
        return (x, w, b), lambda: F.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5)
    if kind == "relu":
        _, n, c, h = spec
        x = leaf(randn(n, c, h, h))
        return (x,), lambda: F.relu(x)
    if kind == "add":
        _, n, c, h = spec
        a, b = leaf(randn(n, c, h, h)), leaf(randn(n, c, h, h))
        return (a, b), lambda: a + b
    if kind == "maxpool":
        _, n, c, h = spec
        x = leaf(randn(n, c, h, h))
        return (x,), lambda: F.max_pool2d(x, 3, 2, 1)
    if kind == "head":
        _, n, c, h, classes = spec
        x, w, b = leaf(randn(n, c, h, h)), leaf(randn(classes, c) * np.float32(0.02)), leaf(np.zeros(classes, np.float32))
        return (x, w, b), lambda: F.linear(F.adaptive_avg_pool2d(x, 1).reshape(n, c), w, b)
    if kind == "loss":
        _, n, classes = spec
        x = leaf(randn(n, classes))
        y = rng.integers(0, classes, n)
        y = torch.from_numpy(y) if fw == "torch" else resnetc.Tensor(y)
        return (x,), lambda: F.cross_entropy(x, y)
    raise ValueError(kind)

def best_of(fn, before=None):
    times = []
    for _ in range(reps + 1):  # the first is warm-up
        arg = before() if before else None
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times[1:])

results = []
for row, spec in cfg["layers"]:
    spec = tuple(spec)
    if spec[0] == "adamw":
        step = adamw_setup()
        results.append({"row": row, "spec": spec, "forward": best_of(lambda _: step()), "backward": 0.0})
        continue
    inputs, forward = op_for(spec)
    fwd = best_of(lambda _: forward())
    def fresh_graph():
        set_grad_none(inputs)
        out = forward()
        return out, randn(*tuple(out.shape))
    bwd = best_of(lambda og: backward(*og), fresh_graph)
    results.append({"row": row, "spec": spec, "forward": fwd, "backward": bwd})
    del inputs, forward
print(json.dumps(results))
"""


def measure(framework, layout, layers, args):
    cfg = {"framework": framework, "layout": layout, "reps": args.reps, "layers": [list(k) for k in layers]}
    out = subprocess.run([sys.executable, "-c", WORKER, json.dumps(cfg)], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if out.returncode != 0:
        raise RuntimeError(f"{framework} {layout} failed:\n{out.stderr}")
    return {(r["row"], tuple(r["spec"])): (r["forward"], r["backward"])
            for r in json.loads(out.stdout.strip().splitlines()[-1])}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per peer")
    parser.add_argument("--reps", type=int, default=2, help="timed repetitions per layer shape (plus one warm-up)")
    parser.add_argument("--only", nargs="+", choices=ROWS + ["conv7x7", "conv"], metavar="ROW",
                        help=f"rows to measure (default all): {', '.join(ROWS)}; 'conv' = all convolutions")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results", "bench_layers.json"))
    args = parser.parse_args()

    wanted = set(args.only or ROWS)
    if "conv" in wanted:
        wanted |= {"conv7x7 stem", "conv3x3", "conv1x1"}
    if "conv7x7" in wanted:
        wanted.add("conv7x7 stem")
    layers = Counter({k: v for k, v in resnet50_layers(args.batch_size, args.image_size).items() if k[0] in wanted})
    peers = [("resnetc", "nchw"), ("torch", "nchw"), ("torch", "channels_last")]
    samples = {peer: [] for peer in peers}
    for round_index in range(args.rounds):
        for peer in peers if round_index % 2 == 0 else peers[::-1]:
            start = time.perf_counter()
            samples[peer].append(measure(peer[0], peer[1], layers, args))
            print(f"  round {round_index + 1}: {peer[0]:8s} {peer[1]:13s} {time.perf_counter() - start:6.1f} s",
                  flush=True)

    def per_row(peer):
        """row -> [forward, backward] seconds per training step (median over rounds)."""
        totals = {}
        for key, count in layers.items():
            fwd = statistics.median(s[key][0] for s in samples[peer])
            bwd = statistics.median(s[key][1] for s in samples[peer])
            acc = totals.setdefault(key[0], [0.0, 0.0])
            acc[0] += count * fwd
            acc[1] += count * bwd
        return totals

    ours, nchw, cl = per_row(peers[0]), per_row(peers[1]), per_row(peers[2])
    rows = [r for r in ROWS if r in ours]
    table = {}
    for r in rows:
        best_layout = "nchw" if sum(nchw[r]) <= sum(cl[r]) else "channels_last"
        theirs = nchw[r] if best_layout == "nchw" else cl[r]
        table[r] = {"resnetc_forward_ms": 1e3 * ours[r][0], "resnetc_backward_ms": 1e3 * ours[r][1],
                    "torch_forward_ms": 1e3 * theirs[0], "torch_backward_ms": 1e3 * theirs[1],
                    "torch_layout": best_layout, "ratio": sum(theirs) / sum(ours[r])}
    total_ours = sum(sum(ours[r]) for r in rows)
    total_theirs = sum(v["torch_forward_ms"] + v["torch_backward_ms"] for v in table.values()) / 1e3

    print(f"\nResNet50 layers, batch {args.batch_size}, {args.image_size}x{args.image_size}, fp32, "
          f"{os.cpu_count()} threads; ms per training step, min of {args.reps} reps, median of {args.rounds} rounds")
    print(f"{'layer type':14s} {'resnetc fwd':>11s} {'bwd':>8s} {'torch fwd':>10s} {'bwd':>8s} {'torch layout':>13s} "
          f"{'ratio':>6s} {'share':>6s}")
    for r, v in table.items():
        share = (v["resnetc_forward_ms"] + v["resnetc_backward_ms"]) / 1e3 / total_ours
        print(f"{r:14s} {v['resnetc_forward_ms']:11.1f} {v['resnetc_backward_ms']:8.1f} {v['torch_forward_ms']:10.1f} "
              f"{v['torch_backward_ms']:8.1f} {v['torch_layout']:>13s} {v['ratio']:5.2f}x {100 * share:5.1f}%")
    print(f"{'total':14s} {1e3 * total_ours:20.1f} {1e3 * total_theirs:19.1f} {'':13s} "
          f"{total_theirs / total_ours:5.2f}x")
    print("ratio = torch / resnetc time (> 1: resnetc faster); share = of resnetc's summed layer time")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"config": vars(args), "time": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": table,
                   "total_ms": {"resnetc": 1e3 * total_ours, "torch_best_per_row": 1e3 * total_theirs}}, f, indent=1)


if __name__ == "__main__":
    main()
