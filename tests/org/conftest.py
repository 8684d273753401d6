"""Fixtures: a people store and its conversation store, on memory, SQLite and PostgreSQL.

``stores`` is parametrised like the store contract suite: the in-memory
twins, SQLite in a temp file, and PostgreSQL (the session's throwaway server,
a fresh migrated database per test; started only when such a case runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.service.access import PeopleStore
from bot.store.memory import MemoryStore
from bot.store.memory_people import MemoryPeopleStore
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore
from tests.peers.postgres import PostgresServer
from tests.store.conftest import Store


@dataclass
class Stores:
    """A conversation store and the people store on the same data."""

    name: str
    conversations: Store
    people: PeopleStore
    url: str | None


BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.peer)]


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    name = request.param
    if name == "memory":
        memory = MemoryStore()
        yield Stores(name, memory, MemoryPeopleStore(memory), None)
        return
    if name == "sqlite":
        url = f"sqlite:///{tmp_path / 'voorkomen.db'}"
        database = None
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database()
        database = url.rsplit("/", 1)[1]
    upgrade(url)
    sql = SqlStore(url)
    yield Stores(name, sql, SqlPeopleStore(sql.engine), url)
    sql.close()
    if database is not None:
        server.drop_database(database)
