"""torchvision.transforms (v1) classes: same names, arguments, semantics and ``__repr__``.

Randomness: where torchvision draws from torch's global RNG, these draw from
:func:`resnetc.transforms.rng` -- the generator the DataLoader installs per sample (see
resnetc/utils/random_state.py) -- with the same distributions and in the same order, so a chain's
parameters for one generator state are a fixed sequence of draws. ``get_params`` exposes them.

Compose takes the fused C path (resnetc/transforms/fused.py) when it is given a JPEG
EncodedImage and its transforms are all of the kinds that path knows.
"""
import math
import numbers
from collections.abc import Sequence

import numpy as np

from resnetc.io import EncodedImage, decode_to_pil
from resnetc.tensor import Tensor
from resnetc.transforms import functional as F
from resnetc.utils.random_state import current_sample_generator as rng
from resnetc.transforms.functional import InterpolationMode, _interpolation

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize", "CenterCrop", "Pad",
           "Lambda", "RandomApply", "RandomChoice", "RandomOrder", "RandomCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomResizedCrop", "ColorJitter", "Grayscale", "RandomGrayscale",
           "GaussianBlur", "RandomRotation", "RandomErasing", "InterpolationMode"]


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _image_hw(img):
    if isinstance(img, EncodedImage):
        w, h = img.size
        return h, w
    _, h, w = F.get_dimensions(img)
    return h, w


class Compose:
    """Composes transforms; on a JPEG EncodedImage whose chain the fused path knows, runs it
    as one C call (same parameter draws, same arithmetic unless DCT scaling kicks in)."""

    def __init__(self, transforms):
        self.transforms = transforms
        self._plan = None

    def __call__(self, img):
        if isinstance(img, EncodedImage):
            from resnetc.transforms import fused
            out = fused.try_fused(self, img)
            if out is not None:
                return out
            img = decode_to_pil(img)
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        format_string = self.__class__.__name__ + "("
        for t in self.transforms:
            format_string += "\n"
            format_string += f"    {t}"
        format_string += "\n)"
        return format_string


class ToTensor:
    """PIL image / HWC ndarray -> CHW float32 Tensor in [0, 1] (uint8 input divided by 255)."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL image -> CHW uint8 Tensor (no scaling)."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class ToPILImage:
    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        format_string = self.__class__.__name__ + "("
        if self.mode is not None:
            format_string += f"mode={self.mode}"
        format_string += ")"
        return format_string


class Normalize:
    """output[c] = (input[c] - mean[c]) / std[c] on a float tensor."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Resize:
    """Resizes to `size` (an int: the smaller edge, keeping the aspect ratio; or (h, w))."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        detail = f"(size={self.size}, interpolation={self.interpolation.value}, max_size={self.max_size}, antialias={self.antialias})"
        return f"{self.__class__.__name__}{detail}"


class CenterCrop:
    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class Pad:
    def __init__(self, padding, fill=0, padding_mode="constant"):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class Lambda:
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class RandomTransforms:
    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self):
        format_string = self.__class__.__name__ + "("
        for t in self.transforms:
            format_string += "\n"
            format_string += f"    {t}"
        format_string += "\n)"
        return format_string


class RandomApply:
    """Applies the list of transforms with probability p."""

    def __init__(self, transforms, p=0.5):
        self.transforms = transforms
        self.p = p

    def __call__(self, img):
        if self.p < rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        format_string = self.__class__.__name__ + "("
        format_string += f"\n    p={self.p}"
        for t in self.transforms:
            format_string += "\n"
            format_string += f"    {t}"
        format_string += "\n)"
        return format_string


class RandomOrder(RandomTransforms):
    """Applies the transforms in a random order."""

    def __call__(self, img):
        for i in rng().permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img


class RandomChoice(RandomTransforms):
    """Applies one transform picked at random (weights p)."""

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        n = len(self.transforms)
        if self.p is None:
            idx = int(rng().integers(0, n))
        else:
            weights = np.asarray(self.p, dtype=np.float64)
            idx = int(np.searchsorted(np.cumsum(weights), rng().random() * weights.sum(), side="right"))
            idx = min(idx, n - 1)
        return self.transforms[idx](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"


class RandomCrop:
    """Crops at a uniformly random position (after optional padding)."""

    @staticmethod
    def get_params(img, output_size):
        """(i, j, h, w): top-left corner drawn uniformly among all positions."""
        h, w = _image_hw(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        g = rng()
        i = int(g.integers(0, h - th + 1))
        j = int(g.integers(0, w - tw + 1))
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        if isinstance(img, EncodedImage):
            img = decode_to_pil(img)
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if rng().random() < self.p:
            return F.hflip(img)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if rng().random() < self.p:
            return F.vflip(img)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


def _sample_box(height, width, scale, ratio, g):
    """torchvision's RandomResizedCrop sampling: up to 10 tries of (area ~ U(scale) * area,
    log-aspect ~ U(log ratio)), then a central crop clamped to the ratio range."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * g.uniform(scale[0], scale[1])
        aspect_ratio = math.exp(g.uniform(log_ratio[0], log_ratio[1]))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = int(g.integers(0, height - h + 1))
            j = int(g.integers(0, width - w + 1))
            return i, j, h, w
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w = width
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = height
        w = int(round(h * max(ratio)))
    else:
        w = width
        h = height
    i = (height - h) // 2
    j = (width - w) // 2
    return i, j, h, w


class RandomResizedCrop:
    """Crops a random area and aspect ratio, then resizes to `size` (Inception-style).

    Sampling (torchvision's): up to 10 attempts drawing area fraction ~ U(scale) and
    log(aspect) ~ U(log(ratio)); the first box that fits is placed uniformly; otherwise a
    central crop with the aspect ratio clamped to `ratio`.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            import warnings
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """(i, j, h, w) of the crop; img may be an image or an EncodedImage (header only)."""
        height, width = _image_hw(img)
        return _sample_box(height, width, scale, ratio, rng())

    def __call__(self, img):
        if isinstance(img, EncodedImage):
            img = decode_to_pil(img)
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self):
        interpolate_str = self.interpolation.value
        format_string = self.__class__.__name__ + f"(size={self.size}"
        format_string += f", scale={tuple(round(s, 4) for s in self.scale)}"
        format_string += f", ratio={tuple(round(r, 4) for r in self.ratio)}"
        format_string += f", interpolation={interpolate_str}"
        format_string += f", antialias={self.antialias})"
        return format_string


class ColorJitter:
    """Random brightness, contrast, saturation and hue, applied in a random order.

    Factors are drawn uniformly from [max(0, 1 - x), 1 + x] (or the given (min, max)); hue
    from [-h, h]. Each op is torchvision's (PIL path: Image.blend against black / the mean gray
    / the grayscale image, hue shift in Pillow's 8-bit HSV).
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order, brightness_factor, contrast_factor, saturation_factor, hue_factor): a random
        permutation of 0..3, then each factor drawn (None when that jitter is off)."""
        g = rng()
        fn_idx = [int(i) for i in g.permutation(4)]
        b = None if brightness is None else float(g.uniform(brightness[0], brightness[1]))
        c = None if contrast is None else float(g.uniform(contrast[0], contrast[1]))
        s = None if saturation is None else float(g.uniform(saturation[0], saturation[1]))
        h = None if hue is None else float(g.uniform(hue[0], hue[1]))
        return fn_idx, b, c, s, h

    @staticmethod
    def ops_from_params(params):
        """[(name, factor), ...] in application order."""
        fn_idx, b, c, s, h = params
        names = ("brightness", "contrast", "saturation", "hue")
        factors = (b, c, s, h)
        return [(names[i], factors[i]) for i in fn_idx if factors[i] is not None]

    def __call__(self, img):
        if isinstance(img, EncodedImage):
            img = decode_to_pil(img)
        params = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        apply = {"brightness": F.adjust_brightness, "contrast": F.adjust_contrast,
                 "saturation": F.adjust_saturation, "hue": F.adjust_hue}
        for name, factor in self.ops_from_params(params):
            img = apply[name](img, factor)
        return img

    def __repr__(self):
        s = (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
             f"saturation={self.saturation}, hue={self.hue})")
        return s


class Grayscale:
    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self):
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    def __init__(self, p=0.1):
        self.p = p

    def __call__(self, img):
        if isinstance(img, EncodedImage):
            img = decode_to_pil(img)
        num_output_channels = F.get_image_num_channels(img)
        if rng().random() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class GaussianBlur:
    """Blurs with a Gaussian of sigma ~ U(sigma_min, sigma_max)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        return float(rng().uniform(sigma_min, sigma_max))

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self):
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


def _setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    elif not isinstance(x, Sequence) or len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {' or '.join(str(s) for s in req_sizes)}.")
    return [float(d) for d in x]


class RandomRotation:
    """Rotates by an angle ~ U(degrees) (counter-clockwise, about the center by default)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        self.interpolation = _interpolation(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError("center should be a sequence of length 2.")
        self.center = center
        self.expand = expand
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    @staticmethod
    def get_params(degrees):
        return float(rng().uniform(float(degrees[0]), float(degrees[1])))

    def __call__(self, img):
        fill = self.fill
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        interpolate_str = self.interpolation.value
        format_string = self.__class__.__name__ + f"(degrees={self.degrees}"
        format_string += f", interpolation={interpolate_str}"
        format_string += f", expand={self.expand}"
        if self.center is not None:
            format_string += f", center={self.center}"
        if self.fill is not None:
            format_string += f", fill={self.fill}"
        format_string += ")"
        return format_string


class RandomErasing:
    """Erases a random rectangle of a CHW tensor (Zhong et al.), with probability p."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            import warnings
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(i, j, h, w, v): up to 10 tries of area ~ U(scale), log-aspect ~ U(log ratio);
        v is N(0, 1) noise when value is None. Falls back to (0, 0, H, W, img)."""
        a = img.array if isinstance(img, Tensor) else np.asarray(img)
        img_c, img_h, img_w = a.shape[-3], a.shape[-2], a.shape[-1]
        area = img_h * img_w
        g = rng()
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * g.uniform(scale[0], scale[1])
            aspect_ratio = math.exp(g.uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = g.standard_normal((img_c, h, w), dtype=np.float32)
            else:
                v = np.asarray(value, dtype=np.float32)[:, None, None]
            i = int(g.integers(0, img_h - h + 1))
            j = int(g.integers(0, img_w - w + 1))
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if rng().random() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            elif isinstance(self.value, tuple):
                value = list(self.value)
            else:
                value = self.value
            a = img.array if isinstance(img, Tensor) else np.asarray(img)
            if value is not None and not (len(value) in (1, a.shape[-3])):
                raise ValueError("If value is a sequence, it should have either a single value or "
                                 f"{a.shape[-3]} (number of input channels)")
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self):
        s = (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
             f"value={self.value}, inplace={self.inplace})")
        return s
