"""The detector is loaded once per test session (deduce takes seconds and a gigabyte)."""

from __future__ import annotations

import pytest

from bot.identify import Detector
from bot.identify.paths import default_cache_dir


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector(default_cache_dir())  # built by `make` (python -m bot.identify)
