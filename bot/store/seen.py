"""Deliveries already handled, so one delivered twice is handled once, in any process.

Telegram delivers a webhook update again when it got no answer in time, and
with several workers behind one address the same ``update_id`` can reach two
of them (a retry through the reverse proxy, a worker restarted mid-request);
a Matrix sync after a crash can bring events again. A delivery is recorded
here as ``(channel, key)`` under the primary key, in the transaction of the
step it causes (``record_in``, called by the store's ``run_step``): the
answer and the key are committed together or not at all, and of two workers
handling the same delivery the second one's insert finds the key taken, so
its step is rolled back. Deliveries that cause no step (a menu, help) are
recorded after handling (:meth:`SqlUpdateLedger.record`); a delivery already
recorded is skipped before handling (:meth:`SqlUpdateLedger.recorded`). A
Telegram key names the bot and the update (``<bot id>:<update_id>``), so
bots sharing a database do not collide.

What is kept is a number and a time, nothing a user wrote. Telegram gives up
redelivering after a day, so rows older than :data:`KEEP` are removed, now
and then, by the processes themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import Connection, Engine, String, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bot.service.ports import DeliveryKey, DuplicateDeliveryError
from bot.store.models import CHANNEL_LEN, Base, Timestamp
from bot.store.tables import table_of

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


_SEEN = table_of(SeenUpdate)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _insert_new(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` that does nothing (returns no row) where the key is taken: no
    error, so PostgreSQL's log stays free of duplicate-key lines."""
    if dialect == "postgresql":
        return postgresql.insert(_SEEN).on_conflict_do_nothing()
    return sqlite.insert(_SEEN).on_conflict_do_nothing()


def record_in(conn: Connection, channel: str, key: str, now: datetime) -> bool:
    """Record ``(channel, key)`` on ``conn`` (inside its transaction); False when
    it was recorded already (by a transaction that committed, or that does once
    this one waits for it)."""
    row = {"channel": channel, "key": key, "seen_at": now}
    claim = _insert_new(conn.dialect.name).values(row).returning(_SEEN.c.key)
    return conn.execute(claim).first() is not None


def record_delivery_in(conn: Connection, delivery: DeliveryKey, now: datetime) -> None:
    """Record a step's ``delivery`` in the step's transaction (``SqlStore._commit_in``);
    ``DuplicateDeliveryError`` when it is recorded already, so the step is rolled back.

    Called after the step's other writes: those may need a new data key, made on
    a connection of its own, which SQLite's write lock (taken by the transaction's
    first write) would block."""
    if not record_in(conn, delivery.channel, delivery.key, now):
        raise DuplicateDeliveryError(delivery)


_RECORDED = select(_SEEN.c.key).where(
    _SEEN.c.channel == bindparam("k_channel"), _SEEN.c.key == bindparam("k_key")
)


class SqlUpdateLedger:
    """Deliveries of one channel in the database (``DeliveryLedger`` for that
    channel: ``recorded``, ``record``; ``first_time`` claims in one go)."""

    def __init__(
        self, engine: Engine, channel: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._engine = engine
        self._channel = channel
        self._clock = clock
        self._claims = count(1)

    @property
    def channel(self) -> str:
        return self._channel

    def recorded(self, delivery: DeliveryKey) -> bool:
        """Whether ``delivery`` (of this ledger's channel) was handled already."""
        with self._engine.connect() as conn:
            found = conn.execute(
                _RECORDED, {"k_channel": delivery.channel, "k_key": delivery.key}
            ).first()
        self._tick(self._clock())
        return found is not None

    def record(self, delivery: DeliveryKey) -> None:
        """Mark ``delivery`` handled (nothing happens when it is already)."""
        self._claim(delivery.channel, delivery.key)

    def first_time(self, key: str) -> bool:
        """Claim ``key``: True for the one delivery that should be handled, else False."""
        return self._claim(self._channel, key)

    def _claim(self, channel: str, key: str) -> bool:
        now = self._clock()
        with self._engine.begin() as conn:
            claimed = record_in(conn, channel, key, now)
        if claimed:
            self._tick(now)
        return claimed

    def _tick(self, now: datetime) -> None:
        """Count one delivery; every ``CLEAN_EVERY``, forget what is older than ``KEEP``."""
        if next(self._claims) % CLEAN_EVERY == 0:
            self.forget_older_than(now - KEEP)

    def forget_older_than(self, cutoff: datetime) -> int:
        """Remove claims older than ``cutoff``; returns how many went."""
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(_SEEN).where(_SEEN.c.channel == self._channel, _SEEN.c.seen_at < cutoff)
            )
        return gone.rowcount
