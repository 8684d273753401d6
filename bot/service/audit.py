"""Audit lines the service derives from what a step did (no answer text, ever).

Kept apart from the stores so the SQL store and its in-memory twin write the
same lines, and neither needs the other's imports.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.org.model import AuditAction, AuditEntry
from bot.service.ports import NewRecord


def record_created(record: NewRecord, record_id: str) -> AuditEntry:
    """The audit line for a record kept (its id only, never its text)."""
    assert record.org_id is not None
    try:
        at = datetime.fromisoformat(record.created_at)
    except ValueError:
        at = datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return AuditEntry(
        org_id=record.org_id,
        action=AuditAction.RECORD_CREATED,
        at=at,
        actor=record.person_id,
        subject=f"record:{record_id}",
    )
