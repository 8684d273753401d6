"""Retention per organisation on the scheduler, and deleted data gone from the files:
a byte scan after the purge of the SQLite database, its WAL and its journal, or of
the PostgreSQL database's own files (``tests/privacy/bytescan.py``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.service.conversation import ConversationService
from bot.service.ports import ConversationKey, NewRecord
from bot.service.scheduler import Scheduler, schedule_retention
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore
from tests.privacy.bytescan import database_files, found_in, sealed_rows
from tests.store.conftest import Backend
from tests.store.samples import record
from tests.support.service import make_service

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def rid(code: str) -> str:
    """A record id that does not contain the case code (the audit log keeps ids)."""
    return "r" + str(sum(map(ord, code)) * len(code))


def aged(r: NewRecord, days: int, org_id: int | None, code: str) -> NewRecord:
    made = NOW - timedelta(days=days)
    return replace(r, created_at=made, org_id=org_id, case_code=code, record_id=rid(code))


def test_retention_per_organisation_runs_on_the_scheduler_and_leaves_no_bytes(
    sql_backend: Backend, request: pytest.FixtureRequest
) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    store.default_retention_days = 30
    people = SqlPeopleStore(store.engine)
    short = people.create_organisation("Kort", settings={"bewaartermijn_dagen": 7}, now=NOW)
    usual = people.create_organisation("Gewoon", now=NOW)
    store.add_record(aged(record(ConversationKey("t", "1")), 10, short.id, "KORT-10"))
    store.add_record(aged(record(ConversationKey("t", "2")), 3, short.id, "KORT-3"))
    store.add_record(aged(record(ConversationKey("t", "3")), 10, usual.id, "GEWOON-10"))
    store.add_record(aged(record(ConversationKey("t", "4")), 40, usual.id, "GEWOON-40"))
    with store.engine.connect() as conn:
        gone_text = conn.execute(
            text("SELECT text FROM records WHERE id IN (:a, :b)"),
            {"a": rid("KORT-10"), "b": rid("GEWOON-40")},
        ).scalars()
        gone = [*(t[:60] for t in gone_text), "KORT-10", "GEWOON-40"]
    assert len(gone) == 4 and all(t.startswith("enc1.") for t in gone[:2])
    service: ConversationService = make_service(store=store)
    service.clock = lambda: NOW
    scheduler = Scheduler(store, lambda: NOW)
    schedule_retention(scheduler, service.purge_expired)
    assert asyncio.run(scheduler.run_due(NOW)) == 1
    with store.engine.connect() as conn:
        left = sorted(conn.execute(text("SELECT id FROM records")).scalars())
    assert left == sorted([rid("GEWOON-10"), rid("KORT-3")])
    files = database_files(sql_backend, request)
    assert found_in(files, gone) == []
    assert found_in(files, ["KORT-3", "GEWOON-10"]) == ["KORT-3", "GEWOON-10"]


def test_the_byte_scan_sees_what_is_not_purged(
    sql_backend: Backend, request: pytest.FixtureRequest
) -> None:
    """The scan finds stored values before a purge (so an empty scan means something);
    the audit log keeps record ids (never content), so the scan looks for the rest."""
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    store.add_record(aged(record(), 1, None, "ZICHTBAAR-1"))
    values = sealed_rows(store)
    assert found_in(database_files(sql_backend, request), values) == values
    store.purge_all(NOW + timedelta(days=1))
    assert found_in(database_files(sql_backend, request), values) == []
