import pytest

from transform_samples import photo_like


@pytest.fixture(scope="session")
def photo():
    return photo_like(375, 500)
