"""Fixtures: an escalation world on memory, SQLite and PostgreSQL (a fresh
migrated database per test, copied from the store suite's template)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store.migrate import upgrade
from tests.escalation.support import Clock, World
from tests.peers.postgres import PostgresServer
from tests.store.conftest import postgres_template as postgres_template

#: Wednesday 25 November 2026, 09:00 in Amsterdam.
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.peer)]


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    name = request.param
    url: str | None = None
    database = None
    if name == "sqlite":
        url = f"sqlite:///{tmp_path / 'voorkomen.db'}"
        upgrade(url)
    elif name == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(template=request.getfixturevalue("postgres_template"))
        database = url.rsplit("/", 1)[1]
    w = World(url, Clock(T0))
    w.process()
    w.org = w.processes[0].people.create_organisation("Jeugdhulp Noord", now=T0)
    yield w
    w.close()
    if database is not None:
        request.getfixturevalue("postgres_server").drop_database(database)
