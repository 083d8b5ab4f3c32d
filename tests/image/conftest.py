import pytest

from samples.images import photo_like


@pytest.fixture(scope="session")
def photo():
    return photo_like(375, 500)
