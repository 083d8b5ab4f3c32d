"""A torchvision ResNet and a resnetc ResNet holding the same weights compute the same numbers."""
import numpy as np
import pytest
import torch
import torchvision

import resnetc
from resnetc import models

ARCHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "wide_resnet101_2",
         "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d"]


def twin_models(arch, **kwargs):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, arch)(**kwargs)
    # Random affine BN parameters and running stats so that every path is exercised.
    with torch.no_grad():
        for module in reference.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    ours = getattr(models, arch)(**kwargs)
    ours.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    return reference, ours


def max_rel_err(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    return float(np.abs(np.asarray(ours) - theirs).max() / max(np.abs(theirs).max(), 1e-12))


@pytest.mark.parametrize("arch", ARCHS)
def test_state_dict_names_and_shapes_match_torchvision(arch):
    if arch in ("wide_resnet101_2", "resnext101_32x8d", "resnext101_64x4d", "resnet152"):
        # Building these twice is slow; the key layout is what matters, so compare on a meta device.
        with torch.device("meta"):
            reference = getattr(torchvision.models, arch)()
    else:
        reference = getattr(torchvision.models, arch)()
    expected = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in getattr(models, arch)().state_dict().items()}
    assert list(got) == list(expected)
    assert got == expected


@pytest.mark.parametrize("arch,size", [("resnet50", 64), ("resnet18", 48), ("resnext50_32x4d", 48)])
def test_forward_backward_and_running_stats_match(arch, size, isa):
    reference, ours = twin_models(arch, num_classes=10)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, size, size)).astype(np.float32)
    upstream = rng.standard_normal((2, 10)).astype(np.float32)

    # Train mode: batch statistics, running stats updated, gradients for every parameter.
    reference.train(), ours.train()
    logits_ref = reference(torch.from_numpy(x))
    (logits_ref * torch.from_numpy(upstream)).sum().backward()
    logits = ours(resnetc.Tensor(x))
    (logits * resnetc.Tensor(upstream)).sum().backward()
    assert max_rel_err(logits, logits_ref) < 1e-4

    ref_params = dict(reference.named_parameters())
    for name, param in ours.named_parameters():
        assert param.grad is not None, name
        assert max_rel_err(param.grad, ref_params[name].grad) < 1e-3, name
    ref_buffers = dict(reference.named_buffers())
    for name, buffer in ours.named_buffers():
        if name.endswith("num_batches_tracked"):
            assert int(buffer.item()) == int(ref_buffers[name].item()) == 1
        else:
            np.testing.assert_allclose(buffer.array, ref_buffers[name].numpy(), rtol=1e-5, atol=1e-5, err_msg=name)

    # Eval mode: running statistics.
    reference.eval(), ours.eval()
    with torch.no_grad():
        logits_ref = reference(torch.from_numpy(x))
    with resnetc.no_grad():
        logits = ours(resnetc.Tensor(x))
    assert max_rel_err(logits, logits_ref) < 1e-4


def test_zero_init_residual_zeroes_last_bn_of_each_block():
    model = models.resnet50(zero_init_residual=True)
    for name, value in model.state_dict().items():
        if name.endswith("bn3.weight"):
            assert not value.array.any(), name
    model = models.resnet18(zero_init_residual=True)
    assert not model.layer1[0].bn2.weight.array.any()


def test_initialisation_follows_torchvision():
    resnetc.manual_seed(0)
    model = models.resnet50(num_classes=7)
    conv = model.layer2[0].conv2.weight.array  # kaiming normal, fan_out, relu
    fan_out = conv.shape[0] * 9
    assert abs(conv.std() - np.sqrt(2.0 / fan_out)) < 0.05 * np.sqrt(2.0 / fan_out)
    assert (model.layer1[0].bn1.weight.array == 1).all() and (model.layer1[0].bn1.bias.array == 0).all()
    bound = 1 / np.sqrt(2048)  # Linear: kaiming uniform a=sqrt(5) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.abs(model.fc.weight.array).max() <= bound and model.fc.weight.shape == (7, 2048)


def test_load_state_dict_rejects_wrong_shapes_and_keys():
    model = models.resnet18(num_classes=10)
    state = {k: v.array.copy() for k, v in model.state_dict().items()}
    state["fc.weight"] = np.zeros((5, 512), np.float32)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc.weight: copying a param with shape \(5, 512\)"):
        model.load_state_dict(state)
    state.pop("fc.weight")
    state["extra.weight"] = np.zeros(3, np.float32)
    with pytest.raises(RuntimeError, match='Missing key.*"fc.weight"') as error:
        model.load_state_dict(state)
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in str(error.value)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc.weight"] and result.unexpected_keys == ["extra.weight"]


def test_replacing_the_head_registers_it():
    model = models.resnet50()
    model.fc = resnetc.nn.Linear(2048, 10)
    assert model.state_dict()["fc.weight"].shape == (10, 2048)
    assert any(p is model.fc.weight for p in model.parameters())
    x = resnetc.randn(1, 3, 32, 32)
    assert model.eval()(x).shape == (1, 10)
