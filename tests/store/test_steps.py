"""One step, one transaction: ``load_step``/``commit_step``/``run_step`` on every store.

A step writes the conversation (position and answer-log diff), the records it
made, the flow snapshot and audit entries at once; a failure at any of those
points leaves all of it as it was, and a save based on an older revision is
refused. Runs on memory, SQLite (with and without the log cache) and
PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from bot.service.ports import (
    ConversationKey,
    LoadedStep,
    NewRecord,
    RevisionConflictError,
    StepWrite,
)
from bot.store.memory import MemoryStore
from bot.store.sql import SqlStore
from tests.store.conftest import Backend, Store
from tests.store.samples import KEY, log, record, state

OTHER = ConversationKey("matrix", "!kamer:example.org")
SOURCES = {"demo.yaml": "id: demo\n"}


def _record(step_key: str, record_id: str = "r" * 32) -> NewRecord:
    return replace(record(KEY), step_key=step_key, record_id=record_id)


def _write(loaded: LoadedStep, n: int, **changes: Any) -> StepWrite:
    return StepWrite(KEY, loaded.revision, state(log(n), serial=n), **changes)


def _snapshot(store: Store) -> tuple[Any, ...]:
    """Everything a step could have changed."""
    return (
        store.load_step(KEY),
        [r.id for r in store.records(KEY)],
        store.get_flow_snapshot("h1"),
    )


# ------------------------------------------------------------------ revisions


def test_a_step_writes_state_records_and_snapshot_and_moves_the_revision(store: Store) -> None:
    first = store.load_step(KEY)
    assert first == LoadedStep(None, None)
    store.commit_step(_write(first, 2))
    second = store.load_step(KEY)
    assert second.state == state(log(2), serial=2) and second.revision is not None
    store.commit_step(
        _write(second, 3, records=(_record("s1"),), snapshot=("h1", SOURCES)),
    )
    third = store.load_step(KEY)
    assert third.state == state(log(3), serial=3)
    assert third.revision == second.revision + 1
    assert [r.id for r in store.records(KEY)] == ["r" * 32]
    assert store.get_flow_snapshot("h1") == SOURCES


def test_a_save_based_on_an_older_revision_is_refused(store: Store) -> None:
    store.commit_step(_write(store.load_step(KEY), 1))
    a = store.load_step(KEY)
    b = store.load_step(KEY)
    store.commit_step(_write(a, 2))
    with pytest.raises(RevisionConflictError):
        store.commit_step(_write(b, 5, records=(_record("b"),), snapshot=("h1", SOURCES)))
    now = store.load_step(KEY)
    assert now.state == state(log(2), serial=2)
    assert store.records(KEY) == [] and store.get_flow_snapshot("h1") is None
    # On fresh state it goes through.
    store.commit_step(_write(now, 5))
    assert store.load(KEY) == state(log(5), serial=5)


def test_two_first_messages_of_one_chat_create_it_once(store: Store) -> None:
    a = store.load_step(KEY)
    b = store.load_step(KEY)
    store.commit_step(_write(a, 1))
    with pytest.raises(RevisionConflictError):
        store.commit_step(_write(b, 4))
    assert store.load(KEY) == state(log(1), serial=1)


def test_a_record_is_made_once_per_step_key(store: Store) -> None:
    store.commit_step(_write(store.load_step(KEY), 1, records=(_record("r0:s7:0", "a" * 32),)))
    with pytest.raises(Exception):  # noqa: B017,PT011 - IntegrityError or ValueError
        store.add_record(_record("r0:s7:0", "b" * 32))
    assert [r.id for r in store.records(KEY)] == ["a" * 32]
    # Another chat may use the same step key.
    store.add_record(replace(_record("r0:s7:0", "c" * 32), key=OTHER))


def test_another_process_saving_meanwhile_is_noticed(store_backend: Backend) -> None:
    """Two store instances on one database (two processes): the stale one is refused."""
    if store_backend.name == "memory":
        pytest.skip("one process only")
    a, b = store_backend.open(), store_backend.open()
    a.commit_step(_write(a.load_step(KEY), 2))
    seen_by_a = a.load_step(KEY)
    b.commit_step(_write(b.load_step(KEY), 3))
    with pytest.raises(RevisionConflictError):
        a.commit_step(_write(seen_by_a, 4))
    assert a.load(KEY) == state(log(3), serial=3)
    a.commit_step(_write(a.load_step(KEY), 4))
    assert b.load(KEY) == state(log(4), serial=4)


def test_run_step_plans_on_what_it_loaded(store: Store) -> None:
    def plan(loaded: LoadedStep) -> tuple[StepWrite, int | None]:
        n = 0 if loaded.state is None else len(loaded.state.log)
        return _write(loaded, n + 1), loaded.revision

    assert store.run_step(KEY, plan) is None
    first = store.run_step(KEY, plan)
    assert store.run_step(KEY, plan) == (first or 0) + 1
    assert store.load(KEY) == state(log(3), serial=3)


# ------------------------------------------------------------------ all or nothing


class AuditFailedError(Exception):
    pass


def test_a_failing_audit_write_leaves_nothing_of_the_step(store: Store) -> None:
    store.commit_step(_write(store.load_step(KEY), 2))
    before = _snapshot(store)
    written: list[Sequence[object]] = []

    def audit(*args: Any) -> None:
        written.append(args[-1])
        raise AuditFailedError

    store.audit_writer = audit  # type: ignore[attr-defined]
    with pytest.raises(AuditFailedError):
        store.commit_step(
            _write(
                store.load_step(KEY),
                5,
                records=(_record("x"),),
                snapshot=("h1", SOURCES),
                audit=("record created",),
            )
        )
    assert written == [("record created",)]
    assert _snapshot(store) == before


def test_audit_entries_are_written_with_the_step(store: Store) -> None:
    written: list[object] = []
    if isinstance(store, SqlStore):

        def audit(conn: Connection, entries: Sequence[object]) -> None:
            # Inside the step's transaction: it sees the row the step wrote.
            count = conn.execute(text("SELECT count(*) FROM conversations")).scalar()
            written.extend((count, e) for e in entries)

        store.audit_writer = audit
    else:
        assert isinstance(store, MemoryStore)
        store.audit_writer = lambda entries: written.extend((1, e) for e in entries)
    store.commit_step(_write(store.load_step(KEY), 1, audit=("joined", "created")))
    assert written == [(1, "joined"), (1, "created")]


def test_audit_entries_no_writer_takes_are_refused(store: Store) -> None:
    # the memory store has no writer until the people store wires one; the SQL
    # store's own writer takes audit lines (AuditEntry) only
    with pytest.raises(RuntimeError):
        store.commit_step(_write(store.load_step(KEY), 1, audit=("x",)))
    assert store.load(KEY) is None


def test_an_unserialisable_record_leaves_nothing_of_the_step(store: Store) -> None:
    store.commit_step(_write(store.load_step(KEY), 2))
    before = _snapshot(store)
    bad = replace(_record("x"), answers={"when": object()})
    with pytest.raises(TypeError):
        store.commit_step(_write(store.load_step(KEY), 5, records=(bad,), snapshot=("h1", SOURCES)))
    assert _snapshot(store) == before


@contextmanager
def failing_statement(store: SqlStore, needle: str) -> Iterator[list[str]]:
    """Make the first SQL statement containing ``needle`` fail (a crash at that point)."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if needle in statement.lower() and not seen:
            seen.append(statement)
            raise RuntimeError(f"injected failure at {needle}")

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", before)


POINTS = [
    "update conversations",
    "delete from answers",
    "insert into answers",
    "insert into records",
    "insert into flow_snapshots",
]


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_any_statement_leaves_all_or_nothing(sql_backend: Backend, point: str) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    store.commit_step(_write(store.load_step(KEY), 4))
    before = _snapshot(store)
    loaded = store.load_step(KEY)
    # Cut the log back to 2 entries and add 3 others: every statement runs.
    new_log = (*log(2), *log(5, "z")[2:])
    write = StepWrite(
        KEY,
        loaded.revision,
        state(new_log, serial=9),
        records=(_record("k"),),
        snapshot=("h1", SOURCES),
    )
    with failing_statement(store, point) as seen, pytest.raises(RuntimeError):
        store.commit_step(write)
    assert seen, f"no statement with {point!r} ran"
    assert _snapshot(store) == before
    fresh = sql_backend.open()
    assert _snapshot(fresh) == before
    # And the same step, retried, goes through whole.
    store.commit_step(write)
    assert fresh.load(KEY) == state(new_log, serial=9)
    assert [r.id for r in fresh.records(KEY)] == ["r" * 32]
    assert fresh.get_flow_snapshot("h1") == SOURCES


# ------------------------------------------------------------------ PostgreSQL: across processes


@pytest.mark.peer
def test_postgresql_orders_one_chat_across_processes(postgres_store_backend: Backend) -> None:
    """Two store instances (two connection pools: two processes) run a step for
    one chat at the same time; the second waits for the first and plans on its result."""
    a, b = postgres_store_backend.open(), postgres_store_backend.open()
    a.commit_step(_write(a.load_step(KEY), 1))
    inside_a = threading.Event()
    seen: dict[str, int] = {}

    def plan_a(loaded: LoadedStep) -> tuple[StepWrite, None]:
        inside_a.set()
        time.sleep(0.5)  # holding the conversation's lock
        seen["a"] = len(loaded.state.log) if loaded.state else 0
        return _write(loaded, seen["a"] + 1), None

    def plan_b(loaded: LoadedStep) -> tuple[StepWrite, None]:
        seen["b"] = len(loaded.state.log) if loaded.state else 0
        return _write(loaded, seen["b"] + 1), None

    thread = threading.Thread(target=a.run_step, args=(KEY, plan_a))
    thread.start()
    assert inside_a.wait(10)
    b.run_step(KEY, plan_b)  # no RevisionConflictError: it waited
    thread.join(10)
    assert seen == {"a": 1, "b": 2}
    assert a.load(KEY) == state(log(3), serial=3)


@pytest.mark.peer
def test_postgresql_does_not_hold_up_other_chats(postgres_store_backend: Backend) -> None:
    a, b = postgres_store_backend.open(), postgres_store_backend.open()
    inside_a = threading.Event()
    release = threading.Event()

    def slow(loaded: LoadedStep) -> tuple[StepWrite, None]:
        inside_a.set()
        release.wait(10)
        return _write(loaded, 1), None

    thread = threading.Thread(target=a.run_step, args=(KEY, slow))
    thread.start()
    assert inside_a.wait(10)
    other = StepWrite(OTHER, None, state(log(1)))
    b.run_step(OTHER, lambda loaded: (replace(other, base_revision=loaded.revision), None))
    assert b.load(OTHER) == state(log(1))
    release.set()
    thread.join(10)
    assert b.load(KEY) == state(log(1), serial=1)
