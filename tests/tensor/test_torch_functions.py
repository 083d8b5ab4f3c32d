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
    assert m[0].t().shape == (4,) and m.cpu() is m
    with pytest.raises(RuntimeError, match="expects a tensor with <= 2 dimensions"):
        resnetc.Tensor(x).t()
    assert resnetc.matmul(m, m.t()).shape == (3, 3) and m.matmul(m.t()).shape == (3, 3)
    assert int(resnetc.argmax(np.array([1, 5, 2]))) == 1  # arrays are accepted


def test_integer_bool_nan_and_0d_inputs_follow_torch():
    images = np.array([[0, 5, 3], [7, 2, 9]], np.uint8)  # no negation tricks on unsigned ints
    ours, theirs = resnetc.Tensor(images), torch.tensor(images)
    assert int(resnetc.min(ours)) == int(torch.min(theirs))
    values, indices = ours.min(1)
    np.testing.assert_array_equal(values.array, theirs.min(1).values.numpy())
    np.testing.assert_array_equal(indices.array, theirs.min(1).indices.numpy())
    for k, largest in ((2, True), (2, False)):
        top, ref = ours.topk(k, largest=largest), theirs.topk(k, largest=largest)
        np.testing.assert_array_equal(top.values.array, ref.values.numpy())
        np.testing.assert_array_equal(top.indices.array, ref.indices.numpy())
    assert bool(resnetc.Tensor(np.array([True, False])).min()) is False
    with_nan = np.array([1.0, np.nan, 3.0], np.float32)  # NaN counts as the largest, as in torch
    assert resnetc.Tensor(with_nan).topk(1).indices.tolist() == torch.tensor(with_nan).topk(1).indices.tolist()
    scalar = resnetc.Tensor(np.float32(5)).topk(1)
    assert scalar.values.shape == () and int(scalar.indices) == 0
    with pytest.raises(IndexError, match="Dimension out of range"):
        resnetc.Tensor(images).topk(1, dim=2)
    np.testing.assert_allclose(resnetc.sigmoid(resnetc.Tensor(np.array([1, 2]))).array,
                               torch.sigmoid(torch.tensor([1, 2])).numpy(), rtol=1e-6)
    assert resnetc.tanh(resnetc.Tensor(np.array([1, 2]))).dtype == np.float32


@pytest.mark.parametrize("name", ["max", "min"])
def test_reductions_over_dim_route_the_gradient_to_the_returned_index(name):
    ties = np.array([[1.0, 1.0, 2.0], [3.0, 0.0, 3.0]], np.float32)
    ours, theirs = pair(ties)
    out, ref = getattr(resnetc, name)(ours, 1), getattr(torch, name)(theirs, 1)
    np.testing.assert_array_equal(out.indices.array, ref.indices.numpy())
    check_grad(out.values, ref.values, ours, theirs)
    ours, theirs = pair(ties)  # amax/amin (and the full reductions) share among ties, as torch's
    check_grad(getattr(resnetc, "a" + name)(ours, 1), getattr(torch, "a" + name)(theirs, 1), ours, theirs)


@pytest.mark.parametrize("name", ["max", "min", "maximum", "minimum"])
def test_elementwise_max_min_of_two_tensors(name):
    a = np.array([[1.0, 5.0, 2.0], [4.0, 4.0, 0.0]], np.float32)
    b = np.array([3.0, 4.0, 2.0], np.float32)  # broadcast, with ties (the gradient is split)
    ours_a, theirs_a = pair(a)
    ours_b, theirs_b = pair(b)
    out, ref = getattr(resnetc, name)(ours_a, ours_b), getattr(torch, name)(theirs_a, theirs_b)
    np.testing.assert_array_equal(out.array, ref.detach().numpy())
    upstream = np.arange(6, dtype=np.float32).reshape(2, 3)
    out.backward(resnetc.Tensor(upstream))
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours_a.grad.array, theirs_a.grad.numpy())
    np.testing.assert_allclose(ours_b.grad.array, theirs_b.grad.numpy())
    if name in ("max", "min"):
        with pytest.raises(TypeError, match=f"resnetc.{name}imum"):
            getattr(ours_a, name)(ours_a)


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
