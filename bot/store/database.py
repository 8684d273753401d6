"""Connecting to the database: one engine per URL, set up the same way for every store.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a committed save survives
a crash of the application, not necessarily a power cut), with foreign keys
enforced and ``secure_delete`` on; after a purge or an erasure ``scrub``
checkpoints and empties the WAL, so what was deleted is gone from the files.
PostgreSQL is reached through psycopg 3 and keeps JSON as JSONB. Both read
and write JSON with the same strict ``dump_json`` (``bot.store.json_text``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url

from bot.store.json_text import dump_json
from bot.store.outage import report_outages

#: The tables whose deleted rows held content (what ``scrub`` vacuums on PostgreSQL).
SCRUBBED_TABLES = (
    "answers",
    "conversations",
    "records",
    "outbox",
    "followup_actions",
    "followup_records",
    "followup_facts",
)


def make_engine(url: str | URL) -> Engine:
    """A sync engine for ``url`` (SQLite or PostgreSQL), set up for the stores.

    A plain ``postgresql://`` URL uses psycopg 3 (the default driver of
    SQLAlchemy 2.1; named explicitly here so it does not depend on that).
    """
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "postgresql":
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        engine = create_engine(u, json_serializer=dump_json, json_deserializer=json.loads)
        report_outages(engine)
        return engine
    if backend == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            # The default lives in the per-user data directory: make it on first use.
            folder = Path(u.database).expanduser().parent
            if not folder.exists():
                folder.mkdir(mode=0o700, parents=True)
        engine = create_engine(u, json_serializer=dump_json, json_deserializer=json.loads)
        event.listen(engine, "connect", _sqlite_pragmas)
        report_outages(engine)
        return engine
    msg = f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://"
    raise ValueError(msg)


def reading(engine: Engine) -> Connection:
    """A connection for reads only, outside any transaction (use it in a ``with``).

    On PostgreSQL it runs in autocommit. Otherwise psycopg sends a ``BEGIN``
    before the first statement and a ``ROLLBACK`` when the connection goes back
    to the pool, two round trips of their own, and that ``ROLLBACK`` also drops
    the statements psycopg had prepared on the connection (``DEALLOCATE ALL``,
    a third round trip, and every statement planned anew). Under PostgreSQL's
    ``READ COMMITTED`` each statement sees its own snapshot either way, so the
    reads see the same; the pool sets the connection back before lending it
    again. SQLite is left as it is (no round trips; a transaction there gives
    its reads one snapshot). Issue 15: bench/README.md has the measurements.
    """
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Set on every new SQLite connection (a ``connect`` event listener)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()


def insert_on_conflict(postgres: bool, table: Table) -> Any:
    """An ``INSERT`` of the database's dialect, which has ``on_conflict_do_*``
    (PostgreSQL's and SQLite's are the same to write, but different classes)."""
    return postgresql.insert(table) if postgres else sqlite.insert(table)


def scrub(engine: Engine) -> None:
    """Make deleted rows gone from the database files, not just unreachable.

    SQLite (``secure_delete`` zeroes them in the database file): a checkpoint
    that copies the WAL into the file and truncates it, so the old page images
    in the WAL go too. PostgreSQL: ``VACUUM FULL`` of the tables that held
    content: it writes each table anew and removes the old files (a plain
    ``VACUUM`` marks the space free but leaves the deleted bytes in place, as the
    byte scan in tests/privacy showed). It locks each small table for a moment;
    purges run once a day and erasures are rare.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in SCRUBBED_TABLES:
            conn.exec_driver_sql(f"VACUUM FULL {table}")
