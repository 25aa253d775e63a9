import pytest

from vouchers.keys import ring_reset


@pytest.fixture(autouse=True)
def _fresh_keys():
    ring_reset()
    yield
    ring_reset()
