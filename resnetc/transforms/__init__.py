"""torchvision.transforms for resnetc: same names, arguments, semantics and __repr__.

Random transforms draw from :func:`rng`, a per-thread NumPy generator; the DataLoader sets it
per sample with :func:`set_sample_rng` (``make_sample_rng(seed, epoch, index)``), see _rng.py.
"""
from resnetc.transforms import functional
from resnetc.transforms._rng import make_sample_rng, manual_seed, rng, sample_rng, set_sample_rng
from resnetc.transforms.autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from resnetc.transforms.fused import get_fast_path, set_fast_path
from resnetc.transforms.transforms import (CenterCrop, ColorJitter, Compose, GaussianBlur, Grayscale,
                                           InterpolationMode, Lambda, Normalize, Pad, PILToTensor,
                                           RandomApply, RandomChoice, RandomCrop, RandomErasing,
                                           RandomGrayscale, RandomHorizontalFlip, RandomOrder,
                                           RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize,
                                           ToPILImage, ToTensor)
