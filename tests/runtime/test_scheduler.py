"""The scheduler: durable jobs, run once across processes, surviving restarts.

Time is injected (``run_due(now)``); nothing sleeps. Runs on memory, SQLite
and PostgreSQL; "another process" is another store instance on the database.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.service.ports import Job, NewRecord
from bot.service.scheduler import (
    MAX_ATTEMPTS,
    RETENTION_JOB,
    Scheduler,
    schedule_retention,
)
from tests.store.conftest import Backend, Store
from tests.store.samples import KEY, log, state
from tests.support.service import make_service

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def scheduler(store: Store, now: datetime = T0) -> Scheduler:
    return Scheduler(store, lambda: now)  # type: ignore[arg-type]


def run(s: Scheduler, now: datetime) -> int:
    return asyncio.run(s.run_due(now))


class Recorder:
    """A handler that remembers what it ran (and can fail a few times first)."""

    def __init__(self, failures: int = 0) -> None:
        self.ran: list[tuple[int, datetime]] = []
        self.failures = failures

    async def __call__(self, job: Job, now: datetime) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("not now")
        self.ran.append((job.id, now))


def test_a_job_runs_once_when_due(store: Store) -> None:
    s = scheduler(store)
    seen = Recorder()
    s.on("remind", seen)
    assert s.add("remind", {"who": "p1"}, T0 + timedelta(hours=2))
    assert run(s, T0) == 0 and seen.ran == []
    assert run(s, T0 + timedelta(hours=2)) == 1
    assert run(s, T0 + timedelta(hours=3)) == 0
    assert [now for _, now in seen.ran] == [T0 + timedelta(hours=2)]
    assert store.pending_jobs() == []  # type: ignore[attr-defined]


def test_jobs_survive_a_restart(store_backend: Backend) -> None:
    if store_backend.name == "memory":
        pytest.skip("memory does not survive a restart")
    first = store_backend.open()
    scheduler(first).add("remind", {"n": 1}, T0 + timedelta(minutes=5))
    assert isinstance(first, object)
    store_backend.close()  # the process stops
    later = store_backend.open()
    s = scheduler(later)
    seen = Recorder()
    s.on("remind", seen)
    (pending,) = later.pending_jobs()  # type: ignore[attr-defined]
    assert (pending.kind, pending.payload) == ("remind", {"n": 1})
    assert pending.due_at == T0 + timedelta(minutes=5)
    assert run(s, T0 + timedelta(minutes=5)) == 1 and len(seen.ran) == 1


def test_a_recurring_job_exists_once_and_comes_back(store: Store) -> None:
    s = scheduler(store)
    seen = Recorder()
    s.on("tidy", seen)
    assert s.every("tidy-hourly", "tidy", timedelta(hours=1))
    assert not scheduler(store).every("tidy-hourly", "tidy", timedelta(hours=1))  # 2nd process
    assert run(s, T0) == 1
    assert run(s, T0 + timedelta(minutes=59)) == 0
    assert run(s, T0 + timedelta(hours=1)) == 1
    assert [now for _, now in seen.ran] == [T0, T0 + timedelta(hours=1)]
    (job,) = store.pending_jobs()  # type: ignore[attr-defined]
    assert job.due_at == T0 + timedelta(hours=2)


def test_a_failing_job_is_tried_again_later_and_given_up_at_last(store: Store) -> None:
    s = scheduler(store)
    flaky = Recorder(failures=2)
    s.on("flaky", flaky)
    s.add("flaky", {}, T0)
    assert run(s, T0) == 1 and flaky.ran == []  # failed: 1 minute
    assert run(s, T0 + timedelta(seconds=30)) == 0
    assert run(s, T0 + timedelta(minutes=1)) == 1 and flaky.ran == []  # failed: 2 minutes
    assert run(s, T0 + timedelta(minutes=3)) == 1 and len(flaky.ran) == 1
    broken = Recorder(failures=10**6)
    s.on("broken", broken)
    s.add("broken", {}, T0)
    now = T0
    for _ in range(MAX_ATTEMPTS):
        (job,) = store.pending_jobs()  # type: ignore[attr-defined]
        now = max(now, job.due_at)
        run(s, now)
    assert store.pending_jobs() == []  # type: ignore[attr-defined]


def test_a_job_of_a_crashed_process_runs_again_after_its_lease(store: Store) -> None:
    s = scheduler(store)
    seen = Recorder()
    s.on("remind", seen)
    s.add("remind", {}, T0)
    # Another process claims it and dies before finishing.
    (claimed,) = store.claim_jobs(T0, T0 + s.lease, 10)  # type: ignore[attr-defined]
    assert run(s, T0 + timedelta(minutes=1)) == 0
    assert run(s, T0 + s.lease + timedelta(seconds=1)) == 1
    assert seen.ran == [(claimed.id, T0 + s.lease + timedelta(seconds=1))]


def test_a_job_of_a_kind_nobody_here_handles_waits(store: Store) -> None:
    s = scheduler(store)
    s.add("unknown", {}, T0)
    assert run(s, T0) == 1  # tried, failed, rescheduled
    (job,) = store.pending_jobs()  # type: ignore[attr-defined]
    assert job.due_at > T0


def test_several_processes_run_each_job_exactly_once(sql_backend: Backend) -> None:
    stores = [sql_backend.open() for _ in range(4)]
    for n in range(40):
        stores[0].add_job("count", {"n": n}, T0)  # type: ignore[attr-defined]
    ran: Counter[int] = Counter()
    lock = threading.Lock()

    async def count(job: Job, now: datetime) -> None:
        with lock:
            ran[int(job.payload["n"])] += 1

    def process(store: Store) -> None:
        s = scheduler(store)
        s.on("count", count)
        for _ in range(5):  # SQLite may say "busy" now and then: a few rounds
            run(s, T0)

    threads = [threading.Thread(target=process, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # Whatever a busy SQLite left over runs on the next round.
    s = scheduler(stores[0])
    s.on("count", count)
    run(s, T0)
    assert ran == Counter(range(40))


def test_the_retention_purge_is_a_recurring_job_covering_every_table(store: Store) -> None:
    service = make_service(store=store)
    now = datetime.now(UTC)
    service.clock = lambda: now
    store.save(KEY, state(log(2)))
    store.add_record(NewRecord(KEY, "demo", "1", "h", "C-1", {}, "tekst", created_at=now))
    store.set_value("telegram.group_told.-100123", "1")
    store.set_value("matrix:@bot:example.org:last:!kamer:example.org", "$event")
    store.set_value("matrix:@bot:example.org:device_id", "DEVICE")
    from bot.service.ports import Notice

    store.queue_message("org-1", "p1", Notice("Wacht op je."), now)  # type: ignore[attr-defined]
    s = scheduler(store, now)
    schedule_retention(s, service.purge_expired)
    assert [j.name for j in store.pending_jobs()] == [RETENTION_JOB]  # type: ignore[attr-defined]
    run(s, now)  # within the retention period: nothing goes
    assert store.load(KEY) is not None and store.get_value("telegram.group_told.-100123")
    later = now + timedelta(days=31)
    service.clock = lambda: later
    assert run(s, later) == 1
    assert store.load(KEY) is None and store.records(KEY) == []
    assert store.get_value("telegram.group_told.-100123") is None
    assert store.get_value("matrix:@bot:example.org:last:!kamer:example.org") is None
    assert store.get_value("matrix:@bot:example.org:device_id") == "DEVICE"  # the bot's own
    assert store.waiting_messages("p1") == []  # type: ignore[attr-defined]
    (job,) = store.pending_jobs()  # type: ignore[attr-defined]
    assert job.due_at == later + timedelta(hours=1)


def test_purge_hooks_cover_the_tables_of_other_parts(store: Store) -> None:
    cutoffs: list[datetime] = []

    def hook(*args: object) -> int:
        cutoffs.append(args[-1])  # type: ignore[arg-type]
        return 3

    store.purge_hooks["memberships"] = hook  # type: ignore[attr-defined]
    counts = store.purge_all(T0)
    assert counts["memberships"] == 3 and cutoffs == [T0]


def test_run_forever_ticks_until_stopped(store: Store) -> None:
    s = scheduler(store)
    ticks: list[datetime] = []

    async def tick(now: datetime) -> None:
        ticks.append(now)
        if len(ticks) == 3:
            stop.set()

    s.on_tick(tick)
    stop = asyncio.Event()
    asyncio.run(asyncio.wait_for(s.run_forever(stop, every=0.001), 10))
    assert ticks == [T0, T0, T0]
