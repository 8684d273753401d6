"""The follow-up store on SQL: actions, the record index and the overview's facts.

``SqlFollowupStore`` implements ``bot.service.followup.FollowupStore`` over
the tables of ``bot.store.followup_models``. What a new record adds (planned
actions, its index row, its facts) is written by :meth:`SqlFollowupStore.writer`
on the step's own connection, inside the transaction that keeps the record:
it wraps the conversation store's audit writer, so ``bot.store.sql`` needs no
change. A reminder is claimed with one conditional ``UPDATE`` (the reminder
count it was read at), so it goes out once across processes. An agreed step's
description is sealed with its organisation's key, like the record it comes
from (it may hold the professional's own words where the organisation allows
free text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from bot.service.followup import CLOSING, OPEN, Action, Fact, RecordIndex, StepRows
from bot.service.ports import ConversationKey
from bot.store.database import reading
from bot.store.followup_models import FollowupAction, FollowupFact, FollowupRecord
from bot.store.moments import utc_or_none
from bot.store.reminder_claims import claim_reminder_row
from bot.store.sealing import Sealer, org_label, reseal_columns
from bot.store.sql import AuditWriter, PurgeHook
from bot.store.tables import table_of

_actions = table_of(FollowupAction)
_records = table_of(FollowupRecord)
_facts = table_of(FollowupFact)
_a, _r, _f = _actions.c, _records.c, _facts.c


DESCRIPTION = "followup_actions.description"
"""The field a description is sealed for (bound into its seal)."""

PLAIN = Sealer(None, json.dumps)
"""Seals nothing: a follow-up store without a key ring (tests, the console demo)."""


def _action(row: Any, seal: Sealer) -> Action:
    remind_at = utc_or_none(row.remind_at)
    return Action(
        id=row.id,
        org_id=row.org_id,
        person_id=row.person_id,
        record_id=row.record_id,
        case_code=row.case_code,
        description=seal.open_text(org_label(row.org_id), DESCRIPTION, row.description),
        owner=row.owner,
        due_on=date.fromisoformat(row.due_on),
        urgent=bool(row.urgent),
        state=row.state,
        remind_at=remind_at,
        reminded=row.reminded,
        asked_at=utc_or_none(row.asked_at),
        done_on=None if row.done_on is None else date.fromisoformat(row.done_on),
    )


def write_rows(conn: Connection, rows: StepRows, seal: Sealer = PLAIN) -> None:
    """Insert planned actions, index rows and facts on ``conn`` (its transaction)."""
    now = datetime.now(UTC)
    if rows.records:
        conn.execute(
            insert(_records),
            [
                {
                    "record_id": r.record_id,
                    "org_id": r.org_id,
                    "person_id": r.person_id,
                    "channel": r.key.channel,
                    "chat": r.key.chat,
                    "flow_id": r.flow_id,
                    "created_at": utc_or_none(r.created_at),
                }
                for r in rows.records
            ],
        )
    # The ids are the database's: 0 only stands in for them.
    actions = [a.opened(0) for a in rows.actions]
    if actions:
        conn.execute(
            insert(_actions),
            [
                {
                    "org_id": a.org_id,
                    "person_id": a.person_id,
                    "record_id": a.record_id,
                    "case_code": a.case_code,
                    "description": seal.text(org_label(a.org_id), DESCRIPTION, a.description),
                    "owner": a.owner,
                    "due_on": a.due_on.isoformat(),
                    "urgent": a.urgent,
                    "state": a.state,
                    "remind_at": utc_or_none(a.remind_at),
                    "reminded": a.reminded,
                    "asked_at": a.asked_at,
                    "done_on": a.done_on,
                    "created_at": now,
                }
                for a in actions
            ],
        )
    if rows.facts:
        conn.execute(
            insert(_facts),
            [
                {"org_id": f.org_id, "month": f.month, "metric": f.metric, "category": f.category}
                for f in rows.facts
            ],
        )


class SqlFollowupStore:
    """``FollowupStore`` on the conversation store's engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, sealer: Sealer | None = None) -> None:
        self._engine = engine
        self._seal = sealer or PLAIN

    # ------------------------------------------------------------ wiring

    def writer(self, inner: AuditWriter | None) -> AuditWriter:
        """The store's audit writer, also keeping the follow-up rows of a step."""

        def write(conn: Connection, entries: Sequence[object]) -> None:
            rows = StepRows.of(entries)
            rows.check_writer(inner)
            write_rows(conn, rows, self._seal)
            if rows.audit and inner is not None:
                inner(conn, rows.audit)

        return write

    def purge_hook(self) -> PurgeHook:
        """For ``SqlStore.purge_hooks``: the index and old actions go with the records."""

        def purge(conn: Connection, cutoff: datetime) -> int:
            return self._purge_in(conn, cutoff)

        return purge

    # ------------------------------------------------------------ writing

    def write_planned(self, items: Sequence[object]) -> None:
        with self._engine.begin() as conn:
            write_rows(conn, StepRows.of(items), self._seal)

    def claim_reminder(self, action_id: int, reminded: int, now: datetime) -> bool:
        return claim_reminder_row(self._engine, _actions, action_id, OPEN, reminded)

    def close_action(
        self, action_id: int, state: str, done_on: date, fact: Fact | None, now: datetime
    ) -> bool:
        assert state in CLOSING
        with self._engine.begin() as conn:
            done = conn.execute(
                update(_actions)
                .where(_a.id == action_id, _a.state == OPEN)
                .values(state=state, done_on=done_on.isoformat(), remind_at=None, asked_at=None)
            )
            if done.rowcount != 1:
                return False
            if fact is not None:
                write_rows(conn, StepRows(facts=[fact]), self._seal)
            return True

    def postpone(self, action_id: int, due_on: date, remind_at: datetime) -> bool:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(_actions)
                .where(_a.id == action_id, _a.state == OPEN)
                .values(due_on=due_on.isoformat(), remind_at=utc_or_none(remind_at), asked_at=None)
            )
            return done.rowcount == 1

    def ask_date(self, action_id: int, at: datetime | None) -> None:
        with self._engine.begin() as conn:
            asked_at = utc_or_none(at)
            conn.execute(update(_actions).where(_a.id == action_id).values(asked_at=asked_at))

    # ------------------------------------------------------------ reading

    def due_actions(self, now: datetime, limit: int) -> list[Action]:
        query = (
            select(_actions)
            .where(_a.state == OPEN, _a.remind_at.is_not(None), _a.remind_at <= utc_or_none(now))
            .where(_a.asked_at.is_(None))
            .order_by(_a.remind_at, _a.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_action(row, self._seal) for row in conn.execute(query)]

    def action(self, action_id: int) -> Action | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_actions).where(_a.id == action_id)).one_or_none()
        return None if row is None else _action(row, self._seal)

    def open_actions(self, org_id: int, person_id: int) -> list[Action]:
        query = (
            select(_actions)
            .where(_a.org_id == org_id, _a.person_id == person_id, _a.state == OPEN)
            .order_by(_a.due_on, _a.id)
        )
        with self._engine.connect() as conn:
            return [_action(row, self._seal) for row in conn.execute(query)]

    def record_actions(self, record_id: str) -> list[Action]:
        query = select(_actions).where(_a.record_id == record_id).order_by(_a.id)
        with self._engine.connect() as conn:
            return [_action(row, self._seal) for row in conn.execute(query)]

    def waiting_for_date(self, org_id: int, person_id: int, since: datetime) -> Action | None:
        query = (
            select(_actions)
            .where(_a.org_id == org_id, _a.person_id == person_id, _a.state == OPEN)
            .where(_a.asked_at.is_not(None), _a.asked_at >= utc_or_none(since))
            .order_by(_a.asked_at.desc(), _a.id.desc())
            .limit(1)
        )
        with reading(self._engine) as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else _action(row, self._seal)

    def records_of(self, org_id: int, person_id: int, since: datetime) -> list[RecordIndex]:
        query = (
            select(_records)
            .where(_r.org_id == org_id, _r.person_id == person_id)
            .where(_r.created_at >= utc_or_none(since))
            .order_by(_r.created_at.desc(), _r.record_id)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            RecordIndex(
                record_id=row.record_id,
                org_id=row.org_id,
                person_id=row.person_id,
                key=ConversationKey(row.channel, row.chat),
                flow_id=row.flow_id,
                created_at=utc_or_none(row.created_at) or datetime.now(UTC),
            )
            for row in rows
        ]

    def facts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        count = func.count().label("n")
        query = (
            select(_f.month, _f.metric, _f.category, count)
            .where(_f.org_id == org_id)
            .group_by(_f.month, _f.metric, _f.category)
            .order_by(_f.month, _f.metric, _f.category)
        )
        with self._engine.connect() as conn:
            return [(r.month, r.metric, r.category, int(r.n)) for r in conn.execute(query)]

    # ------------------------------------------------------------ retention

    def purge_before(self, cutoff: datetime) -> int:
        with self._engine.begin() as conn:
            return self._purge_in(conn, cutoff)

    def _purge_in(self, conn: Connection, cutoff: datetime) -> int:
        """Index rows of records past retention; actions made before ``cutoff`` that
        are closed, or still open but due before it (an open step keeps its
        reminder however far ahead it is). Facts stay: counts only."""
        moment = utc_or_none(cutoff)
        assert moment is not None
        gone = conn.execute(delete(_records).where(_r.created_at < moment)).rowcount
        gone += conn.execute(
            delete(_actions).where(
                _a.created_at < moment,
                (_a.state != OPEN) | (_a.due_on < moment.date().isoformat()),
            )
        ).rowcount
        return int(gone)


def reseal_descriptions(engine: Engine, seal: Sealer, org: str) -> int:
    """Re-seal the descriptions of ``org``'s agreed steps that are plain or sealed with
    an older key (``voorkomen keys rotate``). How many."""
    return reseal_columns(engine, seal, _actions, ["description"], org)
