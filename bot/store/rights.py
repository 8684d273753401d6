"""The rights of the people in the records (AVG): access, and erasure.

- A member's own data (``export_member``): who they are here, their channel
  ids, memberships, conversations in progress, records and waiting messages,
  opened (the right of access, as JSON for ``voorkomen export --member``).
- ``erase_member`` (``vergeet mij`` in the chat): every conversation, record
  and waiting message of the person, their channel ids, memberships, codes
  and the person; the audit log keeps that it happened (``member.erased``,
  with the person's number, no name).
- One case code in one organisation (``voorkomen case export|erase``): to
  answer a request of a client or a parent. The records with that code and
  the conversations in progress in which it was typed.

Everything is deleted in one transaction, then ``scrub`` makes it gone from
the database files too. Each act is written in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, or_, select, update

from bot.org.model import AuditAction, AuditEntry
from bot.service.people_port import member_erased
from bot.store import tables
from bot.store.audit import append_audit_in
from bot.store.confirm import erase_person_in, erase_records_in, export_person_in
from bot.store.escalations import answers_table as _esc_answers
from bot.store.escalations import escalations_table as _escalations
from bot.store.followup import DESCRIPTION
from bot.store.followup_models import FollowupAction, FollowupRecord
from bot.store.sealing import Sealer, org_label
from bot.store.sql import SqlStore, scrub
from bot.store.tables import table_of

_people = tables.people
_ids = tables.identities
_roles = tables.member_roles
_codes = tables.access_codes
_orgs = tables.organisations
_convs = tables.conversations
_answers = tables.answers
_records = tables.records
_outbox = tables.outbox
_audit = tables.audit_log
_actions = table_of(FollowupAction)
_record_index = table_of(FollowupRecord)


def _iso(moment: Any) -> Any:
    return moment.isoformat() if isinstance(moment, datetime) else moment


def _conversation(conn: Connection, seal: Sealer, row: Any) -> dict[str, Any]:
    """A conversation as plain JSON: where it is and its answers."""
    position, label = seal.open_position(row.position)
    answers = []
    for a in conn.execute(
        select(_answers.c.path, _answers.c.value, _answers.c.kind, _answers.c.at)
        .where(_answers.c.conversation_id == row.id)
        .order_by(_answers.c.seq)
    ):
        value = a.value if label is None else seal.open_json(label, "answers.value", a.value)
        answers.append({"vraag": "/".join(a.path), "antwoord": value, "soort": a.kind, "op": a.at})
    return {
        "kanaal": row.channel,
        "flow": row.flow_id,
        "stand": position.get("mode"),
        "laatst_bijgewerkt": _iso(row.updated_at),
        "antwoorden": answers,
    }


def _record(seal: Sealer, row: Any) -> dict[str, Any]:
    org = org_label(row.org_id)
    return {
        "id": row.id,
        "flow": row.flow_id,
        "versie": row.flow_version,
        "casuscode": row.case_code,
        "gemaakt": _iso(row.created_at),
        "antwoorden": seal.open_json(org, "records.answers", row.answers),
        "tekst": seal.open_text(org, "records.text", row.text),
    }


class SqlRights:
    """Access and erasure for one person or one case code, on the store's database."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._engine: Engine = store.engine
        self._seal = store.sealer

    # ------------------------------------------------------------ one member

    def export_member(self, person_id: int, now: datetime) -> dict[str, Any] | None:
        """Everything kept about ``person_id``, opened, as JSON; None if unknown."""
        with self._engine.begin() as conn:
            person = conn.execute(
                select(_people.c.id, _people.c.name, _people.c.created_at).where(
                    _people.c.id == person_id
                )
            ).one_or_none()
            if person is None:
                return None
            orgs = _member_orgs(conn, person_id)
            data = {
                "persoon": {
                    "nummer": person.id,
                    "naam": person.name,
                    "sinds": _iso(person.created_at),
                },
                "kanalen": [
                    {
                        "kanaal": r.channel,
                        "id": r.external_id,
                        "laatst_gezien": _iso(r.last_seen_at),
                    }
                    for r in conn.execute(select(_ids).where(_ids.c.person_id == person_id))
                ],
                "lidmaatschappen": [
                    {"organisatie": name, "rol": role}
                    for name, role in conn.execute(
                        select(_orgs.c.name, _roles.c.role)
                        .join(_orgs, _orgs.c.id == _roles.c.org_id)
                        .where(_roles.c.person_id == person_id)
                        .order_by(_orgs.c.name, _roles.c.role)
                    )
                ],
                "gesprekken": [
                    _conversation(conn, self._seal, row)
                    for row in conn.execute(select(_convs).where(_convs.c.person_id == person_id))
                ],
                "vastleggingen": [
                    _record(self._seal, row)
                    for row in conn.execute(
                        select(_records)
                        .where(_records.c.person_id == person_id)
                        .order_by(_records.c.created_at)
                    )
                ],
                "afspraken": [
                    {
                        "casuscode": r.case_code,
                        "afspraak": self._seal.open_text(
                            org_label(r.org_id), DESCRIPTION, r.description
                        ),
                        "wie": r.owner,
                        "datum": r.due_on,
                        "stand": r.state,
                        "gedaan_op": r.done_on,
                    }
                    for r in conn.execute(
                        select(_actions)
                        .where(_actions.c.person_id == person_id)
                        .order_by(_actions.c.due_on)
                    )
                ],
                "bevestigingen": export_person_in(conn, self._seal, person_id),
                "opschalingen": _escalations_of(conn, self._seal, person_id),
                "berichten": [
                    {
                        "tekst": self._seal.open_text(org_label(r.org_id), "outbox.text", r.text),
                        "gemaakt": _iso(r.created_at),
                    }
                    for r in conn.execute(
                        select(_outbox).where(_outbox.c.person_id == str(person_id))
                    )
                ],
            }
            subject = f"person:{person_id}"
            append_audit_in(
                conn,
                [AuditEntry(o, AuditAction.MEMBER_EXPORTED, now, None, subject) for o in orgs],
            )
        return data

    def erase_member(self, person_id: int, now: datetime) -> dict[str, int]:
        """Erase everything of ``person_id`` (see the module doc); how many of each."""
        counts = erase_member_in(self._engine, person_id, now)
        self._store.forget_cache()
        return counts

    # ------------------------------------------------------------ one case code

    def export_case(
        self, org_id: int, code: str, now: datetime, actor: int | None = None
    ) -> dict[str, Any]:
        """The records and conversations in progress of ``org_id`` about case ``code``."""
        with self._engine.begin() as conn:
            records = [
                _record(self._seal, row)
                for row in conn.execute(
                    select(_records)
                    .where(_records.c.org_id == org_id, _records.c.case_code == code)
                    .order_by(_records.c.created_at)
                )
            ]
            conversations = [
                c for c in self._case_conversations(conn, org_id, code) if c is not None
            ]
            append_audit_in(conn, [AuditEntry(org_id, AuditAction.CASE_EXPORTED, now, actor, code)])
        return {"casuscode": code, "vastleggingen": records, "gesprekken": conversations}

    def erase_case(
        self, org_id: int, code: str, now: datetime, actor: int | None = None
    ) -> dict[str, int]:
        """Erase the records and conversations of ``org_id`` about case ``code``."""
        with self._engine.begin() as conn:
            ids = [
                row.id
                for row in conn.execute(select(_convs).where(_convs.c.org_id == org_id)).all()
                if self._mentions(conn, row, code)
            ]
            conversations = (
                conn.execute(delete(_convs).where(_convs.c.id.in_(ids))).rowcount if ids else 0
            )
            of_case = (_records.c.org_id == org_id) & (_records.c.case_code == code)
            record_ids = list(conn.execute(select(_records.c.id).where(of_case)).scalars())
            records = conn.execute(delete(_records).where(of_case)).rowcount
            actions = conn.execute(
                delete(_actions).where(_actions.c.org_id == org_id, _actions.c.case_code == code)
            ).rowcount
            erase_records_in(conn, [str(i) for i in record_ids])
            escalations = _erase_case_escalations(conn, org_id, code)
            if record_ids:
                conn.execute(
                    delete(_record_index).where(
                        _record_index.c.record_id.in_([str(i) for i in record_ids])
                    )
                )
            append_audit_in(conn, [AuditEntry(org_id, AuditAction.CASE_ERASED, now, actor, code)])
        self._store.forget_cache()
        scrub(self._engine)
        return {
            "records": records,
            "conversations": conversations,
            "actions": actions,
            "escalations": escalations,
        }

    def _case_conversations(
        self, conn: Connection, org_id: int, code: str
    ) -> list[dict[str, Any] | None]:
        found: list[dict[str, Any] | None] = []
        for row in conn.execute(select(_convs).where(_convs.c.org_id == org_id)).all():
            if self._mentions(conn, row, code):
                found.append(_conversation(conn, self._seal, row))
        return found

    def _mentions(self, conn: Connection, row: Any, code: str) -> bool:
        """Whether the case code was typed as an answer in this conversation."""
        wanted = code.strip().casefold()
        answers = _conversation(conn, self._seal, row)["antwoorden"]
        return any(
            isinstance(a["antwoord"], str) and a["antwoord"].strip().casefold() == wanted
            for a in answers
        )


def _member_orgs(conn: Connection, person_id: int) -> list[int]:
    return sorted(
        set(conn.execute(select(_roles.c.org_id).where(_roles.c.person_id == person_id)).scalars())
    )


def erase_member_in(engine: Engine, person_id: int, now: datetime) -> dict[str, int]:
    """Erase everything of ``person_id`` in one transaction, then scrub; how many of each."""
    pid = str(person_id)
    with engine.begin() as conn:
        orgs = _member_orgs(conn, person_id)
        counts = {
            "conversations": conn.execute(
                delete(_convs).where(_convs.c.person_id == person_id)
            ).rowcount,
            "records": conn.execute(
                delete(_records).where(_records.c.person_id == person_id)
            ).rowcount,
            "outbox": conn.execute(delete(_outbox).where(_outbox.c.person_id == pid)).rowcount,
            "actions": conn.execute(
                delete(_actions).where(_actions.c.person_id == person_id)
            ).rowcount,
            "identities": conn.execute(delete(_ids).where(_ids.c.person_id == person_id)).rowcount,
            "memberships": len(orgs),
        }
        conn.execute(delete(_record_index).where(_record_index.c.person_id == person_id))
        erase_person_in(conn, person_id)  # requests they made or were asked to confirm
        _unlink_escalations(conn, person_id)
        conn.execute(delete(_roles).where(_roles.c.person_id == person_id))
        conn.execute(
            delete(_codes).where(
                or_(_codes.c.person_id == person_id, _codes.c.created_by == person_id)
            )
        )
        conn.execute(delete(_people).where(_people.c.id == person_id))
        append_audit_in(conn, [member_erased(o, person_id, now) for o in orgs])
    scrub(engine)
    return counts


# ---------------------------------------------------------------- escalations


def _escalations_of(conn: Connection, seal: Sealer, person_id: int) -> list[dict[str, Any]]:
    """The escalations the person asked for, leads or answered, their text opened."""
    e, a = _escalations.c, _esc_answers.c
    answered = select(a.escalation_id).where(a.person_id == person_id)
    rows = conn.execute(
        select(_escalations)
        .where((e.requested_by == person_id) | (e.lead_id == person_id) | e.id.in_(answered))
        .order_by(e.created_at)
    ).all()
    mine = {
        r.escalation_id: r.answer
        for r in conn.execute(select(a.escalation_id, a.answer).where(a.person_id == person_id))
    }

    def opened(row: Any, name: str) -> str | None:
        stored = getattr(row, name)
        label = org_label(row.org_id)
        return None if stored is None else seal.open_text(label, f"escalations.{name}", stored)

    return [
        {
            "code": f"e{r.id}",
            "casuscode": r.case_code,
            "stand": r.state,
            "gevraagd_door_mij": r.requested_by == person_id,
            "teamleider_ben_ik": r.lead_id == person_id,
            "mijn_antwoord": mine.get(r.id),
            "vraag": opened(r, "question"),
            "urgentie": r.urgency,
            "overleg": r.meeting_on,
            "reden_geweigerd": opened(r, "decline_reason"),
            "uitkomst": r.outcome,
            "toelichting": opened(r, "outcome_note"),
            "lessen": opened(r, "lessons"),
            "gemaakt": _iso(r.created_at),
        }
        for r in rows
    ]


def _unlink_escalations(conn: Connection, person_id: int) -> int:
    """``vergeet mij``: the person's answers go; as requester or team lead they are
    unlinked (the escalation is the team's, and its text the organisation's)."""
    e = _escalations.c
    gone = conn.execute(delete(_esc_answers).where(_esc_answers.c.person_id == person_id))
    asked = conn.execute(
        update(_escalations).where(e.requested_by == person_id).values(requested_by=None)
    )
    led = conn.execute(
        update(_escalations).where(e.lead_id == person_id).values(lead_id=None, step=None)
    )
    return int(gone.rowcount + asked.rowcount + led.rowcount)


def _erase_case_escalations(conn: Connection, org_id: int, code: str) -> int:
    """``voorkomen case erase``: the case's escalations and the team's answers."""
    e = _escalations.c
    ids = list(conn.execute(select(e.id).where(e.org_id == org_id, e.case_code == code)).scalars())
    if not ids:
        return 0
    conn.execute(delete(_esc_answers).where(_esc_answers.c.escalation_id.in_(ids)))
    return int(conn.execute(delete(_escalations).where(e.id.in_(ids))).rowcount)
