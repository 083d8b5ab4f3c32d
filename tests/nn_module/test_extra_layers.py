"""The small layers (activations, norms, pooling, upsampling, losses) against torch's modules:
same parameter names, same outputs and gradients for the same weights."""
import warnings

import numpy as np
import pytest
import torch

import resnetc
from resnetc import nn

LAYERS = [
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("ReLU6", (), {}), ("ELU", (0.7,), {}),
    ("Hardswish", (), {}), ("Mish", (), {}), ("PReLU", (), {}), ("PReLU", (4,), {"init": 0.1}),
    ("AdaptiveMaxPool2d", ((2, 3),), {}), ("Upsample", (), {"scale_factor": 2}),
    ("Upsample", (), {"size": (7, 5), "mode": "bilinear", "align_corners": False}), ("Unflatten", (1, (2, 2)), {}),
    ("LayerNorm", ((6, 5),), {}), ("LayerNorm", (5,), {"elementwise_affine": False}), ("GroupNorm", (2, 4), {}),
    ("GroupNorm", (4, 4), {"affine": False}), ("Dropout2d", (0.3,), {}),
]


def _copy_parameters(ours, theirs, rng):
    for (name, p), (t_name, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == t_name
        values = rng.standard_normal(p.shape).astype(np.float32)
        p.array[...] = values
        with torch.no_grad():
            tp.copy_(torch.tensor(values))


@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[f"{n}{a}{k}" for n, a, k in LAYERS])
def test_layer_matches_torch(rng, name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    _copy_parameters(ours, theirs, rng)
    if name == "Dropout2d":
        ours.eval(), theirs.eval()
    x = rng.standard_normal((2, 4, 6, 5)).astype(np.float32)
    ours_x = resnetc.Tensor(x, requires_grad=True)
    theirs_x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out, t_out = ours(ours_x), theirs(theirs_x)
    np.testing.assert_allclose(out.array, t_out.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    t_out.backward(torch.tensor(g, dtype=torch.float64))
    np.testing.assert_allclose(ours_x.grad.array, theirs_x.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (pname, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.array, tp.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=pname)


def test_dropout2d_layer_drops_channels_in_training():
    layer = nn.Dropout2d(0.5)
    out = layer(resnetc.Tensor(np.ones((8, 16, 3, 3), np.float32))).array
    assert set(np.unique(out)) <= {0.0, 2.0} and (out == out[..., :1, :1]).all() and 0 < (out == 0).mean() < 1


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
def test_kl_div_loss(rng, reduction):
    logp = np.log(rng.dirichlet(np.ones(5), size=3)).astype(np.float32)
    q = rng.dirichlet(np.ones(5), size=3).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.KLDivLoss(reduction=reduction)(resnetc.Tensor(logp), resnetc.Tensor(q))
        theirs = torch.nn.KLDivLoss(reduction=reduction)(torch.tensor(logp, dtype=torch.float64),
                                                          torch.tensor(q, dtype=torch.float64))
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-5, atol=1e-7)


def _holder(lib):
    class Holder(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.params = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(4)])
            self.params.append(lib.nn.Parameter(lib.ones(1)))

    return Holder()


def test_parameter_list_registers_like_torch():
    ours, theirs = _holder(resnetc), _holder(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(ours.params) == 3 and isinstance(ours.params[1], nn.Parameter) and ours.params[1].requires_grad
    assert [p.shape for p in ours.params] == [tuple(p.shape) for p in theirs.params]
    assert len(ours.params[1:]) == 2
    assert repr(ours.params) == repr(theirs.params).replace("torch.", "")
    replacement = nn.Parameter(resnetc.zeros(5))
    ours.params[0] = replacement
    assert ours.params[0] is replacement and list(ours.state_dict()) == ["params.0", "params.1", "params.2"]


def test_norm_layers_without_bias_match_torch():
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == list(torch.nn.LayerNorm(4, bias=False).state_dict())
    assert repr(nn.GroupNorm(2, 4, bias=False)) == repr(torch.nn.GroupNorm(2, 4, bias=False))
