"""``MemoryFollowupStore``: the in-memory twin of ``bot.store.followup``.

For tests and the console, held to the same contract tests as the SQL store.
:meth:`MemoryFollowupStore.writer` wraps ``MemoryStore.audit_writer`` the way
the SQL store wraps its audit writer, so a record's follow-up rows are kept
with the record. It has its own lock (the conversation store's is held while
the writer runs) and imports no SQLAlchemy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from bot.service.followup import CLOSING, OPEN, Action, Fact, RecordIndex, StepRows
from bot.store.moments import newest_asked, utc
from bot.store.reminder_claims import claim_reminder_in

Writer = Callable[[Sequence[object]], None]


class MemoryFollowupStore:
    """``FollowupStore`` in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._actions: dict[int, Action] = {}
        self._created: dict[int, datetime] = {}
        self._records: dict[str, RecordIndex] = {}
        self._facts: list[Fact] = []
        self._last_id = 0

    def writer(self, inner: Writer | None) -> Writer:
        """``MemoryStore.audit_writer``, also keeping the follow-up rows of a step."""

        def write(entries: Sequence[object]) -> None:
            rows = StepRows.of(entries)
            rows.check_writer(inner)
            if rows.audit and inner is not None:
                inner(rows.audit)
            self._write(rows)

        return write

    def purge_hook(self) -> Callable[[datetime], int]:
        """For ``MemoryStore.purge_hooks``."""
        return self.purge_before

    def erase_person(self, person_id: int) -> int:
        """``vergeet mij`` (a ``MemoryStore.erase_hooks`` entry): the person's actions
        and their records' index rows go, as in ``bot.store.rights``; how many actions."""
        with self._lock:
            actions = [i for i, a in self._actions.items() if a.person_id == person_id]
            for i in actions:
                del self._actions[i]
                self._created.pop(i, None)
            for k in [k for k, r in self._records.items() if r.person_id == person_id]:
                del self._records[k]
            return len(actions)

    def write_planned(self, items: Sequence[object]) -> None:
        self._write(StepRows.of(items))

    def _write(self, rows: StepRows) -> None:
        now = datetime.now(UTC)
        with self._lock:
            for r in rows.records:
                self._records[r.record_id] = replace(r, created_at=utc(r.created_at))
            self._facts += rows.facts
            for planned in rows.actions:
                self._last_id += 1
                self._created[self._last_id] = now
                action = planned.opened(self._last_id)
                self._actions[action.id] = replace(action, remind_at=utc(planned.remind_at))

    def claim_reminder(self, action_id: int, reminded: int, now: datetime) -> bool:
        with self._lock:
            return claim_reminder_in(self._actions, action_id, OPEN, reminded)

    def close_action(
        self, action_id: int, state: str, done_on: date, fact: Fact | None, now: datetime
    ) -> bool:
        assert state in CLOSING
        with self._lock:
            a = self._actions.get(action_id)
            if a is None or a.state != OPEN:
                return False
            self._actions[action_id] = replace(
                a, state=state, done_on=done_on, remind_at=None, asked_at=None
            )
            if fact is not None:
                self._facts.append(fact)
            return True

    def postpone(self, action_id: int, due_on: date, remind_at: datetime) -> bool:
        with self._lock:
            a = self._actions.get(action_id)
            if a is None or a.state != OPEN:
                return False
            self._actions[action_id] = replace(
                a, due_on=due_on, remind_at=utc(remind_at), asked_at=None
            )
            return True

    def ask_date(self, action_id: int, at: datetime | None) -> None:
        with self._lock:
            a = self._actions.get(action_id)
            if a is not None:
                self._actions[action_id] = replace(a, asked_at=None if at is None else utc(at))

    def due_actions(self, now: datetime, limit: int) -> list[Action]:
        moment = utc(now)
        with self._lock:
            due = [
                a
                for a in self._actions.values()
                if a.state == OPEN
                and a.remind_at is not None
                and a.remind_at <= moment
                and a.asked_at is None
            ]
        return sorted(due, key=lambda a: (a.remind_at or moment, a.id))[:limit]

    def action(self, action_id: int) -> Action | None:
        with self._lock:
            return self._actions.get(action_id)

    def open_actions(self, org_id: int, person_id: int) -> list[Action]:
        with self._lock:
            mine = [
                a
                for a in self._actions.values()
                if a.org_id == org_id and a.person_id == person_id and a.state == OPEN
            ]
        return sorted(mine, key=lambda a: (a.due_on, a.id))

    def record_actions(self, record_id: str) -> list[Action]:
        with self._lock:
            return sorted(
                (a for a in self._actions.values() if a.record_id == record_id),
                key=lambda a: a.id,
            )

    def waiting_for_date(self, org_id: int, person_id: int, since: datetime) -> Action | None:
        with self._lock:
            open_ones = [
                a
                for a in self._actions.values()
                if a.org_id == org_id and a.person_id == person_id and a.state == OPEN
            ]
        return newest_asked(open_ones, since)

    def records_of(self, org_id: int, person_id: int, since: datetime) -> list[RecordIndex]:
        moment = utc(since)
        with self._lock:
            mine = [
                r
                for r in self._records.values()
                if r.org_id == org_id and r.person_id == person_id and r.created_at >= moment
            ]
        return sorted(mine, key=lambda r: (-r.created_at.timestamp(), r.record_id))

    def facts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        counts: dict[tuple[str, str, str], int] = {}
        with self._lock:
            for f in self._facts:
                if f.org_id == org_id:
                    cell = (f.month, f.metric, f.category)
                    counts[cell] = counts.get(cell, 0) + 1
        return [(*cell, n) for cell, n in sorted(counts.items())]

    def purge_before(self, cutoff: datetime) -> int:
        moment = utc(cutoff)
        with self._lock:
            old = [k for k, r in self._records.items() if r.created_at < moment]
            for k in old:
                del self._records[k]
            ended = [
                i
                for i, a in self._actions.items()
                if self._created[i] < moment and (a.state != OPEN or a.due_on < moment.date())
            ]
            for i in ended:
                del self._actions[i]
                del self._created[i]
            return len(old) + len(ended)
