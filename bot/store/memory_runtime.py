"""Scheduler jobs and the outbox in memory: ``MemoryStore``'s ``JobStore`` and ``OutboxStore``.

The twin of ``bot.store.runtime`` (the SQL store's), held to the same
contract by the same tests: a claim is a lease, a claimed job or message is
not claimed again until its lease ends, and payloads go through JSON text as
they would through a database. A mixin of ``MemoryStore`` (it shares the
store's lock), kept apart because it is not part of a conversation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.service.ports import Job, Notice, QueuedMessage
from bot.store.json_text import dump_json as _dumps


class MemoryRuntime:
    """Jobs and outbox messages in a process's memory (mixed into ``MemoryStore``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, _JobRow] = {}
        self._job_ids = 0
        self._outbox: dict[int, _MessageRow] = {}
        self._outbox_ids = 0

    def _purge_runtime(self, cutoff: datetime) -> dict[str, int]:
        """Outbox messages made before ``cutoff`` and jobs finished before it."""
        old_messages = [i for i, m in self._outbox.items() if m.created_at < cutoff]
        for message_id in old_messages:
            del self._outbox[message_id]
        old_jobs = [
            i for i, j in self._jobs.items() if j.done_at is not None and j.done_at < cutoff
        ]
        for job_id in old_jobs:
            del self._jobs[job_id]
        return {"outbox": len(old_messages), "jobs": len(old_jobs)}

    # ------------------------------------------------------------------ jobs

    def add_job(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, *, name: str | None = None
    ) -> bool:
        text = _dumps(dict(payload))
        with self._lock:
            if name is not None and any(j.name == name for j in self._jobs.values()):
                return False
            self._job_ids += 1
            job_id = self._job_ids
            self._jobs[job_id] = _JobRow(job_id, name, kind, text, due_at.astimezone(UTC))
        return True

    def claim_jobs(self, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        with self._lock:
            due = self._due_jobs(now)[:limit]
            for row in due:
                row.locked_until = lease_until
                row.attempts += 1
            return [row.job() for row in due]

    def _due_jobs(self, now: datetime) -> list[_JobRow]:
        """Unfinished jobs whose time has come and whose lease (if any) ended, first due first."""
        return sorted(
            (
                j
                for j in self._jobs.values()
                if j.done_at is None
                and j.due_at <= now
                and (j.locked_until is None or j.locked_until < now)
            ),
            key=_job_order,
        )

    def finish_job(self, job_id: int, now: datetime, next_due: datetime | None = None) -> None:
        with self._lock:
            row = self._jobs[job_id]
            row.locked_until, row.last_error = None, None
            if next_due is None:
                row.done_at = now
            else:
                row.due_at, row.attempts = next_due, 0

    def retry_job(self, job_id: int, error: str, retry_at: datetime, *, give_up: bool) -> None:
        with self._lock:
            row = self._jobs[job_id]
            row.locked_until, row.last_error = None, error
            if give_up:
                row.done_at = retry_at
            else:
                row.due_at = retry_at

    def pending_jobs(self) -> list[Job]:
        with self._lock:
            rows = sorted((j for j in self._jobs.values() if j.done_at is None), key=_job_order)
            return [row.job() for row in rows]

    # ------------------------------------------------------------------ outbox

    def queue_message(self, org_id: str, person_id: str, notice: Notice, now: datetime) -> int:
        with self._lock:
            self._outbox_ids += 1
            message_id = self._outbox_ids
            self._outbox[message_id] = _MessageRow(
                message_id, org_id, person_id, notice, now.astimezone(UTC), now.astimezone(UTC)
            )
        return message_id

    def claim_messages(
        self, now: datetime, lease_until: datetime, limit: int, *, person_id: str | None = None
    ) -> list[QueuedMessage]:
        with self._lock:
            due = self._undelivered(person_id, now)[:limit]
            for row in due:
                row.next_attempt_at = lease_until
                row.attempts += 1
            return [row.message() for row in due]

    def message_delivered(self, message_id: int, now: datetime) -> None:
        with self._lock:
            row = self._outbox[message_id]
            row.delivered_at, row.last_error = now, None

    def message_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        with self._lock:
            row = self._outbox[message_id]
            row.next_attempt_at, row.last_error = retry_at, error

    def waiting_messages(self, person_id: str) -> list[QueuedMessage]:
        with self._lock:
            return [row.message() for row in self._undelivered(person_id)]

    def _undelivered(self, person_id: str | None, now: datetime | None = None) -> list[_MessageRow]:
        """Undelivered messages (of ``person_id``, or anyone's with None), oldest first;
        with ``now``, only those whose next attempt has come."""
        return sorted(
            (
                m
                for m in self._outbox.values()
                if m.delivered_at is None
                and (now is None or m.next_attempt_at <= now)
                and (person_id is None or m.person_id == person_id)
            ),
            key=lambda m: (m.created_at, m.id),
        )


def _job_order(job: _JobRow) -> tuple[datetime, int]:
    return (job.due_at, job.id)


@dataclass(kw_only=True)
class _Tries:
    """What a job and an outbox message both keep of being worked on: how often they
    were claimed, and the last error (None again once a try went well)."""

    attempts: int = 0
    last_error: str | None = None


@dataclass
class _JobRow(_Tries):
    id: int
    name: str | None
    kind: str
    payload: str
    due_at: datetime
    locked_until: datetime | None = None
    done_at: datetime | None = None

    def job(self) -> Job:
        return Job(
            self.id, self.kind, json.loads(self.payload), self.due_at, self.attempts, self.name
        )


@dataclass
class _MessageRow(_Tries):
    id: int
    org_id: str
    person_id: str
    notice: Notice
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None

    def message(self) -> QueuedMessage:
        return QueuedMessage(
            self.id, self.org_id, self.person_id, self.notice, self.attempts, self.created_at
        )
