"""Leases on SQLite and PostgreSQL: one holder at a time, taken over after expiry.

Two holders are two engines on the same database (as two processes have);
time is an injected clock, so expiry needs no waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.lease import (
    LEASE_SECONDS,
    LeaseHeldError,
    LeaseLostError,
    acquire,
    keep_while,
)
from bot.store.sql import make_engine
from tests.store.conftest import Backend, _backend

NAME = "matrix:@voorkomen:example.org"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peer)])
def lease_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture
def engines(lease_backend: Backend) -> Iterator[tuple[Engine, Engine]]:
    assert lease_backend.url is not None
    first, second = make_engine(lease_backend.url), make_engine(lease_backend.url)
    yield first, second
    first.dispose()
    second.dispose()


def test_a_second_holder_is_refused_with_who_and_until_when(
    engines: tuple[Engine, Engine],
) -> None:
    clock = Clock()
    first, second = engines
    acquire(first, NAME, holder="host-a:101:aa", clock=clock)
    with pytest.raises(LeaseHeldError) as refused:
        acquire(second, NAME, holder="host-b:202:bb", clock=clock)
    assert refused.value.holder == "host-a:101:aa"
    assert refused.value.expires_at == clock.now + timedelta(seconds=LEASE_SECONDS)
    message = str(refused.value)
    assert "another process (host-a:101:aa) holds the lease" in message
    assert "08:00:30 UTC" in message
    assert "stop that process first" in message


def test_renewals_keep_it_and_after_a_missed_renewal_another_takes_over(
    engines: tuple[Engine, Engine],
) -> None:
    clock = Clock()
    first, second = engines
    held = acquire(first, NAME, holder="a", clock=clock)
    for _ in range(5):  # renewed in time: it never runs out
        clock.advance(LEASE_SECONDS - 1)
        assert held.renew()
        with pytest.raises(LeaseHeldError):
            acquire(second, NAME, holder="b", clock=clock)
    clock.advance(LEASE_SECONDS + 1)  # the holder crashed: no renewal
    taken = acquire(second, NAME, holder="b", clock=clock)
    assert taken.holder == "b"
    assert not held.renew(), "the old holder must learn that it lost the lease"
    clock.advance(1)
    with pytest.raises(LeaseHeldError) as refused:
        acquire(first, NAME, holder="a", clock=clock)
    assert refused.value.holder == "b"


def test_a_released_lease_is_free_at_once_and_other_names_are_separate(
    engines: tuple[Engine, Engine],
) -> None:
    clock = Clock()
    first, second = engines
    held = acquire(first, NAME, holder="a", clock=clock)
    other = acquire(second, "matrix:@other:example.org", holder="b", clock=clock)
    assert other.renew()
    held.release()
    assert acquire(second, NAME, holder="b", clock=clock).holder == "b"
    assert not held.renew()


def test_the_same_holder_may_take_it_again(engines: tuple[Engine, Engine]) -> None:
    clock = Clock()
    first, _second = engines
    acquire(first, NAME, holder="a", clock=clock)
    assert acquire(first, NAME, holder="a", clock=clock).renew()


async def test_keep_while_renews_releases_and_stops_when_taken_over(
    engines: tuple[Engine, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    first, second = engines
    held = acquire(first, NAME, holder="a", clock=clock)
    stopped = asyncio.Event()
    renewed_once = asyncio.Event()
    renew = held.renew

    def counting_renew() -> bool:
        kept = renew()
        renewed_once.set()
        return kept

    held.renew = counting_renew  # type: ignore[method-assign]

    async def main() -> str:
        await asyncio.wait_for(renewed_once.wait(), 10)
        # Another process takes over while this one was stalled past the lease.
        clock.advance(LEASE_SECONDS + 1)
        acquire(second, NAME, holder="b", clock=clock)
        await asyncio.wait_for(stopped.wait(), 10)
        return "done"

    with caplog.at_level(logging.ERROR), pytest.raises(LeaseLostError):
        await keep_while(held, main(), on_lost=stopped.set, every=0.01)
    assert "was taken over by another process" in caplog.text
    with pytest.raises(LeaseHeldError):  # the new holder's lease was not released by us
        acquire(first, NAME, holder="c", clock=clock)


async def test_keep_while_releases_after_a_clean_stop(engines: tuple[Engine, Engine]) -> None:
    clock = Clock()
    first, second = engines
    held = acquire(first, NAME, holder="a", clock=clock)
    renewals: list[bool] = []
    renew = held.renew

    def counting_renew() -> bool:
        renewals.append(renew())
        return renewals[-1]

    held.renew = counting_renew  # type: ignore[method-assign]

    async def main() -> int:
        async with asyncio.timeout(10):
            while len(renewals) < 3:
                await asyncio.sleep(0.01)
        return 7

    assert await keep_while(held, main(), on_lost=lambda: None, every=0.01) == 7
    assert all(renewals)
    assert acquire(second, NAME, holder="b", clock=clock).holder == "b"
