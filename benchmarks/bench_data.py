"""Data-pipeline throughput: resnetc vs torchvision + Pillow, side by side in one run.

The standard ImageNet training pipeline
    RandomResizedCrop(224), RandomHorizontalFlip(), ColorJitter(0.2, 0.2, 0.2, 0.2), ToTensor(),
    Normalize(ImageNet mean, std)
on photo-like JPEGs of ImageNet's typical size (500x375, quality 90, ~100 KB with the default
--noise, as ImageNet's average), read from disk.

- resnetc: ImageFolder's default loader (EncodedImage.from_file) -> Compose, which takes the
  fused C path; a per-sample generator is installed as the DataLoader does.
- torchvision: torchvision's default loader (PIL open + convert("RGB")) -> torchvision Compose,
  with torch.set_num_threads(1) as in DataLoader workers.
Both run on 1 and 2 worker threads; torchvision also on 2 worker processes (its DataLoader's
way), and the ratio for 2 workers uses torchvision's better of the two.

Usage: python benchmarks/bench_data.py [--images 48] [--seconds 3] [--repeats 2] [--json out.json]
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def photo_like(h, w, seed, noise=18.0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    f1, f2, f3 = rng.uniform(8, 40, 3)
    img = np.stack([128 + 100 * np.sin(x / f1 + y / f2 + seed), 128 + 90 * np.cos(x / f2 - y / f3),
                    128 + 80 * np.sin((x + y) / f3 + 2 * seed)], -1)
    img[((x // rng.integers(20, 60)) + (y // rng.integers(20, 60))) % 2 == 0] *= rng.uniform(0.4, 0.8)
    img += rng.normal(0, noise, img.shape)  # sensor-like noise; sets the file size
    return np.clip(img, 0, 255).astype(np.uint8)


def make_dataset(folder, n, noise):
    from PIL import Image
    paths = []
    for i in range(n):
        path = os.path.join(folder, f"img_{i:04d}.jpg")
        Image.fromarray(photo_like(375, 500, i, noise)).save(path, "JPEG", quality=90)
        paths.append(path)
    return paths


def resnetc_worker_fn():
    import resnetc.io as rio
    import resnetc.transforms as T
    chain = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2, 0.2),
                       T.ToTensor(), T.Normalize(MEAN, STD)])

    def sample(path, index):
        with T.sample_generator(T.philox_generator(0, 0, index)):
            return chain(rio.EncodedImage.from_file(path)).array
    return sample


def torchvision_worker_fn():
    import torch
    import torchvision.transforms as TV
    from PIL import Image
    torch.set_num_threads(1)
    chain = TV.Compose([TV.RandomResizedCrop(224), TV.RandomHorizontalFlip(), TV.ColorJitter(0.2, 0.2, 0.2, 0.2),
                        TV.ToTensor(), TV.Normalize(MEAN, STD)])

    def sample(path, index):
        with open(path, "rb") as f:
            img = Image.open(f).convert("RGB")
        return chain(img)
    return sample


def run_threads(make_fn, paths, threads, seconds):
    fn = make_fn()
    warm_until = time.perf_counter() + min(1.0, seconds / 3)
    while time.perf_counter() < warm_until:  # warm up caches, tables and the CPU clock
        fn(paths[0], 0)
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(k):
        i = k
        while time.perf_counter() < deadline:
            fn(paths[i % len(paths)], i)
            done[k] += 1
            i += threads

    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return sum(done), time.perf_counter() - start, time.process_time() - cpu


def _process_worker(args):
    paths, k, procs, seconds = args
    fn = torchvision_worker_fn()
    fn(paths[0], 0)
    count, i = 0, k
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        fn(paths[i % len(paths)], i)
        count += 1
        i += procs
    return count, time.perf_counter() - start, time.process_time() - cpu


def run_processes(paths, procs, seconds):
    with mp.get_context("fork").Pool(procs) as pool:
        results = pool.map(_process_worker, [(paths, k, procs, seconds) for k in range(procs)])
    return (sum(r[0] for r in results), max(r[1] for r in results), sum(r[2] for r in results))


def _versions():
    import PIL
    import torch
    import torchvision
    return {"pillow": PIL.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--noise", type=float, default=18.0,
                        help="pixel noise of the generated photos: 18 gives ~100 KB files, like ImageNet's")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs per figure")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    import resnetc
    resnetc.set_num_threads(1)  # one core per worker thread, as in the DataLoader
    with tempfile.TemporaryDirectory() as folder:
        paths = make_dataset(folder, args.images, args.noise)
        mean_kb = np.mean([os.path.getsize(p) for p in paths]) / 1024
        results = {"pipeline": "RandomResizedCrop(224), RandomHorizontalFlip, ColorJitter(0.2,0.2,0.2,0.2), ToTensor, Normalize",
                   "images": args.images, "image_size": [500, 375], "mean_file_kb": round(mean_kb, 1),
                   "cpu_count": os.cpu_count(), "load_average_before": os.getloadavg()[0],
                   "versions": _versions(), "ratio": {}}
        ips, per_cpu = results["images_per_second"], results["images_per_cpu_second"] = {}, {}

        def record(key, measured):
            images, wall, cpu = measured
            ips[key] = max(ips.get(key, 0.0), images / wall)
            per_cpu[key] = max(per_cpu.get(key, 0.0), images / max(cpu, 1e-9))

        # Interleaved and repeated: the machine may be shared, so each figure is the best of
        # `repeats` runs and both libraries see the same conditions. images_per_cpu_second
        # (images / CPU time of the workers) is the per-core figure, robust to other load.
        for _ in range(args.repeats):
            for workers in (1, 2):
                for name, fn in (("resnetc", resnetc_worker_fn), ("torchvision", torchvision_worker_fn)):
                    record(f"{name}_{workers}_threads", run_threads(fn, paths, workers, args.seconds))
            record("torchvision_2_processes", run_processes(paths, 2, args.seconds))
        ratio = results["ratio"]
        ratio["per_core_1_worker"] = per_cpu["resnetc_1_threads"] / per_cpu["torchvision_1_threads"]
        ratio["per_core_2_workers"] = per_cpu["resnetc_2_threads"] / max(per_cpu["torchvision_2_threads"],
                                                                           per_cpu["torchvision_2_processes"])
        ratio["wall_1_worker"] = ips["resnetc_1_threads"] / ips["torchvision_1_threads"]
        ratio["wall_2_workers"] = ips["resnetc_2_threads"] / max(ips["torchvision_2_threads"],
                                                                 ips["torchvision_2_processes"])
        for table in (ips, per_cpu, ratio):
            for key in table:
                table[key] = round(table[key], 2 if table is ratio else 1)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
