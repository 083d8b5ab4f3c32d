"""torchvision's weights enums and model registry (ResNet50_Weights, get_model, list_models...)
against torchvision's own: members, URLs, metadata, preprocessing, and the builders' checks."""
import copy
import pickle

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

import resnetc
from resnetc import models
from samples.images import photo_like

ARCHS = models.list_models()
METADATA = ("num_params", "min_size", "recipe", "_metrics", "_ops", "_file_size", "categories")


def test_the_families_of_torchvision_are_all_there():
    theirs = torchvision.models.list_models(include=["resnet*", "resnext*", "wide_resnet*"])
    assert ARCHS == theirs


@pytest.mark.parametrize("arch", ARCHS)
def test_weights_enum_matches_torchvision(arch):
    ours, theirs = models.get_model_weights(arch), torchvision.models.get_model_weights(arch)
    assert ours.__name__ == theirs.__name__
    assert list(ours.__members__) == list(theirs.__members__)  # DEFAULT included, as an alias
    assert ours.DEFAULT.name == theirs.DEFAULT.name
    for name, member in ours.__members__.items():
        reference = theirs[name]
        assert member.url == reference.url
        assert member.transforms.keywords == reference.transforms.keywords
        for key in METADATA:
            assert member.meta[key] == reference.meta[key], key
    assert repr(ours.DEFAULT) == f"{theirs.__name__}.{theirs.DEFAULT.name}"


@pytest.mark.parametrize("weights", ["ResNet50_Weights.IMAGENET1K_V1", "ResNet50_Weights.IMAGENET1K_V2"])
def test_weights_transforms_match_torchvision(weights):
    ours, theirs = models.get_weight(weights).transforms(), torchvision.models.get_weight(weights).transforms()
    photo = photo_like(300, 380, seed=5)
    expected = theirs(Image.fromarray(photo)).numpy()
    for image in (Image.fromarray(photo), photo.copy()):  # a PIL image and the same HWC uint8 array
        out = ours(image)
        assert isinstance(out, resnetc.Tensor) and out.array.dtype == np.float32
        np.testing.assert_allclose(out.array, expected, atol=1e-5)  # same pixels, float32 normalize
    # A float CHW tensor goes through torchvision's tensor path: 2e-5 as the Resize parity tests.
    chw = np.ascontiguousarray(photo.transpose(2, 0, 1)).astype(np.float32) / 255
    np.testing.assert_allclose(ours(resnetc.Tensor(chw)).array, theirs(torch.from_numpy(chw)).numpy(),
                               atol=2e-5 / 0.224)
    assert ours.describe() and "resize_size" in repr(ours)


def test_builders_take_members_from_their_own_enum(resnet18_hub_cache):
    model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
    expected = torch.load(resnet18_hub_cache, weights_only=True)["conv1.weight"].numpy()
    np.testing.assert_array_equal(model.conv1.weight.array, expected)
    model = models.get_model("resnet18", weights="ResNet18_Weights.IMAGENET1K_V1", num_classes=1000)
    np.testing.assert_array_equal(model.conv1.weight.array, expected)
    state = models.ResNet18_Weights.DEFAULT.get_state_dict(progress=False)  # torchvision's idiom
    np.testing.assert_array_equal(state["conv1.weight"], expected)

    # A member of another model's enum: the same check and error as torchvision's builders.
    with pytest.raises(TypeError, match="expected ResNet50_Weights but received ResNet18_Weights"):
        models.resnet50(weights=models.ResNet18_Weights.DEFAULT)
    with pytest.raises(TypeError, match="expected ResNet50_Weights but received ResNet18_Weights"):
        torchvision.models.resnet50(weights=torchvision.models.ResNet18_Weights.DEFAULT)
    with pytest.raises(ValueError, match="Invalid value ResNet18_Weights.IMAGENET1K_V1 for enum ResNet50_Weights"):
        models.resnet50(weights="ResNet18_Weights.IMAGENET1K_V1")
    with pytest.raises(FileNotFoundError, match=r"resnet50-11ad3fa6\.pth"):
        models.resnet50(weights=models.ResNet50_Weights.DEFAULT)


def test_members_pickle_copy_and_verify_like_torchvision():
    member = models.ResNet50_Weights.DEFAULT
    assert pickle.loads(pickle.dumps(member)) is member
    assert copy.deepcopy(member) is member and copy.copy(member) is member
    assert models.ResNet50_Weights["IMAGENET1K_V2"] is member and member in models.ResNet50_Weights
    ours, theirs = models.ResNet50_Weights, torchvision.models.ResNet50_Weights
    for value in (None, "IMAGENET1K_V1", "ResNet50_Weights.DEFAULT"):
        result, reference = ours.verify(value), theirs.verify(value)
        assert (result and result.name) == (reference and reference.name)
    with pytest.raises(TypeError, match="expected ResNet50_Weights but received ResNet18_Weights"):
        ours.verify(models.ResNet18_Weights.DEFAULT)
    with pytest.raises(KeyError):
        ours.verify("IMAGENET1K_V9")


def test_registry_functions():
    assert models.list_models(include="resnet*", exclude=["*101*", "*152"]) == [
        "resnet18", "resnet34", "resnet50"]
    assert models.list_models(module=models) == ARCHS
    assert models.list_models(module=resnetc.transforms) == []
    assert models.list_models(module=resnetc) == torchvision.models.list_models(module=torchvision) == []
    assert models.get_model("ResNet18", num_classes=7).fc.weight.shape == (7, 512)
    assert models.get_model_weights(models.wide_resnet50_2) is models.Wide_ResNet50_2_Weights
    assert models.get_weight("ResNet50_Weights.DEFAULT") is models.ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(ValueError, match="Unknown model vgg16"):
        models.get_model("vgg16")
    with pytest.raises(ValueError, match="unknown weights 'ResNet50_Weights.V9'"):
        models.get_weight("ResNet50_Weights.V9")
