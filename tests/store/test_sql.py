"""What only the SQL store promises: restarts, minimal writes, pragmas, migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, event, inspect, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.dml import UpdateBase

from bot.store.migrate import alembic_config, downgrade, upgrade
from bot.store.models import Base
from bot.store.sql import SqlStore, create_store, make_engine
from tests.peers.postgres import PostgresServer
from tests.store.conftest import Backend
from tests.store.samples import KEY, entry, log, state


def _answer_rows(store: SqlStore) -> list[tuple[int, Any]]:
    with store.engine.connect() as conn:
        return [
            (seq, path)
            for seq, path in conn.execute(
                text("SELECT seq, path FROM answers ORDER BY conversation_id, seq")
            )
        ]


def test_a_restarted_store_loads_what_was_saved(sql_backend: Backend) -> None:
    first = sql_backend.open()
    saved = state(log(4))
    first.save(KEY, saved)
    assert isinstance(first, SqlStore)
    first.close()
    assert sql_backend.open().load(KEY) == saved


def test_two_store_instances_on_one_database_stay_consistent(sql_backend: Backend) -> None:
    """A save by another process makes this store's remembered log stale; it must notice."""
    a, b = sql_backend.open(), sql_backend.open()
    a.save(KEY, state(log(3, "a")))
    loaded = b.load(KEY)
    assert loaded == state(log(3, "a"))
    b.save(KEY, state((*log(3, "a"), entry(3, "b"), entry(4, "b"))))
    # a still remembers 3 entries; it now saves a different history
    mine = (*log(2, "a"), entry(2, "c"))
    a.save(KEY, state(mine))
    assert sql_backend.open().load(KEY) == state(mine)
    assert b.load(KEY) == state(mine)
    b.save(KEY, state((*mine, entry(3, "d"))))
    assert a.load(KEY) == state((*mine, entry(3, "d")))
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    assert [seq for seq, _ in _answer_rows(store)] == [0, 1, 2, 3]


def test_a_small_cache_evicts_and_stays_correct(sql_backend: Backend) -> None:
    assert sql_backend.url is not None
    store = SqlStore(sql_backend.url, cache_size=2)
    sql_backend.opened.append(store)
    keys = [KEY.__class__("telegram", str(i)) for i in range(5)]
    for round_ in range(3):
        for i, k in enumerate(keys):
            store.save(k, state(log(round_ + i, f"{round_}")))
    for i, k in enumerate(keys):
        assert store.load(k) == state(log(2 + i, "2"))


@contextmanager
def _dml_log(engine: Engine) -> Iterator[list[tuple[str, str, int]]]:
    """Record (verb, table, rows) for each INSERT/UPDATE/DELETE run on ``engine``."""
    seen: list[tuple[str, str, int]] = []

    def before_execute(conn: Any, clause: Any, multiparams: Any, params: Any, opts: Any) -> None:
        if isinstance(clause, UpdateBase):
            verb = "insert" if clause.is_insert else "update" if clause.is_update else "delete"
            table = clause.table
            assert isinstance(table, Table)
            seen.append((verb, table.name, len(multiparams) if multiparams else 1))

    event.listen(engine, "before_execute", before_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_execute", before_execute)


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "uncached"])
def test_save_writes_only_what_changed(sql_backend: Backend, cached: bool) -> None:
    assert sql_backend.url is not None
    store = SqlStore(sql_backend.url, cache_size=4096 if cached else 0)
    sql_backend.opened.append(store)
    entries = log(6)
    store.save(KEY, state(entries[:3]))

    with _dml_log(store.engine) as seen:
        store.save(KEY, state(entries[:4]))  # one answer more
    assert [s for s in seen if s[1] == "answers"] == [("insert", "answers", 1)]
    assert ("update", "conversations", 1) in seen

    with _dml_log(store.engine) as seen:
        store.save(KEY, state(entries[:2]))  # terug, twice
    assert [s for s in seen if s[1] == "answers"] == [("delete", "answers", 1)]

    with _dml_log(store.engine) as seen:
        store.save(KEY, state((entries[0], entry(1, "b"), entry(2, "b"))))  # wijzig 2
    assert [s for s in seen if s[1] == "answers"] == [
        ("delete", "answers", 1),
        ("insert", "answers", 2),
    ]

    with _dml_log(store.engine) as seen:
        store.save(KEY, state((entries[0], entry(1, "b"), entry(2, "b")), serial=8))
    assert seen == [("update", "conversations", 1)]

    assert [seq for seq, _ in _answer_rows(store)] == [0, 1, 2]
    assert store.load(KEY) == state((entries[0], entry(1, "b"), entry(2, "b")), serial=8)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    upgrade(url)
    store = create_store(url)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_deleting_a_conversation_deletes_its_answers(sql_backend: Backend) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    store.save(KEY, state(log(3)))
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM conversations"))
    assert _answer_rows(store) == []


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        make_engine("mysql://localhost/voorkomen")


def test_plain_postgresql_url_uses_psycopg_3() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/none")
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


# ------------------------------------------------------------------ migrations


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peer)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url.rsplit("/", 1)[1])


def _schema_differences(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_create_exactly_the_models(
    empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini is looked up in the working directory
    upgrade(empty_database)
    assert _schema_differences(empty_database) == []
    upgrade(empty_database)  # a second run is a no-op
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {
        "conversations",
        "answers",
        "records",
        "flow_snapshots",
        "settings_kv",
        "jobs",
        "outbox",
    } <= tables


def test_migrations_go_down_to_an_empty_database(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_database)
    assert _schema_differences(empty_database) == []


@pytest.mark.peer
def test_postgresql_keeps_json_as_jsonb(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            columns = {c["name"]: c["type"] for c in inspect(conn).get_columns("answers")}
    finally:
        engine.dispose()
    for name in ("path", "value", "stack", "extra"):
        assert isinstance(columns[name], JSONB), name
