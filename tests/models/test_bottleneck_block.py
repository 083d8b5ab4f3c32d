"""The fused bottleneck op against torchvision's Bottleneck and against resnetc's own
layer-by-layer path (RESNETC_FUSED_BLOCK=0 semantics), in train and eval mode, on every ISA."""
import numpy as np
import pytest
import torch
from torchvision.models.resnet import Bottleneck as TorchBottleneck

import resnetc
from resnetc import _C, nn
from resnetc.models import _fused_block
from resnetc.models.resnet import Bottleneck
from resnetc.nn.functional._bottleneck import BlockLayer, bottleneck
from torch_twins import randomize_batchnorm

# (inplanes, planes, stride, groups, base_width, dilation, downsample)
CONFIGS = {
    "identity": (32, 8, 1, 1, 64, 1, False),
    "downsample": (16, 8, 1, 1, 64, 1, True),
    "stride2": (16, 8, 2, 1, 64, 1, True),
    "resnext": (32, 8, 2, 4, 8, 1, True),
    "wide": (32, 8, 1, 1, 128, 1, False),
    "dilated": (32, 8, 1, 1, 64, 2, False),
}


def twin_blocks(inplanes, planes, stride, groups, base_width, dilation, downsample, seed=0):
    torch.manual_seed(seed)
    down_t = down_r = None
    if downsample:
        down_t = torch.nn.Sequential(torch.nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                                     torch.nn.BatchNorm2d(planes * 4))
        down_r = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))
    ref = TorchBottleneck(inplanes, planes, stride, down_t, groups, base_width, dilation)
    randomize_batchnorm(ref)
    ours = Bottleneck(inplanes, planes, stride, down_r, groups, base_width, dilation)
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    return ref, ours


def rel_err(ours, theirs):
    ours = np.asarray(ours, np.float64)
    theirs = theirs.detach().double().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs, np.float64)
    return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-12))


def run_ours(block, x, grad):
    xt = resnetc.Tensor(x.copy(), requires_grad=True)
    out = block(xt)
    out.backward(grad)
    return np.asarray(out), np.asarray(xt.grad), {k: np.asarray(p.grad) for k, p in block.named_parameters()}


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("config", CONFIGS)
def test_fused_block_matches_torchvision(config, train, isa):
    """Output 1e-4 and gradients 1e-3 relative to the largest entry, running stats 1e-5."""
    ref, ours = twin_blocks(*CONFIGS[config])
    ref.train(train)
    ours.train(train)
    rng = np.random.default_rng(1)
    inplanes = CONFIGS[config][0]
    x = rng.standard_normal((3, inplanes, 10, 10)).astype(np.float32)
    grad = rng.standard_normal(ref(torch.from_numpy(x)).shape).astype(np.float32)
    ref.zero_grad()
    for m in ref.modules():  # undo the shape probe's running-stat update
        if isinstance(m, torch.nn.BatchNorm2d):
            m.num_batches_tracked.zero_()
    ref.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})

    xt = torch.from_numpy(x.copy()).requires_grad_()
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(grad))
    out, dx, grads = run_ours(ours, x, grad)

    assert rel_err(out, out_t) < 1e-4
    assert rel_err(dx, xt.grad) < 1e-3
    for name, p in ref.named_parameters():
        assert rel_err(grads[name], p.grad) < 1e-3, name
    for name, b in ref.named_buffers():
        np.testing.assert_allclose(np.asarray(ours.state_dict()[name]), b.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name)


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("config", ["identity", "wide"])
def test_fused_block_relu_passes_nothing_where_bn_output_is_zero(config, train, isa):
    """The fused backward recomputes each inner ReLU's mask from the saved conv output: a BN
    channel with weight and bias 0 outputs exact zeros, which must stop the gradient (as torch).
    ("wide": conv2 has 16 channels, so it runs by Winograd and applies BN1 + ReLU itself.)"""
    ref, ours = twin_blocks(*CONFIGS[config])
    with torch.no_grad():
        for bn, channel in ((ref.bn1, 0), (ref.bn2, 3)):
            bn.weight[channel] = 0.0
            bn.bias[channel] = 0.0
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    ref.train(train)
    ours.train(train)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, CONFIGS[config][0], 7, 7)).astype(np.float32)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    ref(xt).backward(torch.from_numpy(grad))
    _, dx, grads = run_ours(ours, x, grad)

    assert grads["bn1.weight"][0] == 0 and grads["bn1.bias"][0] == 0
    assert grads["bn2.weight"][3] == 0 and grads["bn2.bias"][3] == 0
    assert rel_err(dx, xt.grad) < 1e-3
    for name, p in ref.named_parameters():
        assert rel_err(grads[name], p.grad) < 1e-3, name


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("config", ["identity", "stride2", "resnext", "wide"])
def test_fused_block_equals_layer_by_layer(config, train, monkeypatch):
    """Same kernels in the same order: the forward is bit-identical, gradients differ only by
    the order two residual terms are summed. ("wide": a Winograd conv2 applies BN1 + ReLU to
    its input as it transforms it, with the separate layers' arithmetic, on 9x9 maps whose
    last tile column is half outside.)"""
    _, fused = twin_blocks(*CONFIGS[config])
    _, plain = twin_blocks(*CONFIGS[config])
    fused.train(train)
    plain.train(train)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, CONFIGS[config][0], 9, 9)).astype(np.float32)
    out_f = fused(resnetc.Tensor(x))
    grad = rng.standard_normal(out_f.shape).astype(np.float32)
    fused.load_state_dict(plain.state_dict())
    out_f, dx_f, grads_f = run_ours(fused, x, grad)
    monkeypatch.setattr(_fused_block, "ENABLED", False)
    out_p, dx_p, grads_p = run_ours(plain, x, grad)

    np.testing.assert_array_equal(out_f, out_p)
    np.testing.assert_allclose(dx_f, dx_p, rtol=1e-5, atol=1e-6)
    for name in grads_p:
        np.testing.assert_allclose(grads_f[name], grads_p[name], rtol=1e-5, atol=1e-6, err_msg=name)
    for name, value in plain.state_dict().items():
        np.testing.assert_array_equal(np.asarray(fused.state_dict()[name]), np.asarray(value), err_msg=name)


@pytest.mark.parametrize("size", [8, 12], ids=["8x8", "12x12"])
@pytest.mark.parametrize("config", CONFIGS)
def test_no_grad_forward_keeps_nothing_and_matches(config, size, isa):
    """Inference computes each BN + ReLU in place over its convolution's output, where a forward
    that keeps activations for backward writes them apart: the outputs are bit-identical, and
    match torchvision's within 1e-4 of the largest (as in train mode above). 8x8 maps take the
    convolutions' chunked paths, 12x12 their per-image GEMMs."""
    ref, block = twin_blocks(*CONFIGS[config])
    ref.eval()
    block.eval()
    x = np.random.default_rng(3).standard_normal((2, CONFIGS[config][0], size, size)).astype(np.float32)
    with_grad = block(resnetc.Tensor(x, requires_grad=True))
    with resnetc.no_grad():
        without = block(resnetc.Tensor(x, requires_grad=True))
    assert without._node is None and with_grad._node is not None
    np.testing.assert_array_equal(np.asarray(without), np.asarray(with_grad))
    with torch.no_grad():
        assert rel_err(without, ref(torch.from_numpy(x))) < 1e-4


def test_frozen_block_only_computes_the_input_gradient():
    _, block = twin_blocks(*CONFIGS["downsample"])
    block.requires_grad_(False)
    x = resnetc.Tensor(np.random.default_rng(4).standard_normal((2, 16, 6, 6)).astype(np.float32), requires_grad=True)
    block(x).sum().backward()
    assert x.grad is not None and np.abs(np.asarray(x.grad)).max() > 0
    assert all(p.grad is None for p in block.parameters())


def test_momentum_none_and_untracked_stats_follow_batchnorm2d(monkeypatch):
    def build(fused):
        _, block = twin_blocks(*CONFIGS["downsample"])
        block.bn1.momentum = None
        block.bn2 = nn.BatchNorm2d(block.bn2.num_features, track_running_stats=False)
        block.train()
        monkeypatch.setattr(_fused_block, "ENABLED", fused)
        x = np.random.default_rng(5).standard_normal((2, 16, 6, 6)).astype(np.float32)
        for _ in range(3):
            out = block(x)
        return np.asarray(out), block.state_dict()

    out_f, state_f = build(True)
    out_p, state_p = build(False)
    np.testing.assert_array_equal(out_f, out_p)
    assert state_f.keys() == state_p.keys()
    for name in state_p:
        np.testing.assert_array_equal(np.asarray(state_f[name]), np.asarray(state_p[name]), err_msg=name)


def test_hooked_layers_run_layer_by_layer():
    _, block = twin_blocks(*CONFIGS["identity"])
    seen = []
    block.conv2.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    block(np.zeros((2, 32, 5, 5), np.float32))
    assert seen == [(2, 8, 5, 5)]


def test_single_value_per_channel_is_refused_in_training():
    _, block = twin_blocks(*CONFIGS["identity"])
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        block(np.zeros((1, 32, 1, 1), np.float32))


def layers_of(block):
    pairs = [(block.conv1, block.bn1), (block.conv2, block.bn2), (block.conv3, block.bn3)]
    return [BlockLayer(c.weight, b.weight, b.bias, b.running_mean, b.running_var, b.eps, 0.1, c.stride,
                       c.padding, c.dilation, c.groups) for c, b in pairs]


def test_binding_refuses_layers_that_do_not_chain():
    _, block = twin_blocks(*CONFIGS["identity"])
    x = np.zeros((2, 16, 5, 5), np.float32)  # the block takes 32 channels
    with pytest.raises(ValueError, match="conv1 weight .* does not take 16 input channels"):
        bottleneck(x, layers_of(block), True)
    layers = layers_of(block)
    layers[2].weight = np.zeros((16, 8, 1, 1), np.float32)  # the residual would not match
    layers[2].bn_weight, layers[2].bn_bias = np.ones(16, np.float32), np.zeros(16, np.float32)
    layers[2].running_mean, layers[2].running_var = np.zeros(16, np.float32), np.ones(16, np.float32)
    with pytest.raises(ValueError, match="do not chain"):
        bottleneck(np.zeros((2, 32, 5, 5), np.float32), layers, True)


def test_binding_checks_dtypes_and_vectors():
    _, block = twin_blocks(*CONFIGS["identity"])
    with pytest.raises(TypeError, match="float32"):
        bottleneck(np.zeros((2, 32, 5, 5), np.float64), layers_of(block), True)
    layers = layers_of(block)
    layers[1].bn_weight = np.ones(3, np.float32)
    with pytest.raises(ValueError, match="conv2 bn weight must have shape \\(8\\)"):
        bottleneck(np.zeros((2, 32, 5, 5), np.float32), layers, True)
    args = tuple(layer.as_args() for layer in layers_of(block))
    out, saved = _C.bottleneck_forward(np.zeros((2, 32, 5, 5), np.float32), args, True, True)
    bad_saved = (saved[0][:2], saved[1], saved[2])
    with pytest.raises(ValueError, match="saved conv output must be a tuple of 3"):
        _C.bottleneck_backward(out, out, np.zeros((2, 32, 5, 5), np.float32), args, bad_saved, True, True, True)


def test_binding_requires_running_stats_without_batch_stats():
    _, block = twin_blocks(*CONFIGS["identity"])
    layers = layers_of(block)
    layers[1].running_mean = layers[1].running_var = None
    with pytest.raises(ValueError, match="conv2 needs running_mean and running_var"):
        bottleneck(np.zeros((2, 32, 5, 5), np.float32), layers, False)
    assert bottleneck(np.zeros((2, 32, 5, 5), np.float32), layers, True).shape == (2, 32, 5, 5)
