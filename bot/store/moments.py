"""Moments read back from a store, in UTC: one rule for every store module.

SQLite returns naive datetimes (taken as UTC); PostgreSQL returns aware ones in
the session's zone. Both stores and their in-memory twins hand out UTC.
``newest_asked`` is the in-memory twins' "which question of theirs is a
person's text the answer to".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol, TypeVar


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time (as SQLite returns them) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    """``utc(moment)``, keeping None (a column that may be empty)."""
    return None if moment is None else utc(moment)


class Asked(Protocol):
    """A row that may wait for an answer since ``asked_at``."""

    @property
    def id(self) -> int: ...

    @property
    def asked_at(self) -> datetime | None: ...


AskedRow = TypeVar("AskedRow", bound=Asked)


def newest_asked(rows: Iterable[AskedRow], since: datetime) -> AskedRow | None:
    """The row asked last, at or after ``since`` (ties: the highest id); None if none was."""
    moment = utc(since)
    asked = [r for r in rows if r.asked_at is not None and r.asked_at >= moment]
    return max(asked, key=lambda r: (r.asked_at or moment, r.id), default=None)
