"""ImageFolder / DatasetFolder against torchvision.datasets on the same generated trees."""
import os

import numpy as np
import pytest
import torchvision.datasets as tvd
from PIL import Image

import resnetc.datasets as rd
import resnetc.transforms as rt
from resnetc.io import EncodedImage

from samples.folders import make_tree


def _same_attributes(ours, theirs):
    assert ours.classes == theirs.classes
    assert ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples
    assert ours.targets == theirs.targets
    assert ours.extensions == theirs.extensions
    assert len(ours) == len(theirs)


def test_image_folder_matches_torchvision(tree):
    ours = rd.ImageFolder(tree, allow_empty=True)
    theirs = tvd.ImageFolder(tree, allow_empty=True)
    _same_attributes(ours, theirs)
    assert ours.imgs == theirs.imgs and ours.imgs is ours.samples
    assert ours.root == theirs.root
    # The corner cases are really in the tree: sub-folder order, symlinked folder, case, hidden file.
    paths = [os.path.relpath(p, tree) for p, _ in ours.samples]
    # Folders are sorted by path string, so "cat/sub/deeper" comes after "cat/sub-x" and "cat/sub.d".
    order = [paths.index(p) for p in ("cat/sub/z.png", "cat/sub-x/y.png", "cat/sub.d/v.bmp", "cat/sub/deeper/w.webp")]
    assert order == sorted(order)
    assert "cat/link_to_dog/1.png" in paths and "cat/a.JPG" in paths and "cat/.hidden.png" in paths
    assert not any(p.endswith("folder.jpg") or p.endswith(".txt") for p in paths)


def test_empty_classes_raise_like_torchvision(tree):
    with pytest.raises(FileNotFoundError) as theirs:
        tvd.ImageFolder(tree)
    with pytest.raises(FileNotFoundError) as ours:
        rd.ImageFolder(tree)
    assert str(ours.value) == str(theirs.value)
    assert "bare_class, empty_class" in str(ours.value)


def test_is_valid_file_and_extensions(tree):
    def valid(path):
        return path.endswith(".png") and "sub" not in path

    ours = rd.ImageFolder(tree, is_valid_file=valid, allow_empty=True)
    theirs = tvd.ImageFolder(tree, is_valid_file=valid, allow_empty=True)
    _same_attributes(ours, theirs)
    assert ours.extensions is None

    def loader(path):
        return path

    for ext in ((".txt", ".md"), ".png", ("",)):
        ours = rd.DatasetFolder(tree, loader, extensions=ext, allow_empty=True)
        theirs = tvd.DatasetFolder(tree, loader, extensions=ext, allow_empty=True)
        _same_attributes(ours, theirs)
        assert ours[0] == theirs[0]


def test_argument_errors_match_torchvision(tree, tmp_path):
    for kwargs in ({}, {"extensions": (".png",), "is_valid_file": bool}):
        with pytest.raises(ValueError) as ours:
            rd.DatasetFolder(tree, str, allow_empty=True, **kwargs)
        with pytest.raises(ValueError) as theirs:
            tvd.DatasetFolder(tree, str, allow_empty=True, **kwargs)
        assert str(ours.value) == str(theirs.value) == \
            "Both extensions and is_valid_file cannot be None or not None at the same time"
    with pytest.raises(ValueError, match="The class_to_idx parameter cannot be None."):
        rd.DatasetFolder.make_dataset(tree, None, extensions=(".png",))
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        rd.make_dataset(tree, {}, extensions=(".png",))

    no_classes = tmp_path / "flat"
    no_classes.mkdir()
    (no_classes / "a.jpg").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        rd.ImageFolder(str(no_classes))
    with pytest.raises(FileNotFoundError):
        rd.ImageFolder(str(tmp_path / "does_not_exist"))


def test_find_classes_and_make_dataset_functions(tree):
    assert rd.find_classes(tree) == tvd.folder.find_classes(tree)
    subset = {"dog": 0, "Zebra": 1}
    assert rd.make_dataset(tree, subset, extensions=rd.IMG_EXTENSIONS) == \
        tvd.folder.make_dataset(tree, subset, extensions=tvd.folder.IMG_EXTENSIONS)
    assert rd.IMG_EXTENSIONS == tvd.folder.IMG_EXTENSIONS
    for name in ("a.JPG", "a.jpeg.txt", "x.Webp", "noext", ".png"):
        assert rd.has_file_allowed_extension(name, rd.IMG_EXTENSIONS) == \
            tvd.folder.has_file_allowed_extension(name, tvd.folder.IMG_EXTENSIONS)


def test_find_classes_override(tree):
    class OnlyDogs(rd.ImageFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 0}

    class TvOnlyDogs(tvd.ImageFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 0}

    _same_attributes(OnlyDogs(tree), TvOnlyDogs(tree))


def test_pathlib_root_and_repr(tree):
    import pathlib
    ours = rd.ImageFolder(pathlib.Path(tree), allow_empty=True, target_transform=lambda t: t + 1,
                          loader=EncodedImage.from_file)  # the files are empty: not decoded
    theirs = tvd.ImageFolder(pathlib.Path(tree), allow_empty=True)
    assert ours.samples == theirs.samples and ours.root == theirs.root
    assert repr(ours).splitlines()[:3] == repr(theirs).splitlines()[:3]
    assert ours[0][1] == theirs.targets[0] + 1


def test_samples_are_pil_images_as_in_torchvision_unless_a_resnetc_transform_decodes(tmp_path, photo_bytes):
    root = make_tree(str(tmp_path / "t"), jpeg_bytes=photo_bytes)
    reference = tvd.ImageFolder(root, allow_empty=True)[0][0]
    for ours in (rd.ImageFolder(root, allow_empty=True),
                 rd.ImageFolder(root, allow_empty=True, loader=rd.pil_loader)):
        sample, target = ours[0]
        assert isinstance(sample, Image.Image) and sample.mode == "RGB" and target == ours.targets[0]
        np.testing.assert_array_equal(np.asarray(sample), np.asarray(reference))

    seen = []
    ours = rd.ImageFolder(root, allow_empty=True, transform=lambda img: seen.append(img.size) or img.mode)
    assert ours[3] == ("RGB", ours.targets[3]) and seen == [reference.size]

    class Spy:  # what a transform is handed
        def __init__(self, transform):
            self.transform = transform

        def __call__(self, img):
            seen.append(img)
            return self.transform(img)

    composed = rd.ImageFolder(root, allow_empty=True, transform=rt.Compose([Spy(rt.CenterCrop(8))]))
    assert composed[1][0].size == (8, 8)  # a Compose gets the file; it decodes before the steps
    assert isinstance(seen[-1], Image.Image)
    for single in (rt.RandomHorizontalFlip(p=0.0), rt.Lambda(lambda img: img), rt.RandomApply([rt.CenterCrop(8)], p=0.0)):
        sample = rd.ImageFolder(root, allow_empty=True, transform=single)[1][0]
        assert isinstance(sample, Image.Image)  # untouched by the transform, still decoded
    from resnetc.transforms import _presets
    preset = _presets.ImageClassification(crop_size=8, resize_size=10)
    assert rd.ImageFolder(root, allow_empty=True, transform=preset)[1][0].shape == (3, 8, 8)
    raw = rd.ImageFolder(root, allow_empty=True, loader=EncodedImage.from_file)[0][0]
    assert isinstance(raw, EncodedImage) and raw.data == photo_bytes


def test_loading_error_names_the_file(tmp_path):
    root = make_tree(str(tmp_path / "t"))

    def failing(sample):
        raise ValueError("cannot decode")

    ds = rd.ImageFolder(root, allow_empty=True, transform=failing, loader=EncodedImage.from_file)
    with pytest.raises(ValueError, match="cannot decode") as info:
        ds[2]
    assert f"while loading {ds.samples[2][0]}" in info.value.__notes__
    plain = rd.ImageFolder(root, allow_empty=True)
    with pytest.raises(ValueError, match=f"{plain.samples[2][0]}: cannot decode an empty file"):
        plain[2]
    os.remove(plain.samples[4][0])  # removed after indexing
    with pytest.raises(FileNotFoundError, match=plain.samples[4][0]):
        plain[4]
    with pytest.raises(IsADirectoryError):
        rd.default_loader(os.path.join(root, "cat", "folder.jpg"))


def test_unreadable_folder_is_a_clear_error(tree, monkeypatch):
    # The tests run as root, where chmod cannot make a folder unreadable: fail os.scandir instead.
    blocked = os.path.join(tree, "dog")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == blocked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(PermissionError, match="Permission denied while indexing the dataset") as info:
        rd.ImageFolder(tree, allow_empty=True)
    assert info.value.filename == blocked

    monkeypatch.setattr(os, "scandir", lambda path=".": (_ for _ in ()).throw(PermissionError(13, "x", path)))
    with pytest.raises(PermissionError, match="Permission denied while indexing") as info:
        rd.find_classes(tree)
    assert info.value.filename == tree


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything; the monkeypatched test covers it")
def test_unreadable_folder_with_chmod(tree):
    blocked = os.path.join(tree, "dog")
    os.chmod(blocked, 0)
    try:
        with pytest.raises(PermissionError, match="Permission denied while indexing the dataset"):
            rd.ImageFolder(tree, allow_empty=True)
    finally:
        os.chmod(blocked, 0o755)


def test_symlink_cycle_is_followed_once(tmp_path):
    root = make_tree(str(tmp_path / "t"), with_loop=True)
    ours = rd.ImageFolder(root, allow_empty=True)
    paths = [p for p, _ in ours.samples]
    assert len(paths) == len(set(os.path.realpath(p) for p in paths if "link_to_dog" not in p)) + \
        sum("link_to_dog" in p for p in paths)
    assert not any("/loop/" in p for p in paths)


def test_two_symlink_cycle_terminates(tmp_path):
    root = tmp_path / "r"
    for d in ("a/real_a", "b/real_b"):
        (root / d).mkdir(parents=True)
    (root / "a" / "real_a" / "1.jpg").touch()
    (root / "b" / "real_b" / "2.jpg").touch()
    os.symlink(root / "b" / "real_b", root / "a" / "real_a" / "to_b")
    os.symlink(root / "a" / "real_a", root / "b" / "real_b" / "to_a")
    paths = [os.path.relpath(p, root) for p, _ in rd.ImageFolder(str(root)).samples]
    assert paths == ["a/real_a/1.jpg", "a/real_a/to_b/2.jpg", "b/real_b/2.jpg", "b/real_b/to_a/1.jpg"]


def test_index_speed_is_reasonable(tmp_path):
    # 2,000 files must index well under a second (100k files take ~0.15 s; see the report).
    root = tmp_path / "many"
    for c in range(2):
        d = root / f"c{c}"
        d.mkdir(parents=True)
        for i in range(1000):
            (d / f"{i}.jpg").touch()
    import time
    t = time.perf_counter()
    ds = rd.ImageFolder(str(root))
    assert len(ds) == 2000 and time.perf_counter() - t < 1.0
    assert ds.samples == tvd.ImageFolder(str(root)).samples
