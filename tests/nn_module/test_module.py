"""Module's API behaves like torch.nn.Module's."""
import numpy as np
import pytest
import torch
import torchvision

import resnetc
from resnetc import models, nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        self.head = nn.Linear(3, 2, bias=False)
        self.register_buffer("scale", np.ones(2, np.float32))
        self.register_buffer("scratch", np.zeros(2, np.float32), persistent=False)

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


def test_registration_and_traversal():
    model = TwoLayer()
    assert [n for n, _ in model.named_parameters()] == ["body.0.weight", "body.0.bias", "head.weight"]
    assert [n for n, _ in model.named_buffers()] == ["scale", "scratch"]
    assert list(model.state_dict()) == ["scale", "body.0.weight", "body.0.bias", "head.weight"]
    assert [n for n, _ in model.named_modules()] == ["", "body", "body.0", "body.1", "head"]
    assert [type(m).__name__ for m in model.children()] == ["Sequential", "Linear"]
    assert model.get_submodule("body.0") is model.body[0]


def test_state_dict_shares_memory_and_loads_copies():
    model = TwoLayer()
    state = model.state_dict()
    assert np.shares_memory(state["head.weight"].array, model.head.weight.array)
    new = {k: np.full(v.shape, 0.5, np.float32) for k, v in state.items()}
    model.load_state_dict(new)
    assert (model.head.weight.array == 0.5).all()
    new["head.weight"][...] = 2
    assert (model.head.weight.array == 0.5).all()


def test_train_eval_requires_grad_and_zero_grad():
    model = TwoLayer()
    assert model.eval() is model and not model.body[0].training
    model.train()
    assert all(m.training for m in model.modules())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_(True)
    model(resnetc.randn(5, 4)).sum().backward()
    assert model.head.weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert not model.head.weight.grad.array.any()
    model.zero_grad()
    assert model.head.weight.grad is None


def test_forward_hooks_see_and_replace_outputs():
    model = TwoLayer()
    seen = []
    handle = model.body.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    model(resnetc.randn(5, 4))
    assert seen == [(5, 3)]
    handle.remove()
    model(resnetc.randn(5, 4))
    assert len(seen) == 1
    model.head.register_forward_hook(lambda module, inputs, output: output * 0)
    assert not model(resnetc.randn(2, 4)).array.any()


def test_assignment_replaces_and_rejects():
    model = TwoLayer()
    model.head = nn.Identity()
    assert "head.weight" not in model.state_dict()
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'head'"):
        model.head = 3
    model.head = None
    assert [n for n, _ in model.named_modules()] == ["", "body", "body.0", "body.1"]
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        model.nothing


def test_repr_matches_torch():
    assert repr(models.resnet50()) == repr(torchvision.models.resnet50())
    assert repr(nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False)) == \
        repr(torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False))
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    assert repr(nn.CrossEntropyLoss()) == repr(torch.nn.CrossEntropyLoss())


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(resnetc.randn(2, 3))
