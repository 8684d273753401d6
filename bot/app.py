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
from pathlib import Path
from threading import Thread
from typing import TypeVar
from zoneinfo import ZoneInfo

import yaml

from bot.crypto import MasterKey
from bot.flowspec.compile import ORG_FILE, compile_book
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book, read_sources
from bot.identify import Detector
from bot.identify.paths import default_cache_dir
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.org.model import Organisation
from bot.render.documents import JinjaRenderer
from bot.service.access import AccessGate
from bot.service.conversation import ConversationService
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, KeyValueStore
from bot.service.scheduler import Scheduler, schedule_retention
from bot.settings import Settings
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
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
    people: SqlPeopleStore
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


def organisation_book(settings: Settings, knowledge: KnowledgeBase, org: Organisation) -> FlowBook:
    """An organisation's book: the shipped flows, its own folder's files over them,
    and its own settings as ``organisatie.yaml``; raises ``FlowLoadError``."""
    sources = read_sources(settings.flows_dir)
    if org.flows_dir:
        sources.update(read_sources(Path(org.flows_dir)))
    if org.settings:
        sources[ORG_FILE] = yaml.safe_dump(dict(org.settings), allow_unicode=True, sort_keys=False)
    articles = knowledge.ids() if settings.knowledge_dir.is_dir() else None
    return compile_book(
        sources, display_root=org.flows_dir or str(settings.flows_dir), articles=articles
    )


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = dutch_now,
    master: MasterKey | None = None,
) -> App:
    """Load and check the content, migrate the database, and build the service.

    ``master`` seals what is stored (``bot.store.sealing``); by default it comes
    from the environment, and without one this raises ``MasterKeyMissingError``.
    """
    master = master or MasterKey.from_environment()
    book, knowledge = load_content(settings)
    upgrade(settings.database_url)
    store = create_store(settings.database_url, master=master)
    people = SqlPeopleStore(store.engine)
    gate = AccessGate(people, clock, telegram_bot=settings.telegram_bot_username)
    service = ConversationService(
        book=book,
        store=store,
        renderer=JinjaRenderer(),
        clock=clock,
        knowledge=knowledge,
        main_flow=settings.main_flow,
        gate=gate,
        org_books=lambda org: (
            organisation_book(settings, knowledge, org) if org.settings or org.flows_dir else None
        ),
        offload=store.engine.dialect.name == "postgresql",
    )
    store.purge_hooks.update(people.purge_hooks())
    store.default_retention_days = book.org.bewaartermijn_dagen  # others: per organisation
    log.info("flows %s loaded (%d flows)", book.hash, len(book.flows))
    scheduler = Scheduler(store, clock, offload=service.offload)
    schedule_retention(scheduler, service.purge_expired)
    if settings.name_check:
        load_name_check(service)
    notifier = Notifier(store, PeopleAddresses(people), clock, offload=service.offload)
    scheduler.on_tick(notifier.deliver_waiting)
    return App(settings, service, store, store, book, knowledge, people, scheduler, notifier)


def load_name_check(service: ConversationService, cache_dir: Path | None = None) -> Thread:
    """Load the name lists (deduce: seconds, about a gigabyte) in a thread of their
    own; until they are in, free text is checked with the patterns alone. Returns
    the thread (tests join it)."""

    def load() -> None:
        try:
            detector = Detector(cache_dir or default_cache_dir())
        except Exception:
            log.exception("the name check could not load; free text is checked without it")
            return
        service.identifiers = detector
        log.info("the name check is loaded")

    thread = Thread(target=load, name="name-check", daemon=True)
    thread.start()
    return thread


class PeopleAddresses:
    """The notifier's address book: the chat a person last wrote from (the
    organisation model keeps it; its ids are numbers, the outbox's are text)."""

    def __init__(self, people: SqlPeopleStore) -> None:
        self._people = people

    def last_address(self, person_id: str) -> ConversationKey | None:
        """Where to reach ``person_id`` now, or None (the notice then waits)."""
        return self._people.last_address(int(person_id)) if person_id.isdigit() else None
