"""Updates already handled, so one delivered twice is handled once, in any process.

Telegram delivers a webhook update again when it got no answer in time, and
with several workers behind one address the same ``update_id`` can reach two
of them (a retry through the reverse proxy, a worker restarted mid-request).
Each worker claims an update here before handling it: one ``INSERT`` of
``(channel, key)`` under the primary key; the process whose insert wins
handles it, every other delivery is skipped. The key names the bot and the
update (``<bot id>:<update_id>``), so bots sharing a database do not collide.

What is kept is a number and a time, nothing a user wrote. Telegram gives up
redelivering after a day, so rows older than :data:`KEEP` are removed, now
and then, by the processes themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import Engine, String, Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import CHANNEL_LEN, Base, Timestamp

#: How long a handled update is remembered (Telegram retries for up to a day).
KEEP = timedelta(days=2)
#: Every this many claims, a process removes what is older than ``KEEP``.
CLEAN_EVERY = 1000


class SeenUpdate(Base):
    """An update (or event) some process has claimed for handling."""

    __tablename__ = "seen_updates"

    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(Timestamp)


def _table() -> Table:
    table = SeenUpdate.__table__
    assert isinstance(table, Table)
    return table


_SEEN = _table()


def utc_now() -> datetime:
    return datetime.now(UTC)


def _insert_new(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` that does nothing (returns no row) where the key is taken: no
    error, so PostgreSQL's log stays free of duplicate-key lines."""
    if dialect == "postgresql":
        return postgresql.insert(_SEEN).on_conflict_do_nothing()
    return sqlite.insert(_SEEN).on_conflict_do_nothing()


class SqlUpdateLedger:
    """Claims updates of one channel in the database (``first_time``)."""

    def __init__(
        self, engine: Engine, channel: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._engine = engine
        self._channel = channel
        self._clock = clock
        self._claims = count(1)

    def first_time(self, key: str) -> bool:
        """Claim ``key``: True for the one delivery that should be handled, else False."""
        now = self._clock()
        row = {"channel": self._channel, "key": key, "seen_at": now}
        with self._engine.begin() as conn:
            claim = _insert_new(conn.dialect.name).values(row).returning(_SEEN.c.key)
            claimed = conn.execute(claim).first() is not None
        if not claimed:
            return False
        if next(self._claims) % CLEAN_EVERY == 0:
            self.forget_older_than(now - KEEP)
        return True

    def forget_older_than(self, cutoff: datetime) -> int:
        """Remove claims older than ``cutoff``; returns how many went."""
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(_SEEN).where(_SEEN.c.channel == self._channel, _SEEN.c.seen_at < cutoff)
            )
        return gone.rowcount
