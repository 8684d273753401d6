"""Moments read back from a store, in UTC: one rule for every store module.

SQLite returns naive datetimes (taken as UTC); PostgreSQL returns aware ones in
the session's zone. Both stores and their in-memory twins hand out UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time (as SQLite returns them) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    """``utc(moment)``, keeping None (a column that may be empty)."""
    return None if moment is None else utc(moment)
