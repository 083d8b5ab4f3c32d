"""get_submodule / get_parameter / get_buffer and the dtype conversions, against torch."""
import pytest
import torch
import torchvision

import resnetc
from resnetc import models, nn


@pytest.fixture(scope="module")
def pair():
    return models.resnet18(), torchvision.models.resnet18()


@pytest.mark.parametrize("target", ["", "layer1", "layer2.0.downsample.0"])
def test_get_submodule(pair, target):
    ours, theirs = pair
    assert type(ours.get_submodule(target)).__name__ == type(theirs.get_submodule(target)).__name__


@pytest.mark.parametrize("target", ["conv1.weight", "layer3.1.bn2.bias", "fc.weight"])
def test_get_parameter(pair, target):
    ours, theirs = pair
    param = ours.get_parameter(target)
    assert isinstance(param, nn.Parameter) and param.shape == tuple(theirs.get_parameter(target).shape)
    assert param is dict(ours.named_parameters())[target]


@pytest.mark.parametrize("target", ["bn1.running_mean", "layer4.1.bn1.num_batches_tracked"])
def test_get_buffer(pair, target):
    ours, theirs = pair
    buffer = ours.get_buffer(target)
    assert buffer is dict(ours.named_buffers())[target]
    assert buffer.shape == tuple(theirs.get_buffer(target).shape)


@pytest.mark.parametrize("method,target", [
    ("get_submodule", "layer9"), ("get_submodule", "conv1.weight"), ("get_submodule", "layer1.0.nope"),
    ("get_parameter", "bn1.running_mean"), ("get_parameter", "fc.nope"), ("get_parameter", "layer1"),
    ("get_buffer", "fc.weight"), ("get_buffer", "bn1.nope"),
])
def test_accessor_errors_match_torch(pair, method, target):
    ours, theirs = pair
    with pytest.raises(AttributeError) as expected:
        getattr(theirs, method)(target)
    with pytest.raises(AttributeError) as got:
        getattr(ours, method)(target)
    assert str(got.value) == str(expected.value)


def test_float32_conversions_return_the_module():
    model = nn.Linear(2, 1)
    assert model.float() is model
    assert model.type(resnetc.float32) is model and model.type("torch.FloatTensor") is model


@pytest.mark.parametrize("convert", [lambda m: m.double(), lambda m: m.half(), lambda m: m.bfloat16(),
                                     lambda m: m.type(resnetc.float64), lambda m: m.type("torch.HalfTensor"),
                                     lambda m: m.to(resnetc.float64)])
def test_other_dtypes_raise_clearly_and_leave_the_model_float32(convert):
    model = nn.Linear(2, 1)
    with pytest.raises(NotImplementedError, match="float32"):
        convert(model)
    with pytest.raises(TypeError, match="float32"):  # what .to(dtype) has always raised
        convert(model)
    assert all(p.dtype == resnetc.float32 for p in model.parameters())


def test_type_rejects_a_non_dtype():
    with pytest.raises(TypeError, match="not a dtype"):
        nn.Linear(2, 1).type("torch.NopeTensor")
