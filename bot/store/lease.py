"""Leases in the database: at most one process at a time does a named thing.

Matrix runs one sync process per bot account (one sync token, one device and
its end-to-end keys): a second ``voorkomen matrix`` on the same account and
database would answer every message twice and fight over the keys. So the
process that runs an account holds the lease ``matrix:<user id>``; another
process asking for it is refused (:class:`LeaseHeldError`, with who holds it
and until when) and does not start.

A lease lasts :data:`LEASE_SECONDS` and its holder renews it every
:data:`RENEW_EVERY` seconds (:func:`keep_while`). A process that stops
cleanly releases it; one that crashes (kill -9, power) stops renewing, and
its lease runs out: a restart waits at most ``LEASE_SECONDS``. Each step is
one conditional statement, so two processes never both hold it: taking over
succeeds only where the lease has expired, renewing only while it is still
ours. A holder that finds its lease gone (it was stalled longer than the
lease, and another process took over) is told so and must stop.

Times are the processes' UTC clocks (as the scheduler's job leases are): hosts
sharing one database keep their clocks in sync (NTP).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine, String, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, Timestamp
from bot.store.tables import table_of

log = logging.getLogger(__name__)

#: How long a lease lasts after its last renewal (seconds): the longest a
#: crashed holder blocks a restart.
LEASE_SECONDS = 30.0
#: How often its holder renews it: a renewal can be late once or twice
#: (a slow database) without losing the lease.
RENEW_EVERY = 10.0

T = TypeVar("T")


class Lease(Base):
    """Who holds a named lease, and until when (a row per name, kept after release)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: ``host:pid:random`` of the holding process; empty when released.
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    acquired_at: Mapped[datetime] = mapped_column(Timestamp)


_LEASES = table_of(Lease)


class LeaseHeldError(Exception):
    """Another process holds the lease; the message says who and until when."""

    def __init__(self, name: str, holder: str, expires_at: datetime) -> None:
        self.name = name
        self.holder = holder
        self.expires_at = expires_at
        until = expires_at.astimezone(UTC).strftime("%H:%M:%S UTC")
        super().__init__(
            f"another process ({holder}) holds the lease {name!r} until {until}, "
            f"renewing it every {RENEW_EVERY:.0f} s; stop that process first "
            f"(or, if it has died, start again after {until})"
        )


class LeaseLostError(Exception):
    """Our lease was taken over by another process (we were stalled too long)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def process_holder() -> str:
    """A name for this process: host, process id and a random part (pids repeat)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class HeldLease:
    """A lease this process holds: renew it, release it."""

    engine: Engine
    name: str
    holder: str
    seconds: float = LEASE_SECONDS
    clock: Callable[[], datetime] = utc_now

    def renew(self) -> bool:
        """Extend the lease; False if it is no longer ours (another process took over)."""
        now = self.clock()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(_LEASES)
                .where(_LEASES.c.name == self.name, _LEASES.c.holder == self.holder)
                .values(expires_at=now + timedelta(seconds=self.seconds))
            )
        return done.rowcount == 1

    def release(self) -> None:
        """Give the lease up now (if it is still ours), so a successor need not wait."""
        with self.engine.begin() as conn:
            conn.execute(
                update(_LEASES)
                .where(_LEASES.c.name == self.name, _LEASES.c.holder == self.holder)
                .values(holder="", expires_at=self.clock())
            )


def acquire(
    engine: Engine,
    name: str,
    *,
    holder: str | None = None,
    seconds: float = LEASE_SECONDS,
    clock: Callable[[], datetime] = utc_now,
) -> HeldLease:
    """Take the lease ``name`` for ``seconds``, or raise :class:`LeaseHeldError`.

    It is taken when nobody ever held it (a new row), when it has expired or
    was released, or when ``holder`` already holds it."""
    holder = holder or process_holder()
    now = clock()
    until = now + timedelta(seconds=seconds)
    row = {"name": name, "holder": holder, "expires_at": until, "acquired_at": now}
    try:
        with engine.begin() as conn:
            conn.execute(insert(_LEASES).values(row))
    except IntegrityError:  # held before: take it over if it ran out
        with engine.begin() as conn:
            taken = conn.execute(
                update(_LEASES)
                .where(
                    _LEASES.c.name == name,
                    or_(
                        _LEASES.c.expires_at <= now,
                        _LEASES.c.holder == holder,
                        _LEASES.c.holder == "",
                    ),
                )
                .values(holder=holder, expires_at=until, acquired_at=now)
            )
            if taken.rowcount != 1:
                current = conn.execute(
                    select(_LEASES.c.holder, _LEASES.c.expires_at).where(_LEASES.c.name == name)
                ).one()
                raise LeaseHeldError(name, current.holder, _aware(current.expires_at)) from None
    log.info("lease %r taken by %s until %s", name, holder, until.isoformat())
    return HeldLease(engine, name, holder, seconds, clock)


async def keep_while(
    lease: HeldLease,
    main: Awaitable[T],
    *,
    on_lost: Callable[[], None],
    every: float = RENEW_EVERY,
) -> T:
    """Await ``main`` while renewing ``lease`` every ``every`` seconds; release it after.

    A renewal that fails on the database (an outage) is logged and tried again
    at the next turn: while the database is down nobody else can take the
    lease either. A renewal that finds the lease gone calls ``on_lost`` (which
    must make ``main`` end) and, once ``main`` has ended, raises
    :class:`LeaseLostError`."""
    lost = asyncio.Event()
    stop = asyncio.Event()

    async def renew_forever() -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), every)
                return
            except TimeoutError:
                pass
            try:
                kept = await asyncio.to_thread(lease.renew)
            except Exception:
                log.exception("lease %r: could not renew it; trying again", lease.name)
                continue
            if not kept:
                log.error("lease %r was taken over by another process; this one stops", lease.name)
                lost.set()
                on_lost()
                return

    renewer = asyncio.create_task(renew_forever())
    try:
        result = await main
    finally:
        stop.set()
        await renewer
        if not lost.is_set():
            try:
                await asyncio.to_thread(lease.release)
            except Exception:
                log.exception("lease %r: could not release it; it runs out", lease.name)
    if lost.is_set():
        msg = f"the lease {lease.name!r} was taken over by another process"
        raise LeaseLostError(msg)
    return result


def _aware(moment: datetime) -> datetime:
    """SQLite gives times back without a zone; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
