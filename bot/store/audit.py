"""Writing the audit log inside a transaction someone else opened.

``append_audit_in(conn, entries)`` lets any store method (a record kept, a
member joined) add its audit lines in the same transaction as the change, so
the log never says something happened that did not, or misses what did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from sqlalchemy import Connection, Table, insert

from bot.org.model import AuditEntry
from bot.store.models import AuditLog

_table = AuditLog.__table__
assert isinstance(_table, Table)
_audit: Table = _table


def append_audit_in(conn: Connection, entries: Sequence[AuditEntry]) -> None:
    """Insert ``entries`` on ``conn`` (the caller commits)."""
    if not entries:
        return
    conn.execute(
        insert(_audit),
        [
            {
                "org_id": e.org_id,
                "at": e.at.astimezone(UTC),
                "actor": e.actor,
                "action": e.action.value,
                "subject": e.subject,
            }
            for e in entries
        ],
    )
