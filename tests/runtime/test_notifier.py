"""The notifier and the durable outbox, on memory, SQLite and PostgreSQL.

The address book and the channel senders are small fakes here (the address
book belongs to the organisation model; the real senders are tested against
their peers in tests/telegram and tests/matrix).
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.messages import Choice
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, Notice
from bot.service.scheduler import Scheduler
from tests.store.conftest import Backend, Store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ORG = "org-1"
TG = ConversationKey("telegram", "4242")
MX = ConversationKey("matrix", "!dm:example.org")
HELLO = Notice("Je collega vraagt je mee te kijken.", (Choice("bekijk", "Bekijk"),))


class Addresses:
    """An in-memory ``AddressBook``."""

    def __init__(self, **where: ConversationKey) -> None:
        self.where = dict(where)

    def last_address(self, person_id: str) -> ConversationKey | None:
        return self.where.get(person_id)


class FakeSender:
    """A ``ChannelSender`` that can be down."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.up = True
        self.sent: list[tuple[ConversationKey, Notice]] = []
        self._lock = threading.Lock()

    async def send(self, key: ConversationKey, notice: Notice) -> None:
        if not self.up:
            raise ConnectionError(f"{self.channel} is down")
        with self._lock:
            self.sent.append((key, notice))


def notifier(store: Store, addresses: Addresses, *senders: FakeSender) -> Notifier:
    return Notifier(store, addresses, lambda: T0, senders)  # type: ignore[arg-type]


def test_a_reachable_person_gets_the_message_at_once(store: Store) -> None:
    telegram = FakeSender("telegram")
    n = notifier(store, Addresses(p1=TG), telegram)
    assert asyncio.run(n.send(ORG, "p1", HELLO)) is True
    assert telegram.sent == [(TG, HELLO)]
    assert store.waiting_messages("p1") == []  # type: ignore[attr-defined]


def test_a_person_without_a_chat_gets_it_once_they_have_one(store: Store) -> None:
    telegram = FakeSender("telegram")
    addresses = Addresses()
    n = notifier(store, addresses, telegram)
    assert asyncio.run(n.send(ORG, "p1", HELLO)) is False
    (waiting,) = store.waiting_messages("p1")  # type: ignore[attr-defined]
    assert (waiting.org_id, waiting.notice) == (ORG, HELLO)
    assert asyncio.run(n.deliver_waiting(T0)) == 0
    addresses.where["p1"] = TG  # the person opened a chat
    assert asyncio.run(n.deliver_waiting(T0 + timedelta(seconds=30))) == 0  # waits its turn
    assert asyncio.run(n.deliver_waiting(T0 + timedelta(minutes=1))) == 1
    assert telegram.sent == [(TG, HELLO)]
    assert asyncio.run(n.deliver_waiting(T0 + timedelta(hours=1))) == 0
    assert telegram.sent == [(TG, HELLO)]


def test_a_channel_that_is_down_gets_it_when_it_is_up_again(store_backend: Backend) -> None:
    store = store_backend.open()
    telegram = FakeSender("telegram")
    telegram.up = False
    n = notifier(store, Addresses(p1=TG), telegram)
    assert asyncio.run(n.send(ORG, "p1", HELLO)) is False
    assert asyncio.run(n.deliver_waiting(T0 + timedelta(minutes=5))) == 0  # still down
    assert telegram.sent == []
    if store_backend.name != "memory":  # and the outbox survives a restart
        store = store_backend.open()
    telegram.up = True
    later = notifier(store, Addresses(p1=TG), telegram)
    assert asyncio.run(later.deliver_waiting(T0 + timedelta(minutes=10))) == 1
    assert telegram.sent == [(TG, HELLO)]


def test_the_scheduler_delivers_the_outbox_on_every_tick(store: Store) -> None:
    telegram = FakeSender("telegram")
    telegram.up = False
    n = notifier(store, Addresses(p1=TG), telegram)
    asyncio.run(n.send(ORG, "p1", HELLO))
    s = Scheduler(store, lambda: T0 + timedelta(hours=1))  # type: ignore[arg-type]
    s.on_tick(n.deliver_waiting)
    telegram.up = True
    asyncio.run(s.tick())
    assert telegram.sent == [(TG, HELLO)]


def test_each_process_delivers_for_its_own_channels(store_backend: Backend) -> None:
    a_store, b_store = store_backend.open(), store_backend.open()
    if store_backend.name == "memory":
        b_store = a_store
    addresses = Addresses(p1=MX)
    telegram, matrix = FakeSender("telegram"), FakeSender("matrix")
    telegram_process = notifier(a_store, addresses, telegram)
    matrix_process = notifier(b_store, addresses, matrix)
    matrix.up = False
    asyncio.run(matrix_process.send(ORG, "p1", HELLO))
    matrix.up = True
    assert asyncio.run(telegram_process.deliver_waiting(T0 + timedelta(minutes=1))) == 0
    assert asyncio.run(matrix_process.deliver_waiting(T0 + timedelta(minutes=2))) == 1
    assert matrix.sent == [(MX, HELLO)] and telegram.sent == []


def test_several_processes_deliver_each_message_once(sql_backend: Backend) -> None:
    telegram = FakeSender("telegram")
    telegram.up = False
    addresses = Addresses(**{f"p{i}": ConversationKey("telegram", str(i)) for i in range(30)})
    first = notifier(sql_backend.open(), addresses, telegram)
    for i in range(30):
        asyncio.run(first.send(ORG, f"p{i}", Notice(f"Bericht {i}")))
    telegram.up = True
    processes = [notifier(sql_backend.open(), addresses, telegram) for _ in range(3)]

    def deliver(n: Notifier) -> None:
        # All at one moment: a lease only runs out when a process is gone.
        for _ in range(3):
            asyncio.run(n.deliver_waiting(T0 + timedelta(minutes=1)))

    threads = [threading.Thread(target=deliver, args=(p,)) for p in processes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    asyncio.run(first.deliver_waiting(T0 + timedelta(minutes=30)))  # what SQLite left over
    texts = sorted(notice.text for _, notice in telegram.sent)
    assert texts == sorted(f"Bericht {i}" for i in range(30))


def test_the_console_shows_waiting_messages_once(store: Store) -> None:
    n = notifier(store, Addresses(p1=ConversationKey("console", "anna")))
    asyncio.run(n.send(ORG, "p1", HELLO))
    asyncio.run(n.send(ORG, "p2", Notice("Niet voor jou.")))
    asyncio.run(n.send(ORG, "p1", Notice("Nog iets.")))
    assert n.take_waiting("p1") == [HELLO, Notice("Nog iets.")]
    assert n.take_waiting("p1") == []
    assert [m.notice for m in store.waiting_messages("p2")] == [Notice("Niet voor jou.")]  # type: ignore[attr-defined]


def test_a_notice_longer_than_a_phone_message_is_refused(store: Store) -> None:
    n = notifier(store, Addresses())
    with pytest.raises(ValueError, match="600"):
        asyncio.run(n.send(ORG, "p1", Notice("x" * 601)))
