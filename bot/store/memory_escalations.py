"""``MemoryEscalationStore``: the in-memory twin of ``bot.store.escalations``.

For tests and the console, held to the same tests as the SQL store. It keeps
plain values (the SQL store seals the free text) and imports no SQLAlchemy.
``erase_person``, ``erase_case`` and ``export_person`` mirror what
``bot.store.rights`` does to the escalation tables.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

from bot.service.together.escalation import (
    Escalation,
    Participation,
    checked_fields,
    escalation_counts,
)
from bot.store.moments import newest_asked, utc


class MemoryEscalationStore:
    """``EscalationStore`` in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, Escalation] = {}
        self._answers: dict[tuple[int, int], Participation] = {}
        self._last_id = 0

    def create(self, org_id: int, state: str, now: datetime, **fields: Any) -> Escalation:
        checked_fields(fields)
        with self._lock:
            self._last_id += 1
            row = Escalation(self._last_id, org_id, state, utc(now))
            row = replace(row, **_clean(fields))
            self._rows[row.id] = row
            return row

    def escalation(self, escalation_id: int) -> Escalation | None:
        with self._lock:
            return self._rows.get(escalation_id)

    def change(self, escalation_id: int, states: Sequence[str], **fields: Any) -> Escalation | None:
        checked_fields(fields)
        with self._lock:
            row = self._rows.get(escalation_id)
            if row is None or row.state not in states:
                return None
            row = replace(row, **_clean(fields))
            self._rows[escalation_id] = row
            return row

    def waiting_step(self, org_id: int, person_id: int, since: datetime) -> Escalation | None:
        with self._lock:
            leading = [
                r
                for r in self._rows.values()
                if r.org_id == org_id and r.lead_id == person_id and r.step is not None
            ]
        return newest_asked(leading, since)

    def of_lead(self, org_id: int, person_id: int, states: Sequence[str]) -> list[Escalation]:
        return self._newest_first(org_id, states, lambda r: r.lead_id == person_id)

    def of_requester(self, org_id: int, person_id: int, states: Sequence[str]) -> list[Escalation]:
        return self._newest_first(org_id, states, lambda r: r.requested_by == person_id)

    def _newest_first(
        self, org_id: int, states: Sequence[str], whose: Callable[[Escalation], bool]
    ) -> list[Escalation]:
        """The organisation's escalations in ``states`` that ``whose`` keeps, newest first."""
        with self._lock:
            mine = [
                r
                for r in self._rows.values()
                if r.org_id == org_id and r.state in states and whose(r)
            ]
        return sorted(mine, key=lambda r: -r.id)

    def answer(self, escalation_id: int, person_id: int, answer: str, now: datetime) -> None:
        with self._lock:
            self._answers[(escalation_id, person_id)] = Participation(
                escalation_id, person_id, answer, utc(now)
            )

    def answers(self, escalation_id: int) -> list[Participation]:
        with self._lock:
            found = [a for a in self._answers.values() if a.escalation_id == escalation_id]
        return sorted(found, key=lambda a: (a.at, a.person_id))

    def claim_reminder(self, escalation_id: int, day: date) -> bool:
        with self._lock:
            row = self._rows.get(escalation_id)
            if row is None or not row.reminder_due(day):
                return False
            self._rows[escalation_id] = replace(row, reminded_for=day)
            return True

    def monthly_counts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        with self._lock:
            rows = [r for r in self._rows.values() if r.org_id == org_id]
        return escalation_counts(rows)

    def purge_before(self, cutoff: datetime) -> int:
        """What ``SqlEscalationStore.purge_hook`` does: ended escalations past
        retention lose text, case code, people and answers; counts stay."""
        moment = utc(cutoff)
        with self._lock:
            ended = [r for r in self._rows.values() if r.past_retention(moment)]
            for r in ended:
                self._rows[r.id] = r.blanked()
            for k in [k for k in self._answers if k[0] in {r.id for r in ended}]:
                del self._answers[k]
            return len(ended)

    # ------------------------------------------------------------ rights

    def erase_person(self, person_id: int) -> int:
        """``vergeet mij``: the person's answers go; as requester or lead they are
        unlinked (the escalation is the team's). How many rows changed."""
        with self._lock:
            answers = [k for k in self._answers if k[1] == person_id]
            for k in answers:
                del self._answers[k]
            changed = len(answers)
            for i, r in list(self._rows.items()):
                if person_id in (r.requested_by, r.lead_id):
                    self._rows[i] = replace(
                        r,
                        requested_by=None if r.requested_by == person_id else r.requested_by,
                        lead_id=None if r.lead_id == person_id else r.lead_id,
                        step=None if r.lead_id == person_id else r.step,
                    )
                    changed += 1
            return changed

    def erase_case(self, org_id: int, code: str) -> int:
        """``voorkomen case erase``: the case's escalations and their answers."""
        wanted = code.strip().casefold()
        with self._lock:
            gone = [
                i
                for i, r in self._rows.items()
                if r.org_id == org_id and (r.case_code or "").casefold() == wanted
            ]
            for i in gone:
                del self._rows[i]
            for k in [k for k in self._answers if k[0] in gone]:
                del self._answers[k]
            return len(gone)

    def export_person(self, person_id: int) -> list[dict[str, Any]]:
        """The escalations the person asked for, leads or answered, as plain values."""
        with self._lock:
            answered = {k[0] for k in self._answers if k[1] == person_id}
            mine = [
                r
                for r in self._rows.values()
                if person_id in (r.requested_by, r.lead_id) or r.id in answered
            ]
        return [{k: v for k, v in asdict(r).items() if v not in (None, ())} for r in mine]


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as the SQL store reads them back (UTC times, a tuple of disciplines)."""
    out = dict(fields)
    for name in ("asked_at", "started_at", "closed_at"):
        if isinstance(out.get(name), datetime):
            out[name] = utc(out[name])
    if "disciplines" in out:
        out["disciplines"] = tuple(out["disciplines"] or ())
    return out
