"""The files a test database lives in, to scan them for bytes that must not be there.

SQLite: the database file, its WAL and its journal. PostgreSQL (the throwaway
server the tests start): after a ``CHECKPOINT`` (every changed page written
out), the files of that one database under ``base/<oid>`` — its tables,
indexes and TOAST. The server's write-ahead log is shared by every test
database of the session, so it is scanned apart, for values no other test
writes (``wal_files``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.sql import SqlStore
from tests.peers.postgres import PostgresServer
from tests.store.conftest import Backend


def sqlite_files(url: str) -> list[Path]:
    """The SQLite database file and whatever WAL and journal it has now."""
    db = Path(url.removeprefix("sqlite:///"))
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists()]


def database_files(backend: Backend, request: pytest.FixtureRequest) -> list[Path]:
    """Every file that holds ``backend``'s database now (see the module's docstring)."""
    url = str(backend.url)
    if url.startswith("sqlite"):
        return sqlite_files(url)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    reader = SqlStore(url)
    try:
        with reader.engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))
            oid = conn.execute(
                text("SELECT oid FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
    finally:
        reader.close()
    return _files_in(server.data_dir / "base" / str(oid))


def wal_files(backend: Backend, request: pytest.FixtureRequest) -> list[Path]:
    """The write-ahead log: SQLite's beside the database, PostgreSQL's server-wide."""
    url = str(backend.url)
    if url.startswith("sqlite"):
        return [p for p in sqlite_files(url) if p.name.endswith("-wal")]
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return _files_in(server.data_dir / "pg_wal")


def _files_in(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*")) if p.is_file()]


def found_in(files: list[Path], needles: list[str]) -> list[str]:
    """Which ``needles`` are in ``files``, as bytes."""
    data = b"".join(p.read_bytes() for p in files)
    return [n for n in needles if n.encode() in data]


def sealed_rows(store: SqlStore) -> list[str]:
    """The sealed values and the case codes of the records, as stored."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT text, answers, case_code FROM records")).all()
    found = [str(v) for row in rows for v in row]
    return [v.strip('"')[:60] for v in found]
