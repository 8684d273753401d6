"""Fixtures: a confirmation world on memory, SQLite and PostgreSQL (a fresh
migrated database per test, copied from the store suite's template)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.migrate import upgrade
from tests.confirm.support import ConfirmWorld
from tests.followup.conftest import T0
from tests.followup.support import Clock
from tests.peers.postgres import PostgresServer
from tests.store.conftest import postgres_template as postgres_template

BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.peer)]


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConfirmWorld]:
    yield from _world(request, tmp_path, request.param)


@pytest.fixture(params=BACKENDS[1:])
def sql_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConfirmWorld]:
    """SQLite and PostgreSQL only (rights and key rotation are the SQL store's)."""
    yield from _world(request, tmp_path, request.param)


def _world(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> Iterator[ConfirmWorld]:
    url: str | None = None
    database = None
    if name == "sqlite":
        url = f"sqlite:///{tmp_path / 'voorkomen.db'}"
        upgrade(url)
    elif name == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(template=request.getfixturevalue("postgres_template"))
        database = url.rsplit("/", 1)[1]
    w = ConfirmWorld(url, Clock(T0))
    w.process()
    w.org = w.processes[0].people.create_organisation("Jeugdhulp Noord", now=T0)
    yield w
    w.close()
    if database is not None:
        request.getfixturevalue("postgres_server").drop_database(database)
