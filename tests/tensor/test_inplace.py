"""In-place ops (+=, -=, add_, clamp_, ...) against torch: the same Tensor object and memory is
updated, dtypes are refused as torch refuses them, leaves that require grad refuse them under grad
mode, and a non-leaf in the graph gets the gradient torch computes."""
import numpy as np
import pytest
import torch

import resnetc
from resnetc import nn


def test_sgd_step_by_hand_updates_the_parameters_in_place():
    m = nn.Linear(3, 2)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    ref = torch.nn.Linear(3, 2)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(m.weight.array))
        ref.bias.copy_(torch.tensor(m.bias.array))
    for model, lib in ((m, resnetc), (ref, torch)):
        model(lib.tensor(x)).pow(2).sum().backward()
    weight = m.weight
    memory = m.weight.array
    with resnetc.no_grad():
        for p in m.parameters():
            p -= 0.1 * p.grad
    with torch.no_grad():
        for p in ref.parameters():
            p -= 0.1 * p.grad
    assert m.weight is weight and m.weight.array is memory and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.array, ref.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(m.bias.array, ref.bias.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert m.weight.requires_grad and m.weight.is_leaf


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "//=", "%=", "**="])
@pytest.mark.parametrize("dtype,other", [("float32", 2), ("float32", 0.5), ("float32", "float64"),
                                         ("int64", 3), ("int64", 0.5), ("int64", "int32"), ("uint8", "int64"),
                                         ("int32", "float32")])
def test_inplace_operators_match_torch_values_dtypes_and_errors(op, dtype, other):
    a = np.array([[1, 5], [7, 9]], dtype=dtype)
    if isinstance(other, str):
        b = np.array([2, 3], dtype=other)
        b_ours, b_theirs = resnetc.tensor(b), torch.tensor(b)
    else:
        b_ours = b_theirs = other
    ours, theirs = resnetc.tensor(a), torch.tensor(a)
    memory = ours.array
    code = f"x {op} y"
    try:
        exec(code, {}, {"x": theirs, "y": b_theirs})
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=str(e).split(" can't")[0][:30]):
            exec(code, {}, {"x": ours, "y": b_ours})
        np.testing.assert_array_equal(ours.array, a)  # unchanged
        return
    scope = {"x": ours, "y": b_ours}
    exec(code, {}, scope)
    assert scope["x"] is ours and ours.array is memory and ours.dtype == dtype
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6)


def test_int_tensor_plus_float_raises_like_torch():
    x = resnetc.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x += 0.5
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.div_(2)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        resnetc.ones(2).add_(resnetc.ones(3, 2))


@pytest.mark.parametrize("call,args", [("add_", (2.0,)), ("sub_", (2.0,)), ("mul_", (3.0,)), ("div_", (4.0,)),
                                       ("clamp_", (-0.5, 0.5)), ("pow_", (2,)), ("neg_", ()), ("fill_", (1.5,)),
                                       ("zero_", ()), ("clip_", (None, 0.0))])
def test_underscore_methods_match_torch(call, args):
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    ours, theirs = resnetc.tensor(x), torch.tensor(x)
    out = getattr(ours, call)(*args)
    getattr(theirs, call)(*args)
    assert out is ours
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6)


def test_add_sub_alpha_and_chaining():
    ours, theirs = resnetc.ones(2), torch.ones(2)
    ours.add_(resnetc.tensor([1.0, 2.0]), alpha=0.5).sub_(1, alpha=2).div_(2).clamp_(0, 1)
    theirs.add_(torch.tensor([1.0, 2.0]), alpha=0.5).sub_(1, alpha=2).div_(2).clamp_(0, 1)
    np.testing.assert_allclose(ours.array, theirs.numpy())


def test_leaf_requiring_grad_refuses_in_place_under_grad_mode():
    w = resnetc.ones(2, requires_grad=True)
    for op in (lambda: w.__iadd__(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.clamp_(0, 1)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            op()
    np.testing.assert_array_equal(w.array, [1, 1])
    with resnetc.no_grad():
        w += 1
    np.testing.assert_array_equal(w.array, [2, 2])


@pytest.mark.parametrize("inplace", ["+=", "*=", "-=", "/=", "mul_", "clamp_", "masked_fill_"])
def test_inplace_on_a_non_leaf_gives_torchs_gradients(inplace):
    """y = exp(x); y <op>= z; saved values (exp's output) must not be corrupted."""
    rng = np.random.default_rng(2)
    x, z = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    grads = []
    for lib in (resnetc, torch):
        xt, zt = lib.tensor(x, requires_grad=True), lib.tensor(z, requires_grad=True)
        y = xt.exp() * 1.0  # torch's exp saves its output: modify a copy, as torch requires
        before = y
        if inplace == "mul_":
            y.mul_(zt)
        elif inplace == "clamp_":
            y.clamp_(0.5, 2.0)
        elif inplace == "masked_fill_":
            y.masked_fill_(lib.tensor(x) > 0, 0.25)
        else:
            scope = {"y": y, "z": zt}
            exec(f"y {inplace} z", {}, scope)
            y = scope["y"]
        assert y is before and not y.is_leaf
        (y * lib.tensor(x)).sum().backward()
        grads.append((y.detach().numpy(), xt.grad.numpy(),
                      None if zt.grad is None else zt.grad.numpy()))
    for ours, theirs in zip(*grads):
        if theirs is None:
            assert ours is None or not ours.any()
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_residual_add_in_place_like_torchvision_basic_block():
    """out += identity after a layer whose backward saved its output (relu here, sigmoid)."""
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    grads = []
    for lib in (resnetc, torch):
        xt = lib.tensor(x, requires_grad=True)
        out = lib.sigmoid(xt) * 2
        out += xt
        out = lib.sigmoid(out)
        out.sum().backward()
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-7)


def test_inplace_into_a_tensor_without_grad_from_one_with_grad():
    x = np.arange(3, dtype=np.float32)
    results = []
    for lib in (resnetc, torch):
        w = lib.tensor(x, requires_grad=True)
        buf = lib.zeros(3)
        buf += w * w
        buf.sum().backward()
        results.append((buf.requires_grad, buf.is_leaf, w.grad.numpy()))
    assert results[0][:2] == results[1][:2] == (True, False)
    np.testing.assert_allclose(results[0][2], results[1][2])


def test_copy_broadcasts_converts_and_passes_the_gradient():
    ours, theirs = resnetc.zeros(2, 3, dtype=resnetc.int64), torch.zeros(2, 3, dtype=torch.int64)
    ours.copy_(resnetc.tensor([1.7, -2.2, 3.9]))
    theirs.copy_(torch.tensor([1.7, -2.2, 3.9]))
    np.testing.assert_array_equal(ours.array, theirs.numpy())
    src = resnetc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    dst = resnetc.zeros(2, 3)
    dst.copy_(src)
    (dst * resnetc.tensor([[1.0], [2.0]])).sum().backward()
    np.testing.assert_array_equal(src.grad.array, [3, 3, 3])
