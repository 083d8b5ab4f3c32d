"""Reassigning a registered name keeps its position, as torch.nn.Module does."""
import numpy as np
import torch
import torchvision

import resnetc
from resnetc import models, nn


def _replace_conv1_and_fc(model, lib):
    model.conv1 = lib.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.fc = lib.nn.Linear(512, 10)
    return model


def test_replacing_conv1_and_fc_keeps_torchvision_order():
    ours = _replace_conv1_and_fc(models.resnet18(), resnetc)
    theirs = _replace_conv1_and_fc(torchvision.models.resnet18(), torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert repr(ours).splitlines()[1].strip() == "(conv1): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), " \
                                                 "padding=(1, 1), bias=False)"
    assert ours.state_dict()["fc.weight"].shape == (10, 512)


def test_features_from_children_after_replacing_conv1():
    model = models.resnet18()
    model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    features = nn.Sequential(*list(model.children())[:-1])
    out = features(resnetc.Tensor(np.random.default_rng(0).random((2, 3, 32, 32), np.float32)))
    assert out.shape == (2, 512, 1, 1)


def _reassign_parameter_and_buffer(layer, bn, lib):
    layer.weight = lib.nn.Parameter(lib.zeros(3, 4))
    bn.running_mean = lib.ones(3)
    return layer, bn


def test_reassigning_a_parameter_or_buffer_keeps_its_position():
    ours = _reassign_parameter_and_buffer(nn.Linear(4, 3), nn.BatchNorm2d(3), resnetc)
    theirs = _reassign_parameter_and_buffer(torch.nn.Linear(4, 3), torch.nn.BatchNorm2d(3), torch)
    for a, b in zip(ours, theirs):
        assert list(a.state_dict()) == list(b.state_dict())
    assert [n for n, _ in ours[0].named_parameters()] == ["weight", "bias"]
    assert (ours[1].running_mean.array == 1).all()


def test_a_module_replacing_a_parameter_moves_to_the_modules():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(resnetc.zeros(2))
            self.b = nn.Linear(2, 2)

    holder = Holder()
    holder.a = nn.Linear(2, 1)
    assert list(holder._parameters) == [] and list(holder._modules) == ["b", "a"]
    holder.a = nn.Parameter(resnetc.zeros(2))
    assert list(holder._parameters) == ["a"] and list(holder._modules) == ["b"]
