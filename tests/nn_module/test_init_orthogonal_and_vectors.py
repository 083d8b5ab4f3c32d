"""nn.init.orthogonal_ (the property torch guarantees: orthonormal rows or columns, times gain)
and nn.utils.parameters_to_vector / vector_to_parameters against torch."""
import numpy as np
import pytest
import torch

import resnetc
from resnetc import nn


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (8, 2), (16, 4, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal(shape, gain):
    w = resnetc.Tensor(np.zeros(shape, np.float32))
    assert nn.init.orthogonal_(w, gain=gain, generator=np.random.default_rng(0)) is w
    flat = w.array.reshape(shape[0], -1).astype(np.float64) / gain
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=1e-5)


def test_orthogonal_is_seeded_and_refuses_vectors():
    a, b = (nn.init.orthogonal_(resnetc.Tensor(np.zeros((4, 6), np.float32)), generator=np.random.default_rng(7))
            for _ in range(2))
    np.testing.assert_array_equal(a.array, b.array)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        nn.init.orthogonal_(resnetc.Tensor(np.zeros(3, np.float32)))


def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    ours, theirs = _model(resnetc), _model(torch)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    vec = nn.utils.parameters_to_vector(ours.parameters())
    t_vec = torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_array_equal(vec.array, t_vec.detach().numpy())
    weights = np.arange(vec.shape[0], dtype=np.float32)
    (vec * resnetc.Tensor(weights)).sum().backward()
    (t_vec * torch.tensor(weights)).sum().backward()
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.grad.array, tp.grad.numpy())


def test_vector_to_parameters_matches_torch_and_keeps_parameter_memory():
    ours, theirs = _model(resnetc), _model(torch)
    values = np.random.default_rng(0).standard_normal(sum(p.numel() for p in theirs.parameters())).astype(np.float32)
    before = [p.array for p in ours.parameters()]
    nn.utils.vector_to_parameters(resnetc.Tensor(values), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(values), theirs.parameters())
    for p, array, tp in zip(ours.parameters(), before, theirs.parameters()):
        assert p.array is array
        np.testing.assert_array_equal(p.array, tp.detach().numpy())
    with pytest.raises(ValueError, match="elements"):
        nn.utils.vector_to_parameters(resnetc.Tensor(values[:-1]), ours.parameters())
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(values, ours.parameters())
