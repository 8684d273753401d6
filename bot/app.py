"""The composition root: the only place that wires concrete adapters together.

Channels receive the objects built here (the service and a key-value store)
and never import storage or rendering themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.render.documents import JinjaRenderer
from bot.service.conversation import ConversationService
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, KeyValueStore
from bot.service.scheduler import Scheduler, schedule_retention
from bot.settings import Settings
from bot.store.migrate import upgrade
from bot.store.sql import SqlStore, create_store

log = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Europe/Amsterdam")

#: Seconds between two rounds of the scheduler (due jobs, outbox delivery).
SCHEDULER_EVERY = 30.0

T = TypeVar("T")


def dutch_now() -> datetime:
    """The time in the Netherlands (dates in the vastlegging are local dates)."""
    return datetime.now(TIMEZONE)


@dataclass
class App:
    """Everything a channel needs, built once."""

    settings: Settings
    service: ConversationService
    kv: KeyValueStore
    store: SqlStore
    book: FlowBook
    knowledge: KnowledgeBase
    scheduler: Scheduler
    notifier: Notifier

    def close(self) -> None:
        self.service.close()
        self.store.close()

    async def with_background(self, main: Awaitable[T]) -> T:
        """Await ``main`` (a channel's run) with the scheduler's loop beside it:
        due jobs (the retention purge) and outbox delivery, every half minute."""
        stop = asyncio.Event()
        loop = asyncio.create_task(self.scheduler.run_forever(stop, SCHEDULER_EVERY))
        try:
            return await main
        finally:
            stop.set()
            await loop


def load_content(settings: Settings) -> tuple[FlowBook, KnowledgeBase]:
    """Knowledge articles and flows; raises ``FlowLoadError`` listing every problem."""
    if settings.knowledge_dir.is_dir():
        knowledge = load_knowledge(settings.knowledge_dir)
        book = load_book(settings.flows_dir, articles=knowledge.ids())
    else:  # no articles at all: help links cannot be checked
        knowledge = KnowledgeBase(())
        book = load_book(settings.flows_dir)
    return book, knowledge


def create_app(settings: Settings, *, clock: Callable[[], datetime] = dutch_now) -> App:
    """Load and check the content, migrate the database, and build the service."""
    book, knowledge = load_content(settings)
    upgrade(settings.database_url)
    store = create_store(settings.database_url)
    service = ConversationService(
        book=book,
        store=store,
        renderer=JinjaRenderer(),
        clock=clock,
        knowledge=knowledge,
        main_flow=settings.main_flow,
        offload=store.engine.dialect.name == "postgresql",
    )
    log.info("flows %s loaded (%d flows)", book.hash, len(book.flows))
    scheduler = Scheduler(store, clock, offload=service.offload)
    schedule_retention(scheduler, service.purge_expired)
    # coordinator: the organisation model's store is the address book (last_address).
    notifier = Notifier(store, NoAddresses(), clock, offload=service.offload)
    scheduler.on_tick(notifier.deliver_waiting)
    return App(settings, service, store, store, book, knowledge, scheduler, notifier)


class NoAddresses:
    """An ``AddressBook`` that knows nobody (until the organisation model is wired):
    every notice waits in the outbox."""

    def last_address(self, person_id: str) -> ConversationKey | None:
        return None
