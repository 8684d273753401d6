"""A step and the delivery key it was for are committed together, or neither.

``StepWrite.delivery`` (a Telegram update, a Matrix event) is recorded in the
step's transaction, in the ledger's table (``seen_updates``) that the
channels look deliveries up in. A second step for the same delivery (a
second worker, or a redelivery after the first step committed) is refused
with ``DuplicateDeliveryError`` and writes nothing; a step that fails
records no key, so the delivery's redelivery is handled. Runs on memory,
SQLite (with and without the log cache) and PostgreSQL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.service.ports import (
    DeliveryKey,
    DeliveryLedger,
    DuplicateDeliveryError,
    LoadedStep,
    RevisionConflictError,
    StepWrite,
)
from bot.store.memory import MemoryDeliveryLedger, MemoryStore
from bot.store.seen import SqlUpdateLedger
from bot.store.sql import SqlStore
from tests.store.conftest import Backend, Store
from tests.store.samples import KEY, log, state

UPDATE = DeliveryKey("telegram", "666:41")


def _ledger(store: Store) -> DeliveryLedger:
    if isinstance(store, SqlStore):
        return SqlUpdateLedger(store.engine, "telegram")
    assert isinstance(store, MemoryStore)
    return MemoryDeliveryLedger(store, "telegram")


def _write(loaded: LoadedStep, n: int, **changes: Any) -> StepWrite:
    return StepWrite(KEY, loaded.revision, state(log(n), serial=n), **changes)


def test_a_step_records_its_delivery_and_a_second_step_for_it_writes_nothing(
    store: Store,
) -> None:
    ledger = _ledger(store)
    assert not ledger.recorded(UPDATE)
    store.commit_step(_write(store.load_step(KEY), 2, delivery=UPDATE))
    assert ledger.recorded(UPDATE)
    after = store.load_step(KEY)
    with pytest.raises(DuplicateDeliveryError):
        store.commit_step(_write(after, 3, delivery=UPDATE))
    assert store.load_step(KEY) == after  # the answer was not applied a second time
    store.commit_step(_write(after, 3, delivery=DeliveryKey("telegram", "666:42")))
    assert store.load_step(KEY).state == state(log(3), serial=3)


def test_a_refused_step_records_no_delivery(store: Store) -> None:
    ledger = _ledger(store)
    store.commit_step(_write(store.load_step(KEY), 1))
    stale = store.load_step(KEY)
    store.commit_step(_write(stale, 2))
    with pytest.raises(RevisionConflictError):
        store.commit_step(_write(stale, 5, delivery=UPDATE))
    assert not ledger.recorded(UPDATE)  # redelivered, it is handled


def test_a_step_whose_write_fails_records_no_delivery(store: Store) -> None:
    ledger = _ledger(store)

    def broken(*_: object) -> None:
        raise RuntimeError("the audit log is unwritable")

    store.audit_writer = broken  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        store.commit_step(_write(store.load_step(KEY), 1, audit=("x",), delivery=UPDATE))
    assert not ledger.recorded(UPDATE)
    assert store.load_step(KEY) == LoadedStep(None, None)


def test_a_delivery_recorded_after_handling_refuses_a_later_step(store: Store) -> None:
    ledger = _ledger(store)
    ledger.record(UPDATE)  # a menu, help: no step; recorded after handling
    ledger.record(UPDATE)  # repeatable
    with pytest.raises(DuplicateDeliveryError):
        store.commit_step(_write(store.load_step(KEY), 1, delivery=UPDATE))
    assert store.load_step(KEY) == LoadedStep(None, None)


def test_two_workers_stepping_on_one_delivery_make_one_step(store_backend: Backend) -> None:
    stores = [store_backend.open()]
    stores.append(stores[0] if isinstance(stores[0], MemoryStore) else store_backend.open())
    stores[0].commit_step(_write(stores[0].load_step(KEY), 1))

    def step(store: Store, delivery: DeliveryKey) -> str:
        def plan(loaded: LoadedStep) -> tuple[StepWrite, str]:
            assert loaded.revision is not None
            return _write(loaded, loaded.revision + 2, delivery=delivery), "did"

        for _attempt in range(5):  # as the service: again on fresh state after a conflict
            try:
                return store.run_step(KEY, plan)
            except DuplicateDeliveryError:
                return "refused"
            except RevisionConflictError:
                continue
        return "gave up"

    ledger = _ledger(stores[0])
    for round_ in range(5):
        delivery = DeliveryKey("telegram", f"666:{100 + round_}")
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(step, stores, [delivery, delivery]))
        assert outcomes == ["did", "refused"]
        assert ledger.recorded(delivery)
        assert stores[1].load_step(KEY).revision == 1 + round_  # one step per delivery
