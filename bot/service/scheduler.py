"""The scheduler: durable jobs with a due time, run by every bot process.

The bot has to act at a set time (the retention purge now; reminders and
escalations in later issues), also when nobody writes. Jobs live in the
database (``JobStore``), so they survive restarts; every running bot process
calls :meth:`Scheduler.run_due` now and then (:meth:`Scheduler.run_forever`),
and the store hands each due job to one process only (a lease taken in one
conditional update; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

A job runs once. If the process dies while running it, the lease runs out and
another process runs it again, so a handler should be safe to repeat (the
purge is). A failing job is tried again later, with a growing pause, up to
``MAX_ATTEMPTS`` times. A recurring job (:meth:`Scheduler.every`) exists once
by name and is due again ``interval`` after each run.

Time is injected: tests call ``run_due(now)`` with the time they want and
never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.service.ports import Job, JobStore

log = logging.getLogger(__name__)

#: Runs a job; ``now`` is the scheduler's clock. Raising means "try again later".
Handler = Callable[[Job, datetime], Awaitable[None]]

#: Called on every tick of :meth:`Scheduler.run_forever` (e.g. outbox delivery).
Tick = Callable[[datetime], Awaitable[object]]

LEASE = timedelta(minutes=10)
"""How long a claimed job is held; a handler must finish well within it."""
MAX_ATTEMPTS = 8
"""A one-off job that failed this often is given up (kept, with its last error)."""
BATCH = 20
"""Jobs claimed at once."""
EVERY_KEY = "every_seconds"
"""The payload key of a recurring job's interval."""


def retry_delay(attempts: int) -> timedelta:
    """The pause after a failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


class StoreCaller:
    """Acts at its clock's time and calls the store inline, or in a worker thread when
    ``offload`` (PostgreSQL, as the service does). The scheduler and the notifier are one."""

    def __init__(self, clock: Callable[[], datetime], *, offload: bool = False) -> None:
        self.clock = clock
        self.offload = offload
        """Call the store in a worker thread (PostgreSQL), as the service does."""

    async def call_store(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``call(*args, **kwargs)``, in a worker thread when offloading."""
        if self.offload:
            return await asyncio.to_thread(call, *args, **kwargs)
        return call(*args, **kwargs)


class Scheduler(StoreCaller):
    """Runs the due jobs of a ``JobStore`` with the handlers registered per kind."""

    def __init__(
        self,
        jobs: JobStore,
        clock: Callable[[], datetime],
        *,
        offload: bool = False,
        lease: timedelta = LEASE,
    ) -> None:
        super().__init__(clock, offload=offload)
        self.jobs = jobs
        self.lease = lease
        self._handlers: dict[str, Handler] = {}
        self._ticks: list[Tick] = []

    def on(self, kind: str, handler: Handler) -> None:
        """Run ``handler`` for jobs of ``kind``."""
        self._handlers[kind] = handler

    def on_tick(self, tick: Tick) -> None:
        """Also call ``tick(now)`` on every round of :meth:`run_forever`."""
        self._ticks.append(tick)

    def every(
        self, name: str, kind: str, interval: timedelta, payload: Mapping[str, Any] | None = None
    ) -> bool:
        """Make sure the recurring job ``name`` exists (due now the first time).

        Every process may call this at start; the job exists once. True if added.
        """
        data = {**(payload or {}), EVERY_KEY: interval.total_seconds()}
        return self.jobs.add_job(kind, data, self.clock(), name=name)

    def add(self, kind: str, payload: Mapping[str, Any], due_at: datetime) -> bool:
        """A one-off job, due at ``due_at``."""
        return self.jobs.add_job(kind, payload, due_at)

    async def run_due(self, now: datetime | None = None) -> int:
        """Run every job due at ``now`` (the clock's time if None); how many ran."""
        moment = self.clock() if now is None else now
        ran = 0
        while True:
            claimed = await self.call_store(
                self.jobs.claim_jobs, moment, moment + self.lease, BATCH
            )
            for job in claimed:
                await self._run(job, moment)
                ran += 1
            if len(claimed) < BATCH:
                return ran

    async def _run(self, job: Job, now: datetime) -> None:
        handler = self._handlers.get(job.kind)
        every = job.payload.get(EVERY_KEY)
        try:
            if handler is None:
                msg = f"no handler for jobs of kind {job.kind!r} in this process"
                raise LookupError(msg)
            await handler(job, now)
        except Exception as error:
            log.exception("job %s (%s) failed, attempt %d", job.id, job.kind, job.attempts)
            if every is not None:
                # A recurring job simply comes again at its next time.
                await self.call_store(
                    self.jobs.retry_job,
                    job.id,
                    repr(error),
                    now + min(retry_delay(job.attempts), timedelta(seconds=float(every))),
                    give_up=False,
                )
            else:
                await self.call_store(
                    self.jobs.retry_job,
                    job.id,
                    repr(error),
                    now + retry_delay(job.attempts),
                    give_up=job.attempts >= MAX_ATTEMPTS,
                )
            return
        next_due = None if every is None else now + timedelta(seconds=float(every))
        await self.call_store(self.jobs.finish_job, job.id, now, next_due)

    async def tick(self, now: datetime | None = None) -> None:
        """One round: the due jobs, then every tick callback (errors are logged)."""
        moment = self.clock() if now is None else now
        try:
            await self.run_due(moment)
        except Exception:
            log.exception("the scheduler could not run its jobs")
        for callback in self._ticks:
            try:
                await callback(moment)
            except Exception:
                log.exception("a scheduler tick failed")

    async def run_forever(self, stop: asyncio.Event, every: float = 30.0) -> None:
        """Call :meth:`tick` every ``every`` seconds until ``stop`` is set."""
        while not stop.is_set():
            await self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)


RETENTION_JOB = "retention_purge"
"""The name and kind of the recurring retention purge."""
RETENTION_EVERY = timedelta(hours=1)


def schedule_retention(
    scheduler: Scheduler,
    purge: Callable[[], Mapping[str, int]],
    interval: timedelta = RETENTION_EVERY,
) -> None:
    """Run ``purge`` (``ConversationService.purge_expired``) as a recurring job."""

    async def handler(job: Job, now: datetime) -> None:
        counts = await scheduler.call_store(purge)
        log.info("retention purge: %s", counts)

    scheduler.on(RETENTION_JOB, handler)
    scheduler.every(RETENTION_JOB, RETENTION_JOB, interval)
