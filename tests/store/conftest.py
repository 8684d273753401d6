"""Fixtures: every store implementation, on a fresh (migrated) database per test.

``store_backend`` is parametrised over the in-memory twin, SQLite (a temp
file, with and without the store's log cache) and PostgreSQL (the session's
throwaway server, one database per test copied from a migrated template).
PostgreSQL is only started when a PostgreSQL case runs. The SQL stores seal
what they keep (``MASTER``), as the bot's do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest

from bot.crypto import MasterKey
from bot.service.ports import ConversationStore, KeyValueStore
from bot.store.memory import MemoryStore
from bot.store.migrate import upgrade
from bot.store.sql import SqlStore
from tests.peers.postgres import PostgresServer

TEMPLATE_DB = "voorkomen_store_template"

#: The master key of every SQL store the store tests open.
MASTER = MasterKey.generate()


class Store(ConversationStore, KeyValueStore, Protocol):
    """Both ports, as every store implements them."""


@dataclass
class Backend:
    """One store implementation on one database; ``open()`` makes another instance on it."""

    name: str
    url: str | None
    make: Callable[[], Store]
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        store = self.make()
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            if isinstance(store, SqlStore):
                store.close()


SQL_BACKENDS = [
    "sqlite",
    "sqlite-nocache",
    pytest.param("postgresql", marks=pytest.mark.peer),
]
ALL_BACKENDS = ["memory", *SQL_BACKENDS]


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A migrated database that each PostgreSQL test database is copied from.

    Made once per server: tests/runtime reuses this fixture from its own
    conftest, which pytest counts as a second fixture of the same session.
    """
    import psycopg

    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE_DB,))
        exists = found.fetchone() is not None
    if not exists:
        upgrade(postgres_server.create_database(TEMPLATE_DB))
    return TEMPLATE_DB


def _backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if name == "memory":
        yield Backend(name, None, MemoryStore)
        return
    if name.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'voorkomen.db'}"
        upgrade(url)
        cache_size = 0 if name.endswith("nocache") else 4096
        backend = Backend(name, url, lambda: SqlStore(url, cache_size=cache_size, master=MASTER))
        yield backend
        backend.close()
        return
    assert name == "postgresql"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    url = server.create_database(template=template)
    backend = Backend(name, url, lambda: SqlStore(url, master=MASTER))
    yield backend
    backend.close()
    server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(params=ALL_BACKENDS)
def store_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture
def store(store_backend: Backend) -> Store:
    return store_backend.open()


@pytest.fixture
def postgres_store_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """PostgreSQL only (for what holds across processes there)."""
    yield from _backend("postgresql", request, tmp_path)
