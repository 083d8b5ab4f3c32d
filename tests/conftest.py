"""Shared fixtures. `isa` runs a test once per instruction set this machine supports."""
import numpy as np
import pytest

import resnetc


@pytest.fixture(params=resnetc.supported_isas())
def isa(request):
    previous = resnetc.get_isa()
    resnetc.set_isa(request.param)
    yield request.param
    resnetc.set_isa(previous)


@pytest.fixture
def num_threads():
    """`num_threads(n)` runs resnetc on n threads for the rest of the test; the previous count
    comes back after it, pass or fail."""
    previous = resnetc.get_num_threads()
    yield resnetc.set_num_threads
    resnetc.set_num_threads(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def resnet18_hub_cache(tmp_path, monkeypatch):
    """A torch hub cache (TORCH_HOME) holding torchvision's resnet18 file, with seeded random
    weights; returns the file's path."""
    import torch
    import torchvision

    torch.manual_seed(0)
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    path = cache / "resnet18-f37072fd.pth"
    torch.save(torchvision.models.resnet18().state_dict(), path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return path
