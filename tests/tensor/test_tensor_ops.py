"""Tensor methods and top-level functions added for torch's API (norm, pow, std/var, flip,
gather, masked_fill, sort, unique, where, einsum, ...) and Tensor.register_hook, against torch:
values, dtypes, shapes, errors and gradients (float64, tight tolerances)."""
import numpy as np
import pytest
import torch

import resnetc
from resnetc import models


@pytest.fixture
def x():
    return np.random.default_rng(0).permutation(24).astype(np.float64).reshape(2, 3, 4) / 7 - 1.5  # no ties


def both(x, requires_grad=True):
    return resnetc.tensor(x.copy(), requires_grad=requires_grad), torch.tensor(x.copy(), requires_grad=requires_grad)


def compare(out, ref, inputs=()):
    """Same values, dtype and shape; then the same gradients for a random upstream gradient."""
    out_list, ref_list = (list(out), list(ref)) if isinstance(ref, tuple) else ([out], [ref])
    for o, r in zip(out_list, ref_list):
        assert o.dtype == np.dtype(str(r.dtype).replace("torch.", "")) and o.shape == tuple(r.shape)
        np.testing.assert_allclose(o.array, r.detach().numpy(), rtol=1e-12, atol=1e-12)
    if inputs:
        o, r = out_list[0], ref_list[0]
        upstream = np.random.default_rng(1).standard_normal(tuple(r.shape))
        o.backward(resnetc.tensor(upstream))
        r.backward(torch.tensor(upstream))
        for ours, theirs in inputs:
            if theirs.grad is None:
                assert ours.grad is None
                continue
            np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, float("inf"), -float("inf"), 0])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_norm(x, p, dim, keepdim):
    ours, theirs = both(x)
    compare(ours.norm(p, dim, keepdim), theirs.norm(p, dim, keepdim), [(ours, theirs)])
    compare(resnetc.norm(ours.detach()), torch.norm(theirs.detach()))


def test_norm_gradient_at_zero_is_zero_like_torch():
    ours, theirs = both(np.zeros((2, 3)))
    compare(ours.norm(dim=1), theirs.norm(dim=1), [(ours, theirs)])


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}, {"unbiased": False},
                                    {"dim": -1, "correction": 0}, {"dim": 1, "correction": 2}])
def test_var_std(x, name, kwargs):
    ours, theirs = both(x)
    compare(getattr(ours, name)(**kwargs), getattr(theirs, name)(**kwargs), [(ours, theirs)])
    compare(getattr(resnetc, name)(ours.detach(), False), getattr(torch, name)(theirs.detach(), False))
    with pytest.raises(RuntimeError, match="floating point"):
        getattr(resnetc.tensor([1, 2]), name)()


@pytest.mark.parametrize("exponent", [2, 0.5, -1.5, 0])
def test_pow(x, exponent):
    ours, theirs = both(np.abs(x))
    compare(ours.pow(exponent), theirs.pow(exponent), [(ours, theirs)])
    e_ours, e_theirs = both(x[0])
    base_ours, base_theirs = both(np.abs(x[1]) + 0.5)
    compare(base_ours ** e_ours, base_theirs ** e_theirs, [(base_ours, base_theirs), (e_ours, e_theirs)])
    compare(2 ** resnetc.tensor([1, 2]), 2 ** torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        resnetc.tensor([2]) ** -1


@pytest.mark.parametrize("case", ["flip", "expand_as", "view_as", "gather", "masked_fill", "sort", "where",
                                  "mm", "bmm", "einsum", "einsum_sum", "vstack", "hstack", "masked_fill_tensor"])
def test_differentiable_shape_and_index_ops(x, case):
    ours, theirs = both(x)
    rng = np.random.default_rng(5)
    if case == "flip":
        compare(ours.flip(0, 2), theirs.flip(0, 2), [(ours, theirs)])
        compare(resnetc.flip(ours.detach(), dims=[1]), torch.flip(theirs.detach(), dims=[1]))
    elif case == "expand_as":
        small, small_t = both(x[:1, :, :1])
        compare(small.expand_as(ours), small_t.expand_as(theirs), [(small, small_t)])
        compare(small.expand(3, -1, -1, 4), small_t.expand(3, -1, -1, 4))
        with pytest.raises(RuntimeError, match="must match the existing size"):
            ours.expand(2, 5, 4)
    elif case == "view_as":
        compare(ours.view_as(resnetc.ones(6, 4)), theirs.view_as(torch.ones(6, 4)), [(ours, theirs)])
    elif case == "gather":
        index = rng.integers(0, 3, size=(2, 5, 3))  # repeats; smaller than x in dim 2
        compare(ours.gather(1, resnetc.tensor(index)), theirs.gather(1, torch.tensor(index)), [(ours, theirs)])
        with pytest.raises(RuntimeError, match="int64"):
            ours.gather(1, resnetc.tensor(index.astype(np.int32)))
    elif case == "masked_fill":
        mask = x[0] > 0  # broadcasts over dim 0
        compare(ours.masked_fill(resnetc.tensor(mask), -1.0), theirs.masked_fill(torch.tensor(mask), -1.0),
                [(ours, theirs)])
        with pytest.raises(RuntimeError, match="boolean"):
            ours.masked_fill(resnetc.tensor(mask.astype(np.int64)), 0)
    elif case == "masked_fill_tensor":
        value, value_t = both(np.array(0.5))
        mask = x > 0
        compare(ours.masked_fill(resnetc.tensor(mask), value), theirs.masked_fill(torch.tensor(mask), value_t),
                [(ours, theirs), (value, value_t)])
    elif case == "sort":
        for kwargs in ({}, {"dim": 1, "descending": True}, {"dim": 0}):
            o, r = ours.sort(**kwargs), theirs.sort(**kwargs)
            np.testing.assert_array_equal(o.indices.array, r.indices.numpy())
            np.testing.assert_array_equal(ours.argsort(**kwargs).array, theirs.argsort(**kwargs).numpy())
        compare(ours.sort(1, True).values, theirs.sort(1, True).values, [(ours, theirs)])
    elif case == "where":
        other, other_t = both(x[::-1].copy())
        cond = x > 0
        compare(resnetc.where(resnetc.tensor(cond), ours, other), torch.where(torch.tensor(cond), theirs, other_t),
                [(ours, theirs), (other, other_t)])
        compare(resnetc.where(resnetc.tensor(cond), ours.detach(), 0), torch.where(torch.tensor(cond), theirs.detach(), 0))
        for o, r in zip(resnetc.where(resnetc.tensor(cond)), torch.where(torch.tensor(cond))):
            compare(o, r)
    elif case == "mm":
        w, w_t = both(rng.standard_normal((4, 5)))
        compare(resnetc.mm(ours[0], w), torch.mm(theirs[0], w_t), [(ours, theirs), (w, w_t)])
    elif case == "bmm":
        w, w_t = both(rng.standard_normal((2, 4, 5)))
        compare(resnetc.bmm(ours, w), torch.bmm(theirs, w_t), [(ours, theirs), (w, w_t)])
    elif case == "einsum":
        w, w_t = both(rng.standard_normal((4, 5)))
        compare(resnetc.einsum("bij,jk->bik", ours, w), torch.einsum("bij,jk->bik", theirs, w_t),
                [(ours, theirs), (w, w_t)])
    elif case == "einsum_sum":
        w, w_t = both(rng.standard_normal((3,)))
        compare(resnetc.einsum("bij,i->b", ours, w), torch.einsum("bij,i->b", theirs, w_t), [(ours, theirs), (w, w_t)])
    elif case in ("vstack", "hstack"):
        other, other_t = both(x[0, 0])
        compare(getattr(resnetc, case)([ours[0, 0], other]), getattr(torch, case)([theirs[0, 0], other_t]),
                [(ours, theirs), (other, other_t)])
        compare(getattr(resnetc, case)([ours[0], ours[1]]), getattr(torch, case)([theirs[0], theirs[1]]))


def test_counting_and_predicates():
    data = np.array([3, 1, 1, 0, 3, 3])
    ours, theirs = resnetc.tensor(data), torch.tensor(data)
    compare(resnetc.unique(ours), torch.unique(theirs))
    compare(ours.unique(return_inverse=True, return_counts=True), theirs.unique(return_inverse=True, return_counts=True))
    compare(resnetc.bincount(ours), torch.bincount(theirs))
    compare(resnetc.bincount(ours, minlength=7), torch.bincount(theirs, minlength=7))
    weights = np.linspace(0, 1, 6, dtype=np.float32)
    compare(resnetc.bincount(ours, resnetc.tensor(weights)), torch.bincount(theirs, torch.tensor(weights)))
    compare(ours.nonzero(), theirs.nonzero())
    compare((ours > 1).any(), (theirs > 1).any())
    compare((ours > 1).all(), (theirs > 1).all())
    compare(resnetc.any(ours.reshape(2, 3) > 2, 1), torch.any(theirs.reshape(2, 3) > 2, 1))
    compare(ours.reshape(2, 3).all(dim=0, keepdim=True), theirs.reshape(2, 3).all(dim=0, keepdim=True))
    special = np.array([0.5, 1.5, 2.5, -0.5, np.nan, np.inf], dtype=np.float32)
    s_ours, s_theirs = resnetc.tensor(special), torch.tensor(special)
    for name in ("round", "isnan", "isinf", "isfinite"):
        compare(getattr(s_ours, name)(), getattr(s_theirs, name)())
        compare(getattr(resnetc, name)(s_ours), getattr(torch, name)(s_theirs))
    compare(resnetc.isclose(s_ours, s_ours + 1e-7), torch.isclose(s_theirs, s_theirs + 1e-7))
    assert resnetc.allclose(resnetc.ones(2), resnetc.ones(2) + 1e-9) and not resnetc.allclose(resnetc.ones(2), resnetc.zeros(2))
    a, b = ours > 1, ours < 3
    for name in ("logical_and", "logical_or", "logical_xor"):
        compare(getattr(resnetc, name)(a, b), getattr(torch, name)(theirs > 1, theirs < 3))
    compare(resnetc.logical_not(a), torch.logical_not(theirs > 1))
    compare(a & b, (theirs > 1) & (theirs < 3))
    compare(a | b, (theirs > 1) | (theirs < 3))
    compare(a ^ b, (theirs > 1) ^ (theirs < 3))
    compare(~a, ~(theirs > 1))
    compare(~ours, ~theirs)
    compare(ours & 2, theirs & 2)
    compare(6 | ours, 6 | theirs)
    compare(ours % 2, theirs % 2)
    compare(-7 // ours.clamp(1), -7 // theirs.clamp(1))
    compare(resnetc.tensor([-7.5, 7.5]) % 2, torch.tensor([-7.5, 7.5]) % 2)
    compare(resnetc.tensor([-7.5, 7.5]) // 2, torch.tensor([-7.5, 7.5]) // 2)
    compare(resnetc.tensor([-7, 7]).div(2, rounding_mode="trunc"), torch.tensor([-7, 7]).div(2, rounding_mode="trunc"))
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        resnetc.ones(2) & 1


def test_casts_and_new_factories():
    x = resnetc.tensor([0.5, 1.5, -2.7])
    t = torch.tensor([0.5, 1.5, -2.7])
    for name in ("int", "bool", "double", "half", "long", "float", "short", "byte"):
        compare(getattr(x, name)(), getattr(t, name)())
    assert x.type() == t.type() and x.int().type() == t.int().type() and (x > 0).type() == (t > 0).type()
    compare(x.type(resnetc.int32), t.type(torch.int32))
    compare(x.type("torch.LongTensor"), t.type("torch.LongTensor"))
    compare(x.type_as(resnetc.tensor([1])), t.type_as(torch.tensor([1])))
    assert not x.is_cuda and x.is_floating_point() and not x.long().is_floating_point()
    i = resnetc.tensor([1, 2], dtype=resnetc.int32)
    it = torch.tensor([1, 2], dtype=torch.int32)
    compare(i.new_zeros(2, 3), it.new_zeros(2, 3))
    compare(i.new_ones((2,)), it.new_ones((2,)))
    compare(i.new_full((2,), 7), it.new_full((2,), 7))
    compare(i.new_tensor([1.5, 2.5]), it.new_tensor([1.5, 2.5]))
    compare(i.new_zeros(2, dtype=resnetc.float64), it.new_zeros(2, dtype=torch.float64))
    assert i.new_empty(3).shape == (3,)
    compare(resnetc.FloatTensor([1, 2]), torch.FloatTensor([1, 2]))
    compare(resnetc.LongTensor([1.0, 2.0]), torch.LongTensor([1.0, 2.0]))
    assert resnetc.FloatTensor(2, 3).shape == (2, 3)
    assert resnetc.is_tensor(x) and not resnetc.is_tensor(x.array)
    array = np.ones(3, np.float32)
    assert resnetc.as_tensor(array).array is array and resnetc.as_tensor(x) is x
    assert resnetc.as_tensor([1.0]).dtype == resnetc.float32
    size = resnetc.Size([2, 3])
    assert size == (2, 3) and size.numel() == 6 and repr(size) == repr(torch.Size([2, 3]))
    assert resnetc.eye(3).sum().item() == 3 and resnetc.clip(x, -1, 1).max().item() == 1


def test_register_hook_sees_and_replaces_gradients():
    values = np.array([1.0, -2.0, 3.0])
    results = []
    for lib in (resnetc, torch):
        w = lib.tensor(values, requires_grad=True)
        h = w * 2
        seen = []
        h.register_hook(lambda g: seen.append(g.numpy().copy()))
        h.register_hook(lambda g: g * 10)  # replaces h's gradient for what flows back
        handle = w.register_hook(lambda g: g + 1)  # on a leaf: changes .grad
        (h * h).sum().backward()
        first = w.grad.numpy().copy()
        handle.remove()
        w.grad = None
        (w * 3).sum().backward()
        results.append((seen, first, w.grad.numpy()))
    (seen, first, second), (seen_t, first_t, second_t) = results
    np.testing.assert_allclose(seen[0], seen_t[0])
    np.testing.assert_allclose(first, first_t)
    np.testing.assert_allclose(second, second_t)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        resnetc.ones(2).register_hook(lambda g: g)


def test_grad_cam_through_a_forward_hook_matches_torch():
    """The Grad-CAM recipe: a forward hook on layer4 keeps the activation and registers a hook
    for its gradient; the heatmap is relu(sum_c mean(grad_c) * act_c)."""
    import torchvision
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(num_classes=5).eval()
    ours = models.resnet18(num_classes=5).eval()
    ours.load_state_dict({k: resnetc.tensor(v.numpy()) for k, v in reference.state_dict().items()})
    image = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    cams = []
    for lib, model in ((resnetc, ours), (torch, reference)):
        store = {}

        def forward_hook(module, inputs, output):
            store["act"] = output
            output.register_hook(lambda g: store.__setitem__("grad", g))

        handle = model.layer4.register_forward_hook(forward_hook)
        logits = model(lib.tensor(image))
        logits[0, logits[0].argmax()].backward()
        handle.remove()
        weights = store["grad"].mean((2, 3), keepdim=True) if lib is torch else store["grad"].mean((2, 3), True)
        cam = (weights * store["act"]).sum(1).clamp(min=0)
        cams.append(cam.detach().numpy())
    np.testing.assert_allclose(cams[0], cams[1], rtol=1e-3, atol=1e-5)
