from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    """Photos go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
