"""Tensor methods and top-level functions with torch's names (max, min, topk, sigmoid, tanh,
squeeze, unsqueeze, t, cpu, softmax...) against torch: values, indices, shapes and gradients;
and torchvision's inference example, line for line."""
import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

import resnetc
from resnetc import models
from resnetc.io import read_image
from samples.images import photo_like


@pytest.fixture
def x():
    return np.random.default_rng(0).permutation(24).astype(np.float32).reshape(2, 3, 4) / 7  # no ties


def pair(x):
    return resnetc.Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)


def check_grad(ours_out, theirs_out, ours_in, theirs_in):
    upstream = np.random.default_rng(1).standard_normal(tuple(theirs_out.shape)).astype(np.float32)
    ours_out.backward(resnetc.Tensor(upstream))
    theirs_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours_in.grad.array, theirs_in.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("k,dim,largest", [(2, -1, True), (1, 0, True), (3, 1, False), (0, 2, True), (4, -1, False)])
def test_topk(x, k, dim, largest):
    ours, theirs = pair(x)
    values, indices = ours.topk(k, dim, largest)
    t_values, t_indices = theirs.topk(k, dim, largest)
    np.testing.assert_array_equal(indices.array, t_indices.numpy())
    np.testing.assert_array_equal(values.array, t_values.detach().numpy())
    check_grad(values, t_values, ours, theirs)
    with pytest.raises(RuntimeError, match="k out of range"):
        ours.topk(5)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (-1, True)])
def test_max_min_with_and_without_dim(x, name, dim, keepdim):
    ours, theirs = pair(x)
    if dim is None:
        out, ref = getattr(resnetc, name)(ours), getattr(torch, name)(theirs)
    else:
        out, ref = getattr(resnetc, name)(ours, dim, keepdim), getattr(torch, name)(theirs, dim, keepdim)
        np.testing.assert_array_equal(out.indices.array, ref.indices.numpy())
        np.testing.assert_array_equal(getattr(ours, "arg" + name)(dim, keepdim).array, ref.indices.numpy())
        out, ref = out.values, ref.values
    np.testing.assert_array_equal(out.array, ref.detach().numpy())
    check_grad(out, ref, ours, theirs)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "exp", "abs", "softmax", "log_softmax"])
def test_elementwise_and_softmax_functions(x, name):
    x = x - np.float32(1.5)
    x.flat[:2] = [-120.0, 120.0]  # saturated: no overflow warnings, torch's values
    ours, theirs = pair(x)
    args = (1,) if "softmax" in name else ()
    out, ref = getattr(resnetc, name)(ours, *args), getattr(torch, name)(theirs, *args)
    np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-6, atol=1e-7)
    check_grad(out, ref, ours, theirs)
    np.testing.assert_allclose(getattr(ours, name)(*args).array, ref.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_squeeze_unsqueeze_t_cpu(x):
    ours, theirs = pair(x[:, :1, :])
    for dim in (0, 1, 2, 3, -1, -4):
        assert ours.unsqueeze(dim).shape == tuple(theirs.unsqueeze(dim).shape)
    for dim in (None, 0, 1, -2, (0, 1)):
        ref = theirs.squeeze() if dim is None else theirs.squeeze(dim)
        assert ours.squeeze(dim).shape == tuple(ref.shape)  # a dimension not of size 1 stays
    out, ref = resnetc.squeeze(resnetc.unsqueeze(ours, 0), 2), torch.squeeze(torch.unsqueeze(theirs, 0), 2)
    check_grad(out, ref, ours, theirs)
    m = resnetc.Tensor(x[0])
    np.testing.assert_array_equal(m.t().array, torch.tensor(x[0]).t().numpy())
    assert m[0].t() is not None and m.cpu() is m
    with pytest.raises(RuntimeError, match="expects a tensor with <= 2 dimensions"):
        resnetc.Tensor(x).t()
    assert resnetc.matmul(m, m.t()).shape == (3, 3) and m.matmul(m.t()).shape == (3, 3)
    assert int(resnetc.argmax(np.array([1, 5, 2]))) == 1  # arrays are accepted


def test_torchvision_inference_example_runs_as_written(tmp_path, resnet18_hub_cache):
    """torchvision's documented example, with resnetc's names and the same weights file."""
    photo = photo_like(240, 320, seed=7)
    Image.fromarray(photo).save(tmp_path / "photo.png")

    img = read_image(str(tmp_path / "photo.png"))  # an HWC uint8 array (torchvision's: a CHW tensor)
    weights = models.ResNet18_Weights.DEFAULT
    model = models.resnet18(weights=weights)
    model.eval()
    preprocess = weights.transforms()
    batch = preprocess(img).unsqueeze(0)
    prediction = model(batch).squeeze(0).softmax(0)
    class_id = prediction.argmax().item()
    score = prediction[class_id].item()
    category_name = weights.meta["categories"][class_id]

    t_weights = torchvision.models.ResNet18_Weights.DEFAULT
    t_model = torchvision.models.resnet18(weights=t_weights).eval()
    with torch.no_grad():
        t_prediction = t_model(t_weights.transforms()(Image.fromarray(photo)).unsqueeze(0)).squeeze(0).softmax(0)
    assert class_id == t_prediction.argmax().item()
    assert score == pytest.approx(t_prediction[class_id].item(), rel=1e-4)
    assert category_name == t_weights.meta["categories"][class_id]
