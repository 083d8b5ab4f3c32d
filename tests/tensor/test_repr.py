"""repr(tensor) laid out as torch's: 4 decimals, "2." for integral floats, scientific notation
for wide ranges, torch's widths, line breaks and summaries, dtype shown only when not default.
resnetc adds ", shape=(...)" to summarized tensors (torch prints none)."""
import numpy as np
import pytest
import torch

import resnetc

_rng = np.random.default_rng(0)
CASES = [
    [1.0, 2.0, 3.5], [[0.1234567, 2.0], [3.0, 4.0]], [1, 2, 3], 0.5, 3, [True, False], [1.0, 2.0, 3.0],
    [1e-5, 1.0], [1e9, 2.0], [float("nan"), 1.0, float("inf")], [0.0, 0.0], [-1.5, 2.25],
    _rng.random((3, 4)).astype(np.float32), _rng.normal(size=(3, 30)).astype(np.float32),
    _rng.normal(size=(40, 40)).astype(np.float32), _rng.normal(size=(2, 3, 4)).astype(np.float32) * 1000,
    _rng.normal(size=(2000,)).astype(np.float32), _rng.integers(0, 100, (3, 40)),
    np.arange(6, dtype=np.float64), np.arange(4, dtype=np.int32),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_repr_matches_torch(index):
    value = CASES[index]
    ours, theirs = repr(resnetc.tensor(value)), repr(torch.tensor(value))
    if ", shape=" in ours:
        head, shape = ours.rsplit(", shape=", 1)
        assert shape == f"{tuple(np.shape(value))})"
        ours = head + ")"
    assert ours == theirs.replace("torch.", "")


def test_autograd_extras():
    x = resnetc.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2).startswith("tensor([2., 4.], grad_fn=<")
