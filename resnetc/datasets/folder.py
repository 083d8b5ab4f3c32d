"""DatasetFolder and ImageFolder: a dataset from a folder per class (torchvision.datasets.folder).

Names, arguments, attributes and sample order are torchvision's. Differences:

- ImageFolder's ``default_loader`` reads the file's bytes undecoded (a
  :class:`resnetc.io.EncodedImage`) and hands them to a resnetc ``Compose`` (or the weights'
  preset transform), which decodes them, possibly in one fused C call with crop/resize/normalize.
  Without a transform, or with any other, the sample is decoded first and is a PIL image, as in
  torchvision. An explicit
  ``loader=resnetc.io.EncodedImage.from_file`` always gives the bytes.
- Indexing walks the tree with ``os.scandir`` and no per-file ``stat`` (the file type comes from
  the directory entry), checking extensions on the file name; on a tree of 100,000 files it is
  several times faster than torchvision's ``os.walk`` + ``os.path.join`` per file.
- A folder that cannot be listed raises PermissionError naming it (``os.walk`` silently skips it,
  so torchvision would report its class as empty or lose its files). A symlinked folder that would
  lead round a cycle is not entered (``os.walk`` follows the cycle until the path is too long);
  other symlinked folders are followed, as in torchvision.
- An exception while loading or transforming a sample gets a note naming the file.
"""
import errno
import os

from resnetc.io import EncodedImage, decode_to_pil
from resnetc.datasets.vision import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """True if ``filename`` (lowercased) ends with one of ``extensions`` (lowercase)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename):
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def _permission_error(path, err):
    return PermissionError(err.errno or errno.EACCES,
                           "Permission denied while indexing the dataset (a folder needs read and "
                           "execute permission)", path)


def find_classes(directory):
    """Sorted names of the sub-folders of ``directory``, and ``{name: index}``."""
    try:
        with os.scandir(directory) as entries:
            classes = sorted(entry.name for entry in entries if entry.is_dir())
    except PermissionError as err:
        raise _permission_error(os.fspath(directory), err) from None
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def _list_tree(top):
    """``[(folder, [file names])]`` for ``top`` and every folder below it, following symlinks to
    folders, in the order of ``sorted(os.walk(top, followlinks=True))`` (folders sorted by path
    string, which is not depth-first: "a/b" < "a/b-c" < "a/b/x"). File names are unsorted.
    "Files" are all entries that are not folders, as in os.walk.

    A symlinked folder is not entered if its real path is, or contains, the real path of the
    current folder, of ``top``, or of a folder a symlink was taken from on the way here: entering
    it would walk a cycle (os.walk follows one until the path is too long)."""
    listing = []
    pending = [(top, None)]  # (folder, real paths of top and of the folders symlinks were taken from)
    while pending:
        folder, chain = pending.pop()
        names = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if not is_dir:
                        names.append(entry.name)
                    elif not entry.is_symlink():
                        pending.append((entry.path, chain))
                    else:
                        visited = (chain or (os.path.realpath(top),)) + (os.path.realpath(folder),)
                        target = os.path.realpath(entry.path)
                        if not any(_within(path, target) for path in visited):
                            pending.append((entry.path, visited))
        except PermissionError as err:
            raise _permission_error(folder, err) from None
        except FileNotFoundError:
            continue  # removed while we walked (os.walk skips it too)
        listing.append((folder, names))
    listing.sort(key=lambda item: item[0])
    return listing


def _within(path, folder):
    """True if ``path`` is ``folder`` or inside it (both real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False):
    """``[(path, class_index)]`` for the files under ``directory/<class>/`` (any depth).

    Exactly one of ``extensions`` (matched case-insensitively against the file name's end) and
    ``is_valid_file`` (called with the path) must be given. Classes are visited in sorted order,
    folders in sorted path order, files in sorted name order. Raises FileNotFoundError naming the
    classes without a valid file unless ``allow_empty``.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        suffixes = extensions if isinstance(extensions, str) else tuple(extensions)

    instances = []
    available_classes = set()
    for target_class in sorted(class_to_idx.keys()):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        count = len(instances)
        for folder, names in _list_tree(target_dir):
            prefix = folder if folder.endswith(os.sep) else folder + os.sep
            names.sort()
            if extensions is not None:
                # The extension is the end of the name, so checking the name is checking the path.
                instances.extend([(prefix + name, class_index) for name in names
                                  if name.lower().endswith(suffixes)])
            else:
                for name in names:
                    path = prefix + name
                    if is_valid_file(path):
                        instances.append((path, class_index))
        if len(instances) > count:
            available_classes.add(target_class)

    empty_classes = set(class_to_idx.keys()) - available_classes
    if empty_classes and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty_classes))}. "
        if extensions is not None:
            msg += f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return instances


def _add_note(exc, note):
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    return exc


class DatasetFolder(VisionDataset):
    """A dataset of ``(loader(path), class_index)`` from ``root/<class>/**/<file>``.

    Args:
        root: root folder.
        loader: callable ``path -> sample``.
        extensions: allowed file extensions (lowercase); exclusive with ``is_valid_file``.
        transform: callable applied to the loaded sample.
        target_transform: callable applied to the class index.
        is_valid_file: callable ``path -> bool`` selecting files; exclusive with ``extensions``.
        allow_empty: if True, class folders without a valid file are allowed.

    Attributes: ``classes`` (sorted class names), ``class_to_idx``, ``samples`` (list of
    ``(path, class_index)``), ``targets`` (the class indices), ``loader``, ``extensions``.
    Override :meth:`find_classes` / :meth:`make_dataset` to change the layout.
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx=class_to_idx, extensions=extensions,
                                    is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        """``[(path, class_index)]``; see :func:`make_dataset`. ``class_to_idx`` is required."""
        if class_to_idx is None:
            # make_dataset() alone would use find_classes(), not a possibly overridden method.
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions=extensions, is_valid_file=is_valid_file,
                            allow_empty=allow_empty)

    def find_classes(self, directory):
        """Class names (the sorted sub-folders of ``directory``) and ``{name: index}``."""
        return find_classes(directory)

    def sample_path(self, index):
        """The file behind sample ``index`` (used in error messages)."""
        return self.samples[index][0]

    def __getitem__(self, index):
        path, target = self.samples[index]
        try:
            sample = self.loader(path)
            if self.loader is default_loader and not _decodes_itself(self.transform):
                sample = decode_to_pil(sample)
            if self.transform is not None:
                sample = self.transform(sample)
        except Exception as exc:
            if path not in str(exc):
                _add_note(exc, f"while loading {path}")
            raise
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)


def pil_loader(path):
    """torchvision's loader: the file opened with Pillow and converted to RGB."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("pil_loader needs Pillow: pip install pillow") from None
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def default_loader(path):
    """ImageFolder's default loader: an undecoded :class:`resnetc.io.EncodedImage`, which the
    dataset decodes to a PIL image unless its transform is resnetc's (see the module docstring)."""
    return EncodedImage.from_file(path)


def _decodes_itself(transform):
    """Whether a transform takes an EncodedImage and always gives back a decoded result:
    resnetc's Compose (which may run the fused path) and the weights' preset. Anything else
    (None, a single transform that may return its input untouched, Lambda, the user's own
    callables) gets what torchvision's loader gives, a PIL image."""
    from resnetc.transforms import Compose
    from resnetc.transforms._presets import ImageClassification
    return isinstance(transform, (Compose, ImageClassification))


class ImageFolder(DatasetFolder):
    """A dataset of images in ``root/<class>/**/<image>`` with the extensions in IMG_EXTENSIONS.

    Same arguments and attributes as torchvision's ImageFolder (plus ``imgs``, a synonym of
    ``samples``). A sample is a PIL image in RGB, as in torchvision, except that a resnetc
    Compose receives the undecoded file (see the module docstring).
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
