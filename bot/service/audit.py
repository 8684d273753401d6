"""Audit lines the service derives from what a step did (no answer text, ever).

Kept apart from the stores so the SQL store and its in-memory twin write the
same lines, and neither needs the other's imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.org.model import AuditAction, AuditEntry
from bot.service.ports import ConversationKey, NewRecord


def record_created(record: NewRecord, record_id: str) -> AuditEntry:
    """The audit line for a record kept (its id only, never its text)."""
    assert record.org_id is not None
    at = record.created_at
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return AuditEntry(
        org_id=record.org_id,
        action=AuditAction.RECORD_CREATED,
        at=at,
        actor=record.person_id,
        subject=f"record:{record_id}",
    )


def records_audit(key: ConversationKey, records: Sequence[NewRecord]) -> list[AuditEntry]:
    """The audit line of every record a step keeps for a member (never its text);
    the service's default ``audit_for``, written in the step's own transaction."""
    return [record_created(r, r.record_id) for r in records if r.org_id is not None and r.record_id]


def audit_entries(entries: Sequence[object]) -> list[AuditEntry]:
    """``entries`` as audit lines; anything else is refused (``RuntimeError``), so a
    step never writes half its audit and never drops a line it did not understand."""
    unknown = [type(e).__name__ for e in entries if not isinstance(e, AuditEntry)]
    if unknown:
        msg = f"not an audit entry: {', '.join(unknown)}"
        raise RuntimeError(msg)
    return [e for e in entries if isinstance(e, AuditEntry)]


def record_deleted(org_id: int, record_id: str, at: datetime) -> AuditEntry:
    """The audit line for a record the retention purge deleted (no actor: the bot)."""
    return AuditEntry(
        org_id=org_id,
        action=AuditAction.RECORD_DELETED,
        at=at.astimezone(UTC),
        actor=None,
        subject=f"record:{record_id}",
    )
