"""The escalation store on SQL: ``EscalationStore`` over ``bot.store.escalation_models``.

Every free text (the question for the team, typed disciplines, a decline's
reason, the outcome's note, the lessons) is sealed with the organisation's
data key before it is written and opened when read (``bot.store.sealing``,
the conversation store's ``Sealer``). State changes are conditional
``UPDATE``s on the state they expect, so two team leads (or two processes)
never both accept one request, and a meeting's reminder is claimed once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.service.together.escalation import (
    BLANKED,
    ENDED,
    OPEN,
    Escalation,
    Participation,
    checked_fields,
    escalation_counts,
)
from bot.store.database import reading
from bot.store.escalation_models import EscalationAnswerRow, EscalationRow
from bot.store.moments import utc_or_none
from bot.store.sealing import Sealer, org_label, reseal_columns
from bot.store.sql import PurgeHook
from bot.store.tables import table_of

escalations_table = table_of(EscalationRow)
answers_table = table_of(EscalationAnswerRow)
_e, _n = escalations_table.c, answers_table.c

SEALED_TEXT = ("question", "decline_reason", "outcome_note", "lessons")
"""Columns sealed as text; ``disciplines`` is sealed as a JSON list."""
_DAYS = ("meeting_on", "reminded_for")
_TIMES = ("asked_at", "started_at", "closed_at")


class SqlEscalationStore:
    """``EscalationStore`` on the conversation store's engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._engine = engine
        self._seal = sealer

    # ------------------------------------------------------------ values

    def _row_values(self, org_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        checked_fields(fields)
        org = org_label(org_id)
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name in SEALED_TEXT and value is not None:
                value = self._seal.text(org, f"escalations.{name}", str(value))
            elif name == "disciplines":
                plain = json.dumps(list(value or ()), ensure_ascii=False)
                value = self._seal.text(org, "escalations.disciplines", plain)
            elif name in _DAYS and isinstance(value, date):
                value = value.isoformat()
            elif name in _TIMES:
                value = utc_or_none(value)
            values[name] = value
        return values

    def _escalation(self, row: Any) -> Escalation:
        org = org_label(row.org_id)

        def opened(name: str) -> str | None:
            stored = getattr(row, name)
            return (
                None if stored is None else self._seal.open_text(org, f"escalations.{name}", stored)
            )

        disciplines = opened("disciplines")
        return Escalation(
            id=row.id,
            org_id=row.org_id,
            state=row.state,
            created_at=utc_or_none(row.created_at) or datetime.now(UTC),
            case_code=row.case_code,
            question=opened("question"),
            disciplines=tuple(json.loads(disciplines)) if disciplines else (),
            urgency=row.urgency,
            reason=row.reason,
            requested_by=row.requested_by,
            lead_id=row.lead_id,
            step=row.step,
            asked_at=utc_or_none(row.asked_at),
            meeting_on=None if row.meeting_on is None else date.fromisoformat(row.meeting_on),
            reminded_for=(
                None if row.reminded_for is None else date.fromisoformat(row.reminded_for)
            ),
            decline_reason=opened("decline_reason"),
            outcome=row.outcome,
            outcome_note=opened("outcome_note"),
            lessons=opened("lessons"),
            started_at=utc_or_none(row.started_at),
            closed_at=utc_or_none(row.closed_at),
        )

    # ------------------------------------------------------------ writing

    def create(self, org_id: int, state: str, now: datetime, **fields: Any) -> Escalation:
        values = self._row_values(org_id, fields)
        with self._engine.begin() as conn:
            new_id = conn.execute(
                insert(escalations_table)
                .values(org_id=org_id, state=state, created_at=utc_or_none(now), **values)
                .returning(_e.id)
            ).scalar_one()
        found = self.escalation(int(new_id))
        assert found is not None
        return found

    def change(self, escalation_id: int, states: Sequence[str], **fields: Any) -> Escalation | None:
        with self._engine.begin() as conn:
            org_id = conn.execute(
                select(_e.org_id).where(_e.id == escalation_id)
            ).scalar_one_or_none()
            if org_id is None:
                return None
            done = conn.execute(
                update(escalations_table)
                .where(_e.id == escalation_id, _e.state.in_(list(states)))
                .values(**self._row_values(org_id, fields))
            )
            if done.rowcount != 1:
                return None
            row = conn.execute(select(escalations_table).where(_e.id == escalation_id)).one()
        return self._escalation(row)

    def answer(self, escalation_id: int, person_id: int, answer: str, now: datetime) -> None:
        where = (_n.escalation_id == escalation_id) & (_n.person_id == person_id)
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(answers_table).where(where).values(answer=answer, at=utc_or_none(now))
            ).rowcount
            if changed:
                return
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(answers_table).values(
                            escalation_id=escalation_id,
                            person_id=person_id,
                            answer=answer,
                            at=utc_or_none(now),
                        )
                    )
            except IntegrityError:  # answered at the same moment elsewhere
                conn.execute(update(answers_table).where(where).values(answer=answer))

    def claim_reminder(self, escalation_id: int, day: date) -> bool:
        text = day.isoformat()
        with self._engine.begin() as conn:
            done = conn.execute(
                update(escalations_table)
                .where(_e.id == escalation_id, _e.state == OPEN, _e.meeting_on == text)
                .where((_e.reminded_for.is_(None)) | (_e.reminded_for != text))
                .values(reminded_for=text)
            )
            return done.rowcount == 1

    # ------------------------------------------------------------ reading

    def escalation(self, escalation_id: int) -> Escalation | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(escalations_table).where(_e.id == escalation_id)
            ).one_or_none()
        return None if row is None else self._escalation(row)

    def waiting_step(self, org_id: int, person_id: int, since: datetime) -> Escalation | None:
        query = (
            select(escalations_table)
            .where(_e.org_id == org_id, _e.lead_id == person_id, _e.step.is_not(None))
            .where(_e.asked_at.is_not(None), _e.asked_at >= utc_or_none(since))
            .order_by(_e.asked_at.desc(), _e.id.desc())
            .limit(1)
        )
        with reading(self._engine) as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else self._escalation(row)

    def of_lead(self, org_id: int, person_id: int, states: Sequence[str]) -> list[Escalation]:
        query = (
            select(escalations_table)
            .where(_e.org_id == org_id, _e.lead_id == person_id, _e.state.in_(list(states)))
            .order_by(_e.id.desc())
        )
        with self._engine.connect() as conn:
            return [self._escalation(row) for row in conn.execute(query)]

    def of_requester(self, org_id: int, person_id: int, states: Sequence[str]) -> list[Escalation]:
        query = (
            select(escalations_table)
            .where(_e.org_id == org_id, _e.requested_by == person_id)
            .where(_e.state.in_(list(states)))
            .order_by(_e.id.desc())
        )
        with self._engine.connect() as conn:
            return [self._escalation(row) for row in conn.execute(query)]

    def answers(self, escalation_id: int) -> list[Participation]:
        query = (
            select(answers_table)
            .where(_n.escalation_id == escalation_id)
            .order_by(_n.at, _n.person_id)
        )
        with self._engine.connect() as conn:
            return [
                Participation(r.escalation_id, r.person_id, r.answer, utc_or_none(r.at) or r.at)
                for r in conn.execute(query)
            ]

    def monthly_counts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        # Only the columns the counts read: no text is opened.
        query = select(
            _e.id,
            _e.org_id,
            _e.state,
            _e.created_at,
            _e.urgency,
            _e.reason,
            _e.outcome,
            _e.started_at,
            _e.closed_at,
        ).where(_e.org_id == org_id)
        with self._engine.connect() as conn:
            rows = [
                Escalation(
                    id=r.id,
                    org_id=r.org_id,
                    state=r.state,
                    created_at=utc_or_none(r.created_at) or datetime.now(UTC),
                    urgency=r.urgency,
                    reason=r.reason,
                    outcome=r.outcome,
                    started_at=utc_or_none(r.started_at),
                    closed_at=utc_or_none(r.closed_at),
                )
                for r in conn.execute(query)
            ]
        return escalation_counts(rows)

    # ------------------------------------------------------------ retention

    def purge_hook(self) -> PurgeHook:
        """For ``SqlStore.purge_hooks``: ended escalations past retention lose their
        text, case code, people and answers; what the overview counts stays."""

        def purge(conn: Connection, cutoff: datetime) -> int:
            return purge_in(conn, cutoff)

        return purge


def purge_in(conn: Connection, cutoff: datetime) -> int:
    """Blank escalations that ended (closed, declined, cancelled) before ``cutoff``."""
    moment = utc_or_none(cutoff)
    ended = select(_e.id).where(
        _e.state.in_(ENDED),
        func.coalesce(_e.closed_at, _e.created_at) < moment,
        _e.case_code.is_not(None) | _e.question.is_not(None) | _e.lead_id.is_not(None),
    )
    ids = list(conn.execute(ended).scalars())
    if not ids:
        return 0
    conn.execute(delete(answers_table).where(_n.escalation_id.in_(ids)))
    blank = dict.fromkeys(BLANKED)
    return int(
        conn.execute(update(escalations_table).where(_e.id.in_(ids)).values(**blank)).rowcount
    )


def reseal_escalations(engine: Engine, sealer: Sealer, org: str) -> int:
    """Key rotation (``bot.store.rekey``): re-seal ``org``'s escalation texts with its
    newest key; a row is replaced only while it still holds what was read."""
    return reseal_columns(engine, sealer, escalations_table, [*SEALED_TEXT, "disciplines"], org)
