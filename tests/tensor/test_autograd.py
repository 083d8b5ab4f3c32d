"""Tensor ops and the autograd tape, checked against torch in float64."""
import weakref

import numpy as np
import pytest
import torch

import resnetc
from resnetc import Tensor
from resnetc.tensor import record

CASES = {
    "add_broadcast": lambda a, b, m: (a + b[:1]).sum(),
    "sub_scalar": lambda a, b, m: (3.0 - a * b).mean(),
    "mul_div": lambda a, b, m: (a * b / (b * b + 1.0)).sum(),
    "neg_exp_log": lambda a, b, m: (-(a.exp() + 1.0).log()).sum(),
    "pow_sqrt_abs": lambda a, b, m: ((a ** 2 + 1.0).sqrt() + b.abs()).sum(),
    "matmul": lambda a, b, m: ((a @ m) * (a @ m)).sum(),
    "reductions_dims": lambda a, b, m: a.sum(1).mean() + b.mean(0, keepdim=True).sum() + a.max(1).values.sum() + a.max(),
    "reshape_transpose": lambda a, b, m: (a.reshape(2, 6).T * b.reshape(6, 2)).sum(),
    "log_softmax_nll": lambda a, b, m: -a.log_softmax(1)[np.arange(3), np.array([0, 3, 1])].mean(),
    "softmax": lambda a, b, m: (a.softmax(1) * b).sum(),
    "clamp": lambda a, b, m: a.clamp(-0.5, 0.5).sum(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_torch(name, rng):
    a, b, m = (rng.standard_normal(s) for s in [(3, 4), (3, 4), (4, 5)])
    ours = [Tensor(x.copy(), requires_grad=True) for x in (a, b, m)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (a, b, m)]
    out, ref = CASES[name](*ours), CASES[name](*theirs)
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    out.backward()
    ref.backward()
    for x, y in zip(ours, theirs):
        if y.grad is None:
            assert x.grad is None
        else:
            np.testing.assert_allclose(x.grad.array, y.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_accumulate_and_reuse_sums(rng):
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    y = x * x + x  # x used three times
    y.sum().backward()
    y2 = x * 2.0
    y2.sum().backward()
    np.testing.assert_allclose(x.grad.array, 2 * x.array + 1 + 2)


def test_numpy_interop_is_zero_copy():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = resnetc.from_numpy(array)
    assert np.shares_memory(np.asarray(t), array)
    assert np.shares_memory(Tensor(array).array, array)
    assert t.shape == (2, 3) and t.dtype == np.float32
    copy = resnetc.tensor(array)
    assert not np.shares_memory(copy.array, array)
    assert resnetc.tensor([1.5, 2]).dtype == np.float32 and resnetc.tensor([1, 2]).dtype == np.int64


def test_no_grad_detach_item_and_errors():
    x = resnetc.randn(2, 2, requires_grad=True)
    with resnetc.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    z = (x * 2).detach()
    assert not z.requires_grad
    assert isinstance((x.sum()).item(), float)
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):  # torch's error
        x.item()
    with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        resnetc.randn(2).sum().backward()
    with pytest.raises(RuntimeError, match="numpy\\(\\) on a Tensor that requires grad"):
        x.numpy()
    loss = (x * 3).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_no_grad_is_per_thread_and_decorates():
    import threading

    @resnetc.no_grad()
    def off():
        return resnetc.is_grad_enabled()

    assert off() is False and resnetc.is_grad_enabled()
    seen = []
    with resnetc.no_grad():
        thread = threading.Thread(target=lambda: seen.append(resnetc.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def _op(inputs, make_grads):
    """A recorded op whose backward returns make_grads() (one array or None per input)."""
    return record(np.zeros(2, np.float32), inputs, lambda g: make_grads())


def test_a_fresh_gradient_becomes_grad_without_a_copy():
    # What the C backwards return (arrays nobody else holds) is adopted, as torch's
    # AccumulateGrad steals the gradient; a weak reference watches without holding it.
    leaf = Tensor(np.zeros(2, np.float32), requires_grad=True)
    seen = []

    def fresh():
        g = np.full(2, 5.0, np.float32)
        seen.append(weakref.ref(g))
        return (g,)

    _op((leaf,), fresh).sum().backward()
    assert seen[0]() is leaf.grad.array
    np.testing.assert_array_equal(leaf.grad.array, [5.0, 5.0])


def test_a_shared_gradient_is_never_aliased_into_grad():
    kept = np.full(2, 1.0, np.float32)
    a = Tensor(np.zeros(2, np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    c = Tensor(np.zeros(2, np.float32), requires_grad=True)
    view_base = np.full(4, 2.0, np.float32)
    # The same array for two inputs, an array the op keeps, and a view of another array.
    _op((a, b), lambda: (kept, kept)).sum().backward()
    _op((c,), lambda: (view_base[:2],)).sum().backward()
    assert not np.shares_memory(a.grad.array, kept) and not np.shares_memory(b.grad.array, kept)
    assert not np.shares_memory(c.grad.array, view_base)
    a.grad.array += 1
    b.grad.array += 2
    np.testing.assert_array_equal(kept, [1.0, 1.0])
    np.testing.assert_array_equal(a.grad.array, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.array, [3.0, 3.0])


def test_one_fresh_gradient_for_two_leaves_is_adopted_by_at_most_one():
    a = Tensor(np.zeros(2, np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)

    def same_fresh_twice():
        g = np.full(2, 1.0, np.float32)
        return (g, g)

    _op((a, b), same_fresh_twice).sum().backward()
    assert not np.shares_memory(a.grad.array, b.grad.array)


def test_a_user_gradient_is_not_aliased_into_a_leafs_grad():
    leaf = Tensor(np.zeros(3, np.float32), requires_grad=True)
    upstream = np.ones(3, np.float32)
    leaf.backward(upstream)
    assert not np.shares_memory(leaf.grad.array, upstream)


@pytest.mark.parametrize("retain_graph", [False, True])
def test_backward_frees_each_activation_once_the_backwards_using_it_ran(retain_graph):
    # Peak memory: an activation must not live until backward() returns (torch frees saved
    # tensors as it goes), unless the graph is retained.
    leaf = Tensor(np.ones(4, np.float32), requires_grad=True)
    seen = {}

    def first_backward(g):
        seen["second_alive_then"] = seen["second"]() is not None
        return (g,)

    def build():
        first = record(np.ones(4, np.float32), (leaf,), first_backward)
        second_array = np.ones(4, np.float32)
        seen["second"] = weakref.ref(second_array)
        return record(second_array, (first,), lambda g: (g,)).sum()

    build().backward(retain_graph=retain_graph)
    assert seen["second_alive_then"] is retain_graph
    np.testing.assert_array_equal(leaf.grad.array, np.ones(4, np.float32))
