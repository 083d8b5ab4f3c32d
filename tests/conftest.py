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
def rng():
    return np.random.default_rng(0)
