"""The confirmation store on SQL (``ConfirmStore`` of ``bot.service.together.confirm``).

Requests live in ``confirmations`` (``bot.store.confirm_models``); the
colleague's remark is sealed with the organisation's key. A state change is
one conditional ``UPDATE`` (the states it may come from), so two processes or
two taps never answer one request twice; a reminder is claimed the same way.
:meth:`SqlConfirmStore.add_record_line` opens the record's sealed text, adds
the confirmation line to its vier-ogen part and seals it again, by
compare-and-set on the stored value (a key rotation running meanwhile makes
it read again), so ``bot.store.sql`` needs no change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update

from bot.service.ports import ConversationKey
from bot.service.together.confirm import (
    ASKED,
    CODE,
    OPEN_STATES,
    Confirmation,
    Move,
    NewConfirmation,
    with_line,
)
from bot.service.together.confirm_rules import (
    REPLACED_FIELDS,
    WAITING_FOR_COLLEAGUE,
    monthly_counts,
    moved_fields,
)
from bot.store import models
from bot.store.confirm_models import ConfirmationRow
from bot.store.database import reading
from bot.store.moments import utc, utc_or_none
from bot.store.reminder_claims import claim_reminder_row
from bot.store.sealing import Sealer, org_label, reseal_columns
from bot.store.sql import PurgeHook
from bot.store.tables import table_of

REMARK_FIELD = "confirmations.remark"


_confirmations = table_of(ConfirmationRow)
_records = table_of(models.Record)
_c = _confirmations.c


class SqlConfirmStore:
    """``ConfirmStore`` on the conversation store's engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._engine = engine
        self._seal = sealer

    def _row(self, row: Any) -> Confirmation:
        asked = utc_or_none(row.asked_at)
        assert asked is not None
        remark = row.remark
        if remark is not None:
            remark = self._seal.open_text(org_label(row.org_id), REMARK_FIELD, remark)
        return Confirmation(
            id=row.id,
            org_id=row.org_id,
            asker_id=row.asker_id,
            record_id=row.record_id,
            key=ConversationKey(row.channel, row.chat),
            case_code=row.case_code,
            colleague_id=row.colleague_id,
            state=row.state,
            asked_at=asked,
            remind_at=utc_or_none(row.remind_at),
            reminded=row.reminded,
            answered_at=utc_or_none(row.answered_at),
            remark=remark,
            code_until=utc_or_none(row.code_until),
        )

    # ------------------------------------------------------------ writing

    def add(self, new: NewConfirmation) -> Confirmation:
        with self._engine.begin() as conn:
            conn.execute(
                update(_confirmations)
                .where(_c.record_id == new.record_id, _c.state.in_(OPEN_STATES))
                .values(**REPLACED_FIELDS)
            )
            new_id = conn.execute(
                insert(_confirmations)
                .values(
                    org_id=new.org_id,
                    asker_id=new.asker_id,
                    record_id=new.record_id,
                    channel=new.key.channel,
                    chat=new.key.chat,
                    case_code=new.case_code,
                    colleague_id=new.colleague_id,
                    state=new.state,
                    asked_at=utc_or_none(new.asked_at),
                    remind_at=utc_or_none(new.remind_at),
                    reminded=0,
                    answered_at=None,
                    remark=None,
                    code_hash=new.code_hash,
                    code_until=utc_or_none(new.code_until),
                )
                .returning(_c.id)
            ).scalar_one()
            row = conn.execute(select(_confirmations).where(_c.id == new_id)).one()
        return self._row(row)

    def move(self, change: Move) -> bool:
        values = moved_fields(change)
        values["remind_at"] = utc_or_none(values["remind_at"])
        if "answered_at" in values:
            values["answered_at"] = utc_or_none(values["answered_at"])
        if change.state == ASKED:
            values["code_hash"] = None  # used: it never works again
        with self._engine.begin() as conn:
            if change.remark is not None:
                org_id = conn.execute(
                    select(_c.org_id).where(_c.id == change.confirmation_id)
                ).scalar_one_or_none()
                values["remark"] = self._seal.text(org_label(org_id), REMARK_FIELD, change.remark)
            done = conn.execute(
                update(_confirmations)
                .where(_c.id == change.confirmation_id, _c.state.in_(tuple(change.from_states)))
                .values(**values)
            )
            return done.rowcount == 1

    def claim_reminder(self, confirmation_id: int, reminded: int) -> bool:
        return claim_reminder_row(self._engine, _confirmations, confirmation_id, ASKED, reminded)

    def add_record_line(self, record_id: str, line: str) -> str | None:
        r = _records.c
        for _attempt in range(5):
            with self._engine.begin() as conn:
                row = conn.execute(select(r.text, r.org_id).where(r.id == record_id)).one_or_none()
                if row is None:
                    return None
                org = org_label(row.org_id)
                text = with_line(self._seal.open_text(org, "records.text", row.text), line)
                done = conn.execute(
                    update(_records)
                    .where(r.id == record_id, r.text == row.text)
                    .values(text=self._seal.text(org, "records.text", text))
                )
                if done.rowcount == 1:
                    return text
        return None

    # ------------------------------------------------------------ reading

    def _select(self, *conditions: Any, newest: bool = True) -> list[Confirmation]:
        order = (_c.asked_at.desc(), _c.id.desc()) if newest else (_c.remind_at, _c.id)
        query = select(_confirmations).where(*conditions).order_by(*order)
        with reading(self._engine) as conn:
            return [self._row(row) for row in conn.execute(query)]

    def get(self, confirmation_id: int) -> Confirmation | None:
        found = self._select(_c.id == confirmation_id)
        return found[0] if found else None

    def by_code(self, code_hash: str, now: datetime) -> Confirmation | None:
        found = self._select(
            _c.code_hash == code_hash, _c.state == CODE, _c.code_until >= utc_or_none(now)
        )
        return found[0] if found else None

    def open_for(self, org_id: int, colleague_id: int) -> list[Confirmation]:
        return self._select(
            _c.org_id == org_id,
            _c.colleague_id == colleague_id,
            _c.state.in_(WAITING_FOR_COLLEAGUE),
        )

    def open_of(self, org_id: int, asker_id: int) -> list[Confirmation]:
        return self._select(_c.org_id == org_id, _c.asker_id == asker_id, _c.state.in_(OPEN_STATES))

    def recent_colleagues(self, org_id: int, asker_id: int) -> list[int]:
        query = (
            select(_c.colleague_id, func.max(_c.asked_at).label("last"))
            .where(_c.org_id == org_id, _c.asker_id == asker_id, _c.colleague_id.is_not(None))
            .group_by(_c.colleague_id)
            .order_by(func.max(_c.asked_at).desc())
        )
        with self._engine.connect() as conn:
            return [int(row.colleague_id) for row in conn.execute(query)]

    def due_reminders(self, now: datetime, limit: int) -> list[Confirmation]:
        query = (
            select(_confirmations)
            .where(_c.state == ASKED, _c.remind_at.is_not(None), _c.remind_at <= utc_or_none(now))
            .order_by(_c.remind_at, _c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [self._row(row) for row in conn.execute(query)]

    def monthly_counts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        query = select(_c.state, _c.asked_at, _c.colleague_id).where(_c.org_id == org_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return monthly_counts((r.state, utc(r.asked_at), r.colleague_id) for r in rows)

    # ------------------------------------------------------------ rights and retention

    def purge_hook(self) -> PurgeHook:
        """For ``SqlStore.purge_hooks``: requests go with the records they are about."""

        def purge(conn: Connection, cutoff: datetime) -> int:
            return int(
                conn.execute(delete(_confirmations).where(_c.asked_at < utc(cutoff))).rowcount
            )

        return purge


def erase_person_in(conn: Connection, person_id: int) -> int:
    """Delete the requests ``person_id`` asked or was asked (``vergeet mij``)."""
    return int(
        conn.execute(
            delete(_confirmations).where(
                or_(_c.asker_id == person_id, _c.colleague_id == person_id)
            )
        ).rowcount
    )


def erase_records_in(conn: Connection, record_ids: Sequence[str]) -> int:
    """Delete the requests about these records (``voorkomen case erase``)."""
    if not record_ids:
        return 0
    return int(
        conn.execute(delete(_confirmations).where(_c.record_id.in_(list(record_ids)))).rowcount
    )


def export_person_in(conn: Connection, seal: Sealer, person_id: int) -> list[dict[str, Any]]:
    """The requests ``person_id`` asked or was asked, opened (``export --member``)."""
    rows = conn.execute(
        select(_confirmations)
        .where(or_(_c.asker_id == person_id, _c.colleague_id == person_id))
        .order_by(_c.asked_at, _c.id)
    )
    return [
        {
            "casuscode": row.case_code,
            "gevraagd_door_mij": row.asker_id == person_id,
            "stand": row.state,
            "gevraagd": (utc_or_none(row.asked_at) or datetime.now(UTC)).isoformat(),
            "opmerking": None
            if row.remark is None
            else seal.open_text(org_label(row.org_id), REMARK_FIELD, row.remark),
        }
        for row in rows
    ]


def reseal_remarks(engine: Engine, seal: Sealer, org: str) -> int:
    """Re-seal the remarks of ``org`` still sealed with an older key (``keys rotate``);
    compare-and-set on the stored value. How many."""
    return reseal_columns(engine, seal, _confirmations, ["remark"], org)
