"""dtype rules of torch's functions beyond the binary operators (clamp, maximum/minimum, cat,
stack, exp/log/sqrt, sum, mean), clamp's gradient at its bounds, and operands that are not
numbers: each against torch."""
import numpy as np
import pytest
import torch

import resnetc as rc


def _both(fn_rc, fn_torch):
    ours, theirs = fn_rc(rc), fn_torch(torch)
    assert ours.numpy().dtype == theirs.numpy().dtype, (ours.numpy().dtype, theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("case", [
    lambda m: m.clamp(m.tensor([0.2, 0.7]), np.float64(0.5)),
    lambda m: m.clamp(m.tensor([1, 4]), 0.5, 2),
    lambda m: m.clamp(m.tensor([1, 4]), max=3),
    lambda m: m.maximum(m.tensor([1.0, 2.0]), m.tensor(0.5, dtype=m.float64)),
    lambda m: m.minimum(m.tensor([1, 5]), m.tensor([2.0, 3.0])),
    lambda m: m.cat([m.tensor([1, 2]), m.tensor([0.5])]),
    lambda m: m.stack([m.tensor([1, 2], dtype=m.uint8), m.tensor([3, 4], dtype=m.int32)]),
    lambda m: m.tensor([1, 4]).sqrt(),
    lambda m: m.tensor([0, 1]).exp(),
    lambda m: m.tensor([1, 2]).log(),
    lambda m: m.tensor([200, 100], dtype=m.uint8).sum(),
    lambda m: m.tensor([True, True, False]).sum(),
])
def test_result_dtypes_match_torch(case):
    _both(case, case)


def test_mean_of_integers_is_refused_as_in_torch():
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*Got: Long"):
        rc.tensor([1, 2]).mean()
    assert rc.tensor([1, 2]).float().mean().item() == 1.5


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (-1.0, None), (None, 1.0)])
def test_clamp_gradient_is_zero_on_the_bounds(bounds):
    values = [1.0, -2.0, 3.0, 0.5, -1.0]
    ours, theirs = rc.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours.clamp(*bounds).sum().backward()
    theirs.clamp(*bounds).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("other", ["a", b"a", None, object()])
def test_non_numbers_are_refused(other):
    with pytest.raises(TypeError):
        rc.tensor([1.0, 2.0]) + other
    with pytest.raises(TypeError):
        rc.tensor([1.0, 2.0]) * other
