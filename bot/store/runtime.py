"""Scheduler jobs and the outbox on SQL: the ``JobStore`` and ``OutboxStore`` ports.

A mixin of ``SqlStore`` (it uses the store's engine), kept apart because it is
not on the per-message hot path. Both tables are claimed the same way, so a
job or a message is handled by one process only, even with several bot
processes on one PostgreSQL:

1. select a few candidates (on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so a
   second process takes other rows instead of waiting);
2. claim each with an ``UPDATE`` whose ``WHERE`` repeats the conditions, so
   it changes the row only if nobody else claimed it meanwhile (what keeps
   SQLite, which has no row locks, exact too);
3. the claim is a lease (``locked_until`` / ``next_attempt_at``): a process
   that dies while holding it lets the row come back when the lease ends.

Times are stored in UTC (SQLite keeps no time zone; read back, they get UTC).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.engine.messages import Choice
from bot.service.ports import Job, Notice, QueuedMessage
from bot.store.moments import utc as utc  # re-exported: bot.store.records reads it here
from bot.store.sealing import Sealer, org_label
from bot.store.tables import jobs as _jobs
from bot.store.tables import outbox as _outbox

log = logging.getLogger(__name__)
_Claimed = TypeVar("_Claimed")


_j = _jobs.c
_o = _outbox.c
_JOB_COLUMNS = (_j.id, _j.kind, _j.payload, _j.due_at, _j.attempts, _j.name)
_MESSAGE_COLUMNS = (_o.id, _o.org_id, _o.person_id, _o.text, _o.actions, _o.attempts, _o.created_at)


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        payload=row.payload,
        due_at=utc(row.due_at),
        attempts=row.attempts,
        name=row.name,
    )


def _message(row: Any, seal: Sealer) -> QueuedMessage:
    actions = tuple(Choice(key, label) for key, label in row.actions)
    text = seal.open_text(org_label(row.org_id), "outbox.text", row.text)
    return QueuedMessage(
        id=row.id,
        org_id=row.org_id,
        person_id=row.person_id,
        notice=Notice(text, actions),
        attempts=row.attempts,
        created_at=utc(row.created_at),
    )


class SqlRuntime:
    """``JobStore`` and ``OutboxStore`` over ``self._engine`` (mixed into ``SqlStore``)."""

    _engine: Engine
    _postgres: bool
    _seal: Sealer

    # ------------------------------------------------------------------ jobs

    def add_job(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, *, name: str | None = None
    ) -> bool:
        now = datetime.now(UTC)
        values = {
            "name": name,
            "kind": kind,
            "payload": dict(payload),
            "due_at": utc(due_at),
            "attempts": 0,
            "created_at": now,
        }
        try:
            with self._engine.begin() as conn:
                if name is not None and conn.execute(select(_j.id).where(_j.name == name)).first():
                    return False
                conn.execute(insert(_jobs).values(values))
        except IntegrityError:  # another process added the same named job just now
            return False
        return True

    def claim_jobs(self, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        now, lease_until = utc(now), utc(lease_until)
        available = and_(
            _j.done_at.is_(None),
            _j.due_at <= now,
            or_(_j.locked_until.is_(None), _j.locked_until < now),
        )
        lease = {"locked_until": lease_until, "attempts": _j.attempts + 1}
        return self._claim(_jobs, available, _j.due_at, lease, _JOB_COLUMNS, limit, _job, "jobs")

    def finish_job(self, job_id: int, now: datetime, next_due: datetime | None = None) -> None:
        values: dict[str, Any] = {"locked_until": None, "last_error": None}
        if next_due is None:
            values["done_at"] = utc(now)
        else:
            values |= {"due_at": utc(next_due), "attempts": 0}
        with self._engine.begin() as conn:
            conn.execute(update(_jobs).where(_j.id == job_id).values(values))

    def retry_job(self, job_id: int, error: str, retry_at: datetime, *, give_up: bool) -> None:
        values: dict[str, Any] = {"locked_until": None, "last_error": error[:2000]}
        if give_up:
            values["done_at"] = utc(retry_at)
        else:
            values["due_at"] = utc(retry_at)
        with self._engine.begin() as conn:
            conn.execute(update(_jobs).where(_j.id == job_id).values(values))

    def pending_jobs(self) -> list[Job]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(*_JOB_COLUMNS).where(_j.done_at.is_(None)).order_by(_j.due_at, _j.id)
            ).all()
        return [_job(row) for row in rows]

    def _claim(
        self,
        table: Table,
        available: ColumnElement[bool],
        oldest: ColumnElement[Any],
        lease: Mapping[str, Any],
        columns: Sequence[ColumnElement[Any]],
        limit: int,
        make: Callable[[Any], _Claimed],
        what: str,
    ) -> list[_Claimed]:
        """Lease up to ``limit`` available rows, ``oldest`` first, each to one process.

        PostgreSQL skips rows another process holds; each row is leased by a conditional
        ``UPDATE`` (still ``available``), so two processes never claim the same one.
        """
        ids = table.c.id
        candidates = select(ids).where(available).order_by(oldest, ids).limit(limit)
        if self._postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        claimed: list[_Claimed] = []
        try:
            with self._engine.begin() as conn:
                for row_id in conn.execute(candidates).scalars().all():
                    row = conn.execute(
                        update(table)
                        .where(ids == row_id, available)
                        .values(lease)
                        .returning(*columns)
                    ).one_or_none()
                    if row is not None:
                        claimed.append(make(row))
        except OperationalError as err:  # SQLite: another process is writing; next time
            log.info("could not claim %s now: %s", what, err)
            return []
        return claimed

    # ------------------------------------------------------------------ outbox

    def queue_message(self, org_id: str, person_id: str, notice: Notice, now: datetime) -> int:
        with self._engine.begin() as conn:
            message_id: int = conn.execute(
                insert(_outbox)
                .values(
                    org_id=org_id,
                    person_id=person_id,
                    text=self._seal.text(org_label(org_id), "outbox.text", notice.text),
                    actions=[[c.key, c.label] for c in notice.actions],
                    attempts=0,
                    next_attempt_at=utc(now),
                    created_at=utc(now),
                )
                .returning(_o.id)
            ).scalar_one()
        return message_id

    def claim_messages(
        self, now: datetime, lease_until: datetime, limit: int, *, person_id: str | None = None
    ) -> list[QueuedMessage]:
        now, lease_until = utc(now), utc(lease_until)
        conditions = [_o.delivered_at.is_(None), _o.next_attempt_at <= now]
        if person_id is not None:
            conditions.append(_o.person_id == person_id)
        available = and_(*conditions)
        lease = {"next_attempt_at": lease_until, "attempts": _o.attempts + 1}
        return self._claim(
            _outbox,
            available,
            _o.created_at,
            lease,
            _MESSAGE_COLUMNS,
            limit,
            lambda row: _message(row, self._seal),
            "outbox messages",
        )

    def message_delivered(self, message_id: int, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_outbox)
                .where(_o.id == message_id)
                .values(delivered_at=utc(now), last_error=None)
            )

    def message_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_outbox)
                .where(_o.id == message_id)
                .values(next_attempt_at=utc(retry_at), last_error=error[:2000])
            )

    def waiting_messages(self, person_id: str) -> list[QueuedMessage]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(*_MESSAGE_COLUMNS)
                .where(_o.person_id == person_id, _o.delivered_at.is_(None))
                .order_by(_o.created_at, _o.id)
            ).all()
        return [_message(row, self._seal) for row in rows]
