"""Module backward hooks against torch's, on resnet18 (eval mode, so batchnorm is a fixed affine
map and both libraries' gradients agree to 1e-4): grad_input/grad_output seen by the hooks,
gradients replaced by them, Grad-CAM, and the error for unsupported module signatures."""
import numpy as np
import pytest
import torch
import torchvision

import resnetc
from resnetc import models, nn

TOL = dict(rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def pair():
    torch.manual_seed(0)
    theirs = torchvision.models.resnet18(num_classes=5).eval()
    ours = models.resnet18(num_classes=5).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(2, 3, 64, 64)).astype(np.float32)
    return ours, theirs, x


def _run(model, lib, x, where, kind, replace=None):
    seen = []
    module = model
    for part in where.split("."):
        module = module[int(part)] if part.isdigit() else getattr(module, part)

    def full(m, grad_input, grad_output):
        seen.append(([None if g is None else g.detach().numpy().copy() for g in grad_input],
                     [g.detach().numpy().copy() for g in grad_output]))
        if replace == "input" and grad_input[0] is not None:
            return (grad_input[0] * 2,)

    def pre(m, grad_output):
        seen.append(([], [g.detach().numpy().copy() for g in grad_output]))
        if replace == "output":
            return (grad_output[0] * 3,)

    handle = module.register_full_backward_hook(full) if kind == "full" else module.register_full_backward_pre_hook(pre)
    inp = lib.tensor(x, requires_grad=True)
    model.zero_grad()
    model(inp)[:, 1].sum().backward()
    handle.remove()
    return seen, inp.grad.numpy(), model.conv1.weight.grad.numpy().copy()


@pytest.mark.parametrize("where", ["layer4", "layer3.1", "layer2.0.conv2", "conv1", "fc"])
@pytest.mark.parametrize("kind, replace", [("full", None), ("full", "input"), ("pre", None), ("pre", "output")])
def test_backward_hooks_match_torch(pair, where, kind, replace):
    ours_model, theirs_model, x = pair
    ours, ours_dx, ours_dw = _run(ours_model, resnetc, x, where, kind, replace)
    theirs, theirs_dx, theirs_dw = _run(theirs_model, torch, x, where, kind, replace)
    assert len(ours) == len(theirs) == 1
    (ours_in, ours_out), (theirs_in, theirs_out) = ours[0], theirs[0]
    assert len(ours_in) == len(theirs_in) and len(ours_out) == len(theirs_out)
    for a, b in zip(ours_in + ours_out, theirs_in + theirs_out):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, **TOL)
    np.testing.assert_allclose(ours_dx, theirs_dx, **TOL)  # replacements flowed back as in torch
    np.testing.assert_allclose(ours_dw, theirs_dw, **TOL)


def test_removed_hooks_and_no_grad_mode(pair):
    model, _, x = pair
    calls = []
    handle = model.layer1.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    with resnetc.no_grad():
        model(resnetc.tensor(x))
    handle.remove()
    model(resnetc.tensor(x, requires_grad=True)).sum().backward()
    assert calls == []


def test_grad_cam_as_in_tutorials(pair):
    """The usual Grad-CAM: activations from a forward hook, gradients from a backward hook."""
    ours_model, theirs_model, x = pair
    maps = []
    for model, lib in ((ours_model, resnetc), (theirs_model, torch)):
        store = {}
        h1 = model.layer4.register_forward_hook(lambda m, i, o: store.update(act=o.detach()))
        h2 = model.layer4.register_full_backward_hook(lambda m, gi, go: store.update(grad=go[0].detach()))
        out = model(lib.tensor(x[:1]))
        out[0, out[0].argmax()].backward()
        h1.remove()
        h2.remove()
        weights = store["grad"].numpy().mean(axis=(2, 3), keepdims=True)
        maps.append(np.maximum((weights * store["act"].numpy()).sum(axis=1), 0))
    np.testing.assert_allclose(maps[0], maps[1], **TOL)


def test_unsupported_signatures_raise_clearly():
    class TwoInputs(nn.Module):
        def forward(self, a, b):
            return a + b

    m = TwoInputs()
    m.register_full_backward_hook(lambda *args: None)
    a, b = resnetc.ones(2, requires_grad=True), resnetc.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="more than one input that requires grad"):
        m(a, b)
    assert m(a, resnetc.ones(2)).shape == (2,)  # one input needing grad is fine


def test_input_without_grad_gives_none_as_torch(pair):
    ours_model, theirs_model, x = pair
    seen = {}
    for model, lib in ((ours_model, resnetc), (theirs_model, torch)):
        def hook(m, grad_input, grad_output, name=lib.__name__):
            seen[name] = (grad_input, grad_output[0].detach().numpy().copy())

        handle = model.conv1.register_full_backward_hook(hook)
        model.zero_grad()
        model(lib.tensor(x)).sum().backward()
        handle.remove()
    assert seen["resnetc"][0] == (None,) and seen["torch"][0] == (None,)
    np.testing.assert_allclose(seen["resnetc"][1], seen["torch"][1], **TOL)
