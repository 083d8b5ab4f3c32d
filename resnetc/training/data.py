"""Datasets and transforms for `resnetc train`: train/ and val/ folders or one folder split."""
import os
from types import SimpleNamespace

import numpy as np

from resnetc import transforms as T
from resnetc.datasets import ImageFolder
from resnetc.utils.data import Subset, compute_mean_std

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def train_transform(args, mean, std):
    """torchvision's reference recipe: RandomResizedCrop, flip, optional jitter/auto-augment, erasing."""
    ops = [T.RandomResizedCrop(args.image_size, scale=tuple(args.crop_scale))]
    if args.flip:
        ops.append(T.RandomHorizontalFlip())
    if args.color_jitter:
        ops.append(T.ColorJitter(args.color_jitter, args.color_jitter, args.color_jitter))
    if args.auto_augment == "ta_wide":
        ops.append(T.TrivialAugmentWide())
    elif args.auto_augment == "ra":
        ops.append(T.RandAugment())
    elif args.auto_augment == "imagenet":
        ops.append(T.AutoAugment())
    ops += [T.ToTensor(), T.Normalize(mean, std)]
    if args.random_erase:
        ops.append(T.RandomErasing(p=args.random_erase))
    return T.Compose(ops)


def eval_transform(image_size, resize, mean, std):
    return T.Compose([T.Resize(resize), T.CenterCrop(image_size), T.ToTensor(), T.Normalize(mean, std)])


def _check_folder(path):
    if not os.path.isdir(path):
        raise SystemExit(f"error: data folder not found: {path}")


def build_datasets(root, args):
    """Train and val datasets (with their transforms), class names, and the normalization used."""
    _check_folder(root)
    train_dir, val_dir = os.path.join(root, "train"), os.path.join(root, "val")
    split = not (os.path.isdir(train_dir) and os.path.isdir(val_dir))
    train_root = root if split else train_dir
    try:
        plain = ImageFolder(train_root)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"error: {error}") from None
    mean, std = args.mean, args.std
    if mean is None or std is None:
        if args.weights:
            mean, std = IMAGENET_MEAN, IMAGENET_STD
        else:
            stats_set = ImageFolder(train_root, transform=eval_transform(args.image_size, args.val_resize,
                                                                           (0, 0, 0), (1, 1, 1)))
            mean, std = compute_mean_std(stats_set, num_workers=args.workers)
            print(f"Normalizing with the training set's statistics: mean {np.round(mean, 3).tolist()}, "
                  f"std {np.round(std, 3).tolist()}")
    train_set = ImageFolder(train_root, transform=train_transform(args, mean, std))
    val_tf = eval_transform(args.image_size, args.val_resize, mean, std)
    if split:
        order = np.random.default_rng(args.seed).permutation(len(plain))
        n_val = max(1, int(round(len(plain) * args.val_split)))
        val_set = Subset(ImageFolder(train_root, transform=val_tf), order[:n_val].tolist())
        train_set = Subset(train_set, order[n_val:].tolist())
    else:
        val_set = ImageFolder(val_dir, transform=val_tf)
        if val_set.classes != plain.classes:
            raise SystemExit(f"error: train/ and val/ have different classes: {plain.classes} vs {val_set.classes}")
    return SimpleNamespace(train=train_set, val=val_set, classes=plain.classes, mean=tuple(mean), std=tuple(std))
