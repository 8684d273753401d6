"""The service: load, step, save, render, record — and what a restart keeps."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bot.engine import texts
from bot.engine.messages import Ask, ChannelTraits, Document, Say, TextIn
from bot.service.ports import Arrival, ConversationKey
from bot.store.memory import MemoryStore
from tests.support.chat import FIXTURES
from tests.support.service import make_service

KEY = ConversationKey("test", "chat-1")
PRIVATE = ChannelTraits("test", end_to_end_encrypted=True)
OPEN = ChannelTraits("telegram", buttons=True, end_to_end_encrypted=False)


def asks(replies: list[object]) -> list[Ask]:
    return [r for r in replies if isinstance(r, Ask)]


def play(service, lines: list[str], traits: ChannelTraits = PRIVATE, key: ConversationKey = KEY):  # type: ignore[no-untyped-def]
    replies: list[object] = []
    for line in lines:
        replies = service.handle_now(Arrival(key, TextIn(line), traits))
    return replies


def test_a_state_saved_by_one_service_is_resumed_by_the_next() -> None:
    store = MemoryStore()
    first = make_service(store=store)
    first.start_now(Arrival.starting(KEY, PRIVATE))
    play(first, ["C-9", "2"])
    second = make_service(store=store)  # a restart: new process, same database
    replies = second.handle_now(Arrival(KEY, TextIn("verder"), PRIVATE))
    assert asks(replies)[-1].step == "besproken"


def test_the_first_contact_on_an_unencrypted_channel_gets_the_privacy_notice() -> None:
    service = make_service()
    replies = service.handle_now(Arrival(KEY, TextIn("start"), OPEN))
    assert isinstance(replies[0], Say) and replies[0].text == texts.NOTICE_NOT_ENCRYPTED
    again = service.handle_now(Arrival(KEY, TextIn("start"), OPEN))
    assert texts.NOTICE_NOT_ENCRYPTED not in [r.text for r in again if isinstance(r, Say)]


def test_finishing_renders_the_vastlegging_and_stores_a_record() -> None:
    store = MemoryStore()
    service = make_service(store=store)
    service.start_now(Arrival.starting(KEY, PRIVATE))
    replies = play(service, ["C-9", "1", "ja", "1", "ja", "ja", "klaar"])
    documents = [r for r in replies if isinstance(r, Document)]
    assert len(documents) == 1 and documents[0].final
    assert documents[0].text == "Demo C-9\n"
    assert documents[0].filename == "vastlegging-C-9-2026-11-23.txt"
    (record,) = store.records(KEY)
    assert (record.flow_id, record.flow_version, record.case_code) == ("demo", "1", "C-9")
    assert record.flow_hash == service.books.current.hash
    assert record.text == "Demo C-9\n"


def test_a_conversation_keeps_running_on_the_flow_version_it_started_with(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(FIXTURES / "flows", flows)
    store = MemoryStore()
    old = make_service(flows, store=store)
    old.start_now(Arrival.starting(KEY, PRIVATE))
    play(old, ["C-9"])
    old_hash = old.books.current.hash
    # The organisation changes the flow while the conversation is in progress.
    demo = flows / "demo.yaml"
    demo.write_text(
        demo.read_text()
        .replace("Wat voor dilemma is het?", "Welk soort dilemma?")
        .replace('version: "1"', 'version: "2"')
    )
    new = make_service(flows, store=store)
    assert new.books.current.hash != old_hash
    replies = play(new, ["verder"])
    assert asks(replies)[-1].text == "Wat voor dilemma is het?"
    play(new, ["1", "ja", "1", "ja", "ja", "klaar"])
    (record,) = store.records(KEY)
    assert (record.flow_version, record.flow_hash) == ("1", old_hash)
    # A new conversation starts on the new version.
    replies = new.start_now(Arrival.starting(KEY, PRIVATE))
    replies = play(new, ["C-10"])
    assert asks(replies)[-1].text == "Welk soort dilemma?"


def test_a_lost_flow_version_restarts_politely() -> None:
    store = MemoryStore()
    service = make_service(store=store)
    service.start_now(Arrival.starting(KEY, PRIVATE))
    state = store.load(KEY)
    assert state is not None
    from dataclasses import replace

    store.save(KEY, replace(state, book="0000000000000000"))
    replies = service.handle_now(Arrival(KEY, TextIn("verder"), PRIVATE))
    assert any(isinstance(r, Say) and r.text == texts.FLOW_CHANGED for r in replies)


def test_an_unexpected_error_gets_a_friendly_reply_and_loses_nothing() -> None:
    store = MemoryStore()
    service = make_service(store=store)
    service.start_now(Arrival.starting(KEY, PRIVATE))
    play(service, ["C-9"])
    before = store.load(KEY)

    class Broken:
        def render(self, *args: object) -> Document:
            raise RuntimeError("template exploded")

    service.renderer = Broken()
    replies = play(service, ["1", "ja", "1", "ja", "ja", "klaar"])  # rendered at klaar
    assert replies == [Say(texts.INTERNAL_ERROR)]
    after = store.load(KEY)
    assert after is not None and before is not None
    assert len(after.log) > len(before.log)  # every answer before the failure was kept


def test_messages_of_one_chat_are_handled_one_at_a_time_and_locks_are_freed() -> None:
    service = make_service()

    async def scenario() -> list[list[object]]:
        await service.start(Arrival.starting(KEY, PRIVATE))
        results = await asyncio.gather(
            *(service.handle(Arrival(KEY, TextIn(t), PRIVATE)) for t in ["C-1", "1", "ja"])
        )
        return list(results)

    results = asyncio.run(scenario())
    steps = [asks(r)[-1].step for r in results]
    assert steps == ["soort", "besproken", "partners"]
    assert len(service.locks) == 0


def test_records_and_idle_conversations_go_after_the_retention_period() -> None:
    from datetime import timedelta

    from tests.support.chat import NOW

    store = MemoryStore()
    service = make_service(store=store)
    service.start_now(Arrival.starting(KEY, PRIVATE))
    play(service, ["C-9", "1", "ja", "1", "ja", "ja", "klaar"])
    assert len(store.records(KEY)) == 1
    counts = service.purge_expired()  # within the 30 days of organisatie.yaml
    assert (counts["conversations"], counts["records"]) == (0, 0)
    service.clock = lambda: NOW + timedelta(days=3650)
    counts = service.purge_expired()
    assert (counts["conversations"], counts["records"]) == (1, 1)
    assert store.records(KEY) == [] and store.load(KEY) is None
