"""A world of people working together (follow-up, confirmation, escalation) on one
of three backends: memory, SQLite, or PostgreSQL (a fresh migrated database per
test, copied from the store suite's template). The three parts' fixtures differ
only in which world they build; this is the part they share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from bot.store.migrate import upgrade
from tests.peers.postgres import PostgresServer

#: Wednesday 25 November 2026, 09:00 in Amsterdam (the examples' "now").
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.peer)]


class AWorld(Protocol):
    processes: Any
    org: Any

    def process(self) -> Any: ...

    def close(self) -> None: ...


W = TypeVar("W", bound=AWorld)


def world_on(
    request: pytest.FixtureRequest, tmp_path: Path, name: str, make: Callable[[str | None], W]
) -> Iterator[W]:
    """``make(url)`` on backend ``name``, with one process and the organisation
    "Jeugdhulp Noord"; closed (and its PostgreSQL database dropped) afterwards."""
    url: str | None = None
    database = None
    if name == "sqlite":
        url = f"sqlite:///{tmp_path / 'voorkomen.db'}"
        upgrade(url)
    elif name == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(template=request.getfixturevalue("postgres_template"))
        database = url.rsplit("/", 1)[1]
    w = make(url)
    w.process()
    w.org = w.processes[0].people.create_organisation("Jeugdhulp Noord", now=T0)
    yield w
    w.close()
    if database is not None:
        request.getfixturevalue("postgres_server").drop_database(database)
