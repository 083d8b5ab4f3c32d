"""The demo dataset: a small ImageFolder of real JPEG files that needs spatial features.

Eight classes of shapes and patterns (circle, ring, square, triangle, cross, stripes in two
orientations, checkerboard), each drawn with a random colour, position, size and rotation-free
jitter on a random noisy background, so neither colour nor mean intensity gives the class away.
Generation is deterministic for a seed and cached: a folder that is complete is reused.
"""
import json
import os

import numpy as np

CLASSES = ("checkerboard", "circle", "cross", "horizontal_stripes", "ring", "square", "triangle",
           "vertical_stripes")
_VERSION = 2


def _grid(size):
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return ys + 0.5, xs + 0.5


def _shape_mask(name, size, rng):
    """A float mask in [0, 1] of one instance of class `name`."""
    ys, xs = _grid(size)
    radius = rng.uniform(0.22, 0.36) * size
    cy, cx = rng.uniform(radius + 1, size - radius - 1, 2)
    dy, dx = ys - cy, xs - cx
    inside_box = (np.abs(dy) <= radius) & (np.abs(dx) <= radius)
    if name == "circle":
        return (dy ** 2 + dx ** 2 <= radius ** 2)
    if name == "ring":
        r2 = dy ** 2 + dx ** 2
        return (r2 <= radius ** 2) & (r2 >= (0.55 * radius) ** 2)
    if name == "square":
        return inside_box
    if name == "triangle":
        # Apex up: inside when below the two slanted edges and above the base.
        return (dy <= radius) & (np.abs(dx) <= (dy + radius) / 2)
    if name == "cross":
        arm = radius * 0.3
        return inside_box & ((np.abs(dy) <= arm) | (np.abs(dx) <= arm))
    period = rng.uniform(0.12, 0.2) * size
    phase = rng.uniform(0, period)
    if name == "horizontal_stripes":
        return inside_box & (((ys + phase) // (period / 2)) % 2 == 0)
    if name == "vertical_stripes":
        return inside_box & (((xs + phase) // (period / 2)) % 2 == 0)
    if name == "checkerboard":
        cells = ((ys + phase) // (period / 2) + (xs + phase) // (period / 2)) % 2 == 0
        return inside_box & cells
    raise ValueError(f"unknown demo class {name!r}")


def render(name, size, rng):
    """One HWC uint8 RGB image of class `name`."""
    background = rng.uniform(0, 255, 3)
    foreground = rng.uniform(0, 255, 3)
    while np.abs(foreground - background).sum() < 150:  # keep the shape visible
        foreground = rng.uniform(0, 255, 3)
    noise = rng.normal(0, 8, (size, size, 3))
    mask = _shape_mask(name, size, rng)[..., None]
    image = np.where(mask, foreground, background) + noise
    return np.clip(image, 0, 255).astype(np.uint8)


def _encode_jpeg(image, quality=90):
    from resnetc.io import encode_jpeg

    return encode_jpeg(image, quality=quality)


def make_demo_dataset(root, train_per_class=250, val_per_class=60, size=64, seed=0):
    """Writes root/train/<class>/*.jpg and root/val/<class>/*.jpg once; returns root.

    A marker file written last records the settings: a folder without it (an interrupted
    generation) or with other settings is generated again.
    """
    settings = {"version": _VERSION, "train_per_class": train_per_class, "val_per_class": val_per_class,
                "size": size, "seed": seed, "classes": list(CLASSES)}
    marker = os.path.join(root, "demo_dataset.json")
    if os.path.exists(marker):
        with open(marker) as f:
            if json.load(f) == settings:
                return root
    rng = np.random.default_rng(seed)
    for split, count in (("train", train_per_class), ("val", val_per_class)):
        for name in CLASSES:
            folder = os.path.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                with open(os.path.join(folder, f"{i:05d}.jpg"), "wb") as f:
                    f.write(bytes(_encode_jpeg(render(name, size, rng))))
    with open(marker, "w") as f:
        json.dump(settings, f)
    return root


def default_demo_root():
    """Where the demo data is cached: $RESNETC_HOME/demo, default ~/.cache/resnetc/demo."""
    home = os.environ.get("RESNETC_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "resnetc")
    return os.path.join(home, "demo")
