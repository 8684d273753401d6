"""Claiming updates on SQLite and PostgreSQL: the first claim wins, in any process."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.seen import KEEP, SqlUpdateLedger
from bot.store.sql import make_engine
from tests.store.conftest import Backend, _backend


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peer)])
def seen_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture
def engines(seen_backend: Backend) -> Iterator[tuple[Engine, Engine]]:
    assert seen_backend.url is not None
    first, second = make_engine(seen_backend.url), make_engine(seen_backend.url)
    yield first, second
    first.dispose()
    second.dispose()


def test_an_update_is_claimed_once_across_workers(engines: tuple[Engine, Engine]) -> None:
    a = SqlUpdateLedger(engines[0], "telegram")
    b = SqlUpdateLedger(engines[1], "telegram")
    assert a.first_time("666:1")
    assert not b.first_time("666:1")
    assert not a.first_time("666:1")
    assert b.first_time("666:2")
    assert SqlUpdateLedger(engines[1], "matrix").first_time("666:1")  # channels are apart


def test_racing_claims_have_one_winner(engines: tuple[Engine, Engine]) -> None:
    ledgers = [SqlUpdateLedger(engine, "telegram") for engine in engines]
    keys = [f"666:{n}" for n in range(40)]
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda job: ledgers[job[0] % 2].first_time(job[1]), enumerate(keys * 2))
        )
    wins = dict.fromkeys(keys, 0)
    for key, won in zip(keys * 2, results, strict=True):
        wins[key] += won
    assert set(wins.values()) == {1}


def test_old_claims_are_forgotten(engines: tuple[Engine, Engine]) -> None:
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    old = SqlUpdateLedger(engines[0], "telegram", clock=lambda: now - KEEP - timedelta(hours=1))
    assert old.first_time("666:1")
    recent = SqlUpdateLedger(engines[0], "telegram", clock=lambda: now)
    assert recent.first_time("666:2")
    assert recent.forget_older_than(now - KEEP) == 1
    assert recent.first_time("666:1")  # long gone: Telegram no longer redelivers it
    assert not recent.first_time("666:2")
