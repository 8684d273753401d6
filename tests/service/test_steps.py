"""The service's side of "one step, one transaction": conflicts, retries, crashes, threads.

Two services on one SQLite file are two bot processes; a store that lets the
other one write in between load and commit makes the race happen every time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.engine import texts
from bot.engine.messages import Ask, ChannelTraits, Say, TextIn
from bot.service.conversation import ConversationService
from bot.service.ports import Arrival, ConversationKey, LoadedStep, NewRecord, StepWrite
from bot.store.memory import MemoryStore
from bot.store.migrate import upgrade
from bot.store.sql import SqlStore
from tests.peers.postgres import PostgresServer
from tests.support.service import make_service

KEY = ConversationKey("test", "chat-1")
OTHER = ConversationKey("test", "chat-2")
PRIVATE = ChannelTraits("test", end_to_end_encrypted=True)
TO_KLAAR = ["C-9", "1", "ja", "1", "ja", "ja"]


class MeddledStore(SqlStore):
    """A SQL store that runs ``meanwhile`` (once) between loading and committing."""

    meanwhile: Callable[[], None] | None = None

    def commit_step(self, write: StepWrite) -> None:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        super().commit_step(write)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'voorkomen.db'}"
    upgrade(url)
    return url


@pytest.fixture
def two_processes(sqlite_url: str) -> Iterator[tuple[ConversationService, ConversationService]]:
    a_store, b_store = MeddledStore(sqlite_url), SqlStore(sqlite_url)
    yield make_service(store=a_store), make_service(store=b_store)
    a_store.close()
    b_store.close()


def last_ask(replies: Sequence[object]) -> Ask:
    return [r for r in replies if isinstance(r, Ask)][-1]


def test_a_message_is_handled_again_when_another_process_saved_meanwhile(
    two_processes: tuple[ConversationService, ConversationService],
) -> None:
    a, b = two_processes
    a.start_now(Arrival.starting(KEY, PRIVATE))
    assert isinstance(a.store, MeddledStore)
    # b answers the case code while a is handling "verder" on the state before it.
    a.store.meanwhile = lambda: b.handle_now(Arrival(KEY, TextIn("C-9"), PRIVATE)) and None
    replies = a.handle_now(Arrival(KEY, TextIn("verder"), PRIVATE))
    # a's reply is for the fresh state: the question after the case code.
    assert last_ask(replies).step == "soort"
    state = b.store.load(KEY)
    assert state is not None and [e.value for e in state.log] == ["C-9"]


def test_one_klaar_handled_by_two_processes_makes_one_record(
    two_processes: tuple[ConversationService, ConversationService],
) -> None:
    a, b = two_processes
    a.start_now(Arrival.starting(KEY, PRIVATE))
    for line in TO_KLAAR:
        a.handle_now(Arrival(KEY, TextIn(line), PRIVATE))
    assert isinstance(a.store, MeddledStore)
    a.store.meanwhile = lambda: b.handle_now(Arrival(KEY, TextIn("klaar"), PRIVATE)) and None
    a.handle_now(Arrival(KEY, TextIn("klaar"), PRIVATE))
    assert len(b.store.records(KEY)) == 1


def test_a_crash_while_writing_klaar_keeps_nothing_and_klaar_again_works() -> None:
    store = MemoryStore()
    fail = [True]

    def audit_for(key: ConversationKey, records: Sequence[NewRecord]) -> list[object]:
        return [("record_created", r.record_id) for r in records]

    def audit_writer(entries: Sequence[object]) -> None:
        if fail[0]:
            raise RuntimeError("database went away")
        written.extend(entries)

    written: list[object] = []
    store.audit_writer = audit_writer
    service = make_service(store=store)
    service.audit_for = audit_for
    service.start_now(Arrival.starting(KEY, PRIVATE))
    for line in TO_KLAAR:
        service.handle_now(Arrival(KEY, TextIn(line), PRIVATE))
    before = store.load_step(KEY)
    assert service.handle_now(Arrival(KEY, TextIn("klaar"), PRIVATE)) == [Say(texts.INTERNAL_ERROR)]
    assert store.load_step(KEY) == before and store.records(KEY) == []
    fail[0] = False
    service.handle_now(Arrival(KEY, TextIn("klaar"), PRIVATE))
    (record,) = store.records(KEY)
    assert written == [("record_created", record.id)]


def test_the_flow_snapshot_is_written_with_the_first_step() -> None:
    store = MemoryStore()
    service = make_service(store=store)
    book = service.books.current
    assert store.get_flow_snapshot(book.hash) is None
    service.start_now(Arrival.starting(KEY, PRIVATE))
    assert store.get_flow_snapshot(book.hash) == dict(book.sources)
    assert service.books.is_saved(book)


def test_steps_run_in_worker_threads_when_offloaded(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    service = make_service(store=store)
    service.offload = True

    async def scenario() -> list[object]:
        await service.start(Arrival.starting(KEY, PRIVATE))
        return await service.handle(Arrival(KEY, TextIn("C-9"), PRIVATE))

    try:
        assert last_ask(asyncio.run(scenario())).step == "soort"
    finally:
        service.close()
        store.close()


class SlowForOneChat(SqlStore):
    """A PostgreSQL store whose steps for ``slow_key`` start with a slow query."""

    slow_key: ConversationKey | None = None

    def load_step(self, key: ConversationKey) -> LoadedStep:
        self._maybe_slow(key)
        return super().load_step(key)

    def run_step(self, key, plan):  # type: ignore[no-untyped-def]
        self._maybe_slow(key)
        return super().run_step(key, plan)

    def _maybe_slow(self, key: ConversationKey) -> None:
        if key == self.slow_key:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(1.5)"))


@pytest.mark.peer
def test_a_slow_query_for_one_chat_does_not_hold_up_another(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    upgrade(url)
    store = SlowForOneChat(url)
    service = make_service(store=store)
    service.offload = True
    service.start_now(Arrival.starting(KEY, PRIVATE))
    service.start_now(Arrival.starting(OTHER, PRIVATE))
    store.slow_key = KEY
    finished: list[tuple[str, float]] = []

    async def timed(name: str, key: ConversationKey) -> None:
        await service.handle(Arrival(key, TextIn("C-1"), PRIVATE))
        finished.append((name, time.monotonic()))

    async def scenario() -> float:
        start = time.monotonic()
        slow = asyncio.create_task(timed("slow", KEY))
        await asyncio.sleep(0.05)  # the slow one is in its query now
        await timed("quick", OTHER)
        await slow
        return start

    try:
        start = asyncio.run(scenario())
    finally:
        service.close()
        store.close()
        postgres_server.drop_database(url.rsplit("/", 1)[1])
    assert [name for name, _ in finished] == ["quick", "slow"]
    quick_at = finished[0][1] - start
    slow_at = finished[1][1] - start
    assert slow_at >= 1.5 and quick_at < 1.0
