"""Fixtures: a follow-up world on memory, SQLite and PostgreSQL (``tests/support/worlds.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.followup.support import Clock, World
from tests.store.conftest import postgres_template as postgres_template
from tests.support.worlds import BACKENDS, T0, world_on

__all__ = ["T0", "postgres_template"]


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yield from world_on(request, tmp_path, request.param, lambda url: World(url, Clock(T0)))
