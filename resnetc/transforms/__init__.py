"""torchvision.transforms for resnetc: same names, arguments, semantics and __repr__.

Random transforms draw all their numbers from :func:`rng`, the current thread's per-sample
generator (resnetc.utils.random_state): the DataLoader makes it a counter-based stream of
(seed, epoch, sample), so augmentation does not depend on which worker thread runs it. Outside a
DataLoader, ``with sample_generator(seed):`` fixes the draws.
"""
from resnetc.transforms import functional
from resnetc.utils.random_state import current_sample_generator as rng
from resnetc.utils.random_state import manual_seed_samples as manual_seed
from resnetc.utils.random_state import philox_generator, sample_generator
from resnetc.transforms.autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from resnetc.transforms.fused import get_fast_path, set_fast_path
from resnetc.transforms.more_transforms import (ConvertImageDtype, FiveCrop, RandomAdjustSharpness,
                                                RandomAffine, RandomAutocontrast, RandomEqualize,
                                                RandomInvert, RandomPosterize, RandomSolarize, TenCrop)
from resnetc.transforms.transforms import (CenterCrop, ColorJitter, Compose, GaussianBlur, Grayscale,
                                           InterpolationMode, Lambda, Normalize, Pad, PILToTensor,
                                           RandomApply, RandomChoice, RandomCrop, RandomErasing,
                                           RandomGrayscale, RandomHorizontalFlip, RandomOrder,
                                           RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize,
                                           ToPILImage, ToTensor)
from resnetc.transforms import v2  # noqa: E402  (torchvision.transforms.v2; after the v1 names it re-exports)
