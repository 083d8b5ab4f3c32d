"""Training and inference throughput: resnetc against PyTorch, side by side on this machine.

Each measurement runs in its own subprocess (so each framework's peak memory is its own), and
the two frameworks alternate round by round after warm-up, so machine noise hits both alike.
PyTorch runs with threads = cores, in NCHW and channels_last; its faster layout is the peer.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_train.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_train.py --model resnet18 --batch-size 64

Prints a table and writes JSON (--json, default benchmarks/results/bench_train.json).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKER = r"""
import json, os, resource, sys, time
import numpy as np
cfg = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.standard_normal((cfg["batch"], 3, cfg["size"], cfg["size"]), dtype=np.float32)
y = rng.integers(0, 1000, cfg["batch"])

def timed(step, warmup, steps):
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return cfg["batch"] * steps / (time.perf_counter() - start)

if cfg["framework"] == "torch":
    import torch, torchvision
    torch.set_num_threads(os.cpu_count())
    model = getattr(torchvision.models, cfg["model"])()
    images, labels = torch.from_numpy(x), torch.from_numpy(y)
    if cfg["layout"] == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=True)
    criterion = torch.nn.CrossEntropyLoss()
    inference = torch.inference_mode
else:
    import resnetc
    from resnetc import models, nn, optim
    model = getattr(models, cfg["model"])()
    images, labels = resnetc.Tensor(x), resnetc.Tensor(y)
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    inference = resnetc.no_grad

def train_step():
    optimizer.zero_grad(set_to_none=True)
    criterion(model(images), labels).backward()
    optimizer.step()

def infer_step():
    with inference():
        model(images)

model.train(cfg["mode"] == "train")
run = train_step if cfg["mode"] == "train" else infer_step
rate = timed(run, cfg["warmup"], cfg["steps"])
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"images_per_s": rate, "peak_rss_mib": peak_mib}))
"""


def measure(framework, layout, mode, args):
    cfg = {"framework": framework, "layout": layout, "mode": mode, "model": args.model, "batch": args.batch_size,
           "size": args.image_size, "warmup": args.warmup, "steps": args.steps}
    out = subprocess.run([sys.executable, "-c", WORKER, json.dumps(cfg)], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if out.returncode != 0:
        raise RuntimeError(f"{framework} {layout} {mode} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per framework")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--modes", nargs="+", default=["train", "inference"])
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results", "bench_train.json"))
    args = parser.parse_args()

    peers = [("resnetc", "nchw"), ("torch", "nchw"), ("torch", "channels_last")]
    results = {}
    for mode in args.modes:
        samples = {peer: [] for peer in peers}
        for round_index in range(args.rounds):
            for peer in peers if round_index % 2 == 0 else peers[::-1]:
                samples[peer].append(measure(peer[0], peer[1], mode, args))
                print(f"  {mode} round {round_index + 1}: {peer[0]:8s} {peer[1]:13s} "
                      f"{samples[peer][-1]['images_per_s']:7.2f} images/s", flush=True)
        summary = {f"{f}/{l}": {"images_per_s": statistics.median(s["images_per_s"] for s in v),
                                "peak_rss_mib": max(s["peak_rss_mib"] for s in v)}
                   for (f, l), v in samples.items()}
        best_torch = max((k for k in summary if k.startswith("torch")), key=lambda k: summary[k]["images_per_s"])
        summary["ratio_vs_best_torch"] = summary["resnetc/nchw"]["images_per_s"] / summary[best_torch]["images_per_s"]
        summary["best_torch"] = best_torch
        results[mode] = summary

    print(f"\n{args.model}, batch {args.batch_size}, {args.image_size}x{args.image_size}, fp32, "
          f"{os.cpu_count()} threads; median of {args.rounds} rounds x {args.steps} steps")
    print(f"{'mode':10s} {'peer':22s} {'images/s':>9s} {'peak RSS MiB':>13s}")
    for mode, summary in results.items():
        for key, value in summary.items():
            if isinstance(value, dict):
                print(f"{mode:10s} {key:22s} {value['images_per_s']:9.2f} {value['peak_rss_mib']:13.0f}")
        print(f"{mode:10s} {'resnetc / ' + summary['best_torch']:22s} {summary['ratio_vs_best_torch']:9.2f}x")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"config": vars(args), "time": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
