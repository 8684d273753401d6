"""``MemoryConfirmStore``: the in-memory twin of ``bot.store.confirm``.

For tests and the console, held to the same behaviour as the SQL store (the
tests run both). Adding the confirmation line to a record changes the
``MemoryStore``'s own copy of the record under its lock: the memory store has
no method for that yet (``bot.store.memory`` is being split; once it is, this
belongs there as ``add_record_line``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.service.together import confirm, confirm_rules
from bot.store.memory import MemoryStore
from bot.store.moments import utc, utc_or_none
from bot.store.reminder_claims import claim_reminder_in


class MemoryConfirmStore:
    """``ConfirmStore`` in memory, beside a ``MemoryStore`` (whose records it amends)."""

    def __init__(self, conversations: MemoryStore) -> None:
        self._conversations = conversations
        self._lock = threading.Lock()
        self._rows: dict[int, confirm.Confirmation] = {}
        self._codes: dict[int, str] = {}
        self._last_id = 0

    def add(self, new: confirm.NewConfirmation) -> confirm.Confirmation:
        with self._lock:
            for row in list(self._rows.values()):
                if row.record_id == new.record_id and row.state in confirm.OPEN_STATES:
                    self._rows[row.id] = replace(row, **confirm_rules.REPLACED_FIELDS)
                    self._codes.pop(row.id, None)
            self._last_id += 1
            row = replace(
                new,
                asked_at=utc(new.asked_at),
                remind_at=utc_or_none(new.remind_at),
                code_until=utc_or_none(new.code_until),
            ).kept(self._last_id)
            self._rows[row.id] = row
            if new.code_hash is not None:
                self._codes[row.id] = new.code_hash
            return row

    def get(self, confirmation_id: int) -> confirm.Confirmation | None:
        with self._lock:
            return self._rows.get(confirmation_id)

    def by_code(self, code_hash: str, now: datetime) -> confirm.Confirmation | None:
        with self._lock:
            for row_id, stored in self._codes.items():
                row = self._rows[row_id]
                if (
                    stored == code_hash
                    and row.state == confirm.CODE
                    and row.code_until is not None
                    and row.code_until >= now
                ):
                    return row
        return None

    def move(self, change: confirm.Move) -> bool:
        with self._lock:
            row = self._rows.get(change.confirmation_id)
            if row is None or row.state not in change.from_states:
                return False
            fields = confirm_rules.moved_fields(change)
            fields["remind_at"] = utc_or_none(fields["remind_at"])
            if "answered_at" in fields:
                fields["answered_at"] = utc(fields["answered_at"])
            row = replace(row, **fields)
            if change.state == confirm.ASKED:
                self._codes.pop(change.confirmation_id, None)
            self._rows[change.confirmation_id] = row
            return True

    def claim_reminder(self, confirmation_id: int, reminded: int) -> bool:
        with self._lock:
            return claim_reminder_in(self._rows, confirmation_id, confirm.ASKED, reminded)

    def add_record_line(self, record_id: str, line: str) -> str | None:
        store = self._conversations
        with store._lock:  # (see the module doc)
            found = store._records.get(record_id)
            if found is None:
                return None
            key, stored = found
            data = json.loads(stored)
            data["text"] = confirm.with_line(str(data["text"]), line)
            store._records[record_id] = (key, json.dumps(data))
            return str(data["text"])

    def _all(self) -> list[confirm.Confirmation]:
        with self._lock:
            return list(self._rows.values())

    def open_for(self, org_id: int, colleague_id: int) -> list[confirm.Confirmation]:
        return _newest(
            r
            for r in self._all()
            if r.org_id == org_id
            and r.colleague_id == colleague_id
            and r.state in confirm_rules.WAITING_FOR_COLLEAGUE
        )

    def open_of(self, org_id: int, asker_id: int) -> list[confirm.Confirmation]:
        return _newest(
            r
            for r in self._all()
            if r.org_id == org_id and r.asker_id == asker_id and r.state in confirm.OPEN_STATES
        )

    def recent_colleagues(self, org_id: int, asker_id: int) -> list[int]:
        found: list[int] = []
        for r in _newest(r for r in self._all() if r.org_id == org_id and r.asker_id == asker_id):
            if r.colleague_id is not None and r.colleague_id not in found:
                found.append(r.colleague_id)
        return found

    def due_reminders(self, now: datetime, limit: int) -> list[confirm.Confirmation]:
        due = [
            r
            for r in self._all()
            if r.state == confirm.ASKED and r.remind_at is not None and r.remind_at <= now
        ]
        return sorted(due, key=lambda r: (r.remind_at or now, r.id))[:limit]

    def monthly_counts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        mine = [r for r in self._all() if r.org_id == org_id]
        return confirm_rules.monthly_counts((r.state, r.asked_at, r.colleague_id) for r in mine)

    # ------------------------------------------------------------ rights and retention

    def purge_before(self, cutoff: datetime) -> int:
        with self._lock:
            gone = [i for i, r in self._rows.items() if r.asked_at < cutoff]
            for i in gone:
                del self._rows[i]
                self._codes.pop(i, None)
            return len(gone)

    def erase_person(self, person_id: int) -> int:
        with self._lock:
            gone = [i for i, r in self._rows.items() if person_id in (r.asker_id, r.colleague_id)]
            for i in gone:
                del self._rows[i]
                self._codes.pop(i, None)
            return len(gone)


def _newest(rows: Iterable[confirm.Confirmation]) -> list[confirm.Confirmation]:
    return sorted(rows, key=lambda r: (r.asked_at, r.id), reverse=True)
