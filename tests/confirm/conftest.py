"""Fixtures: a confirmation world on memory, SQLite and PostgreSQL (``tests/support/worlds.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.confirm.support import ConfirmWorld
from tests.followup.support import Clock
from tests.store.conftest import postgres_template as postgres_template
from tests.support.worlds import BACKENDS, T0, world_on

__all__ = ["postgres_template"]


def _make(url: str | None) -> ConfirmWorld:
    return ConfirmWorld(url, Clock(T0))


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConfirmWorld]:
    yield from world_on(request, tmp_path, request.param, _make)


@pytest.fixture(params=BACKENDS[1:])
def sql_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConfirmWorld]:
    """SQLite and PostgreSQL only (rights and key rotation are the SQL store's)."""
    yield from world_on(request, tmp_path, request.param, _make)
