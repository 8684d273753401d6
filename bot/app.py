"""The composition root: the only place that wires concrete adapters together.

Channels receive the objects built here (the service and a key-value store)
and never import storage or rendering themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.flowspec.compile import ORG_FILE, compile_book
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book, read_sources
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.org.model import Organisation
from bot.render.documents import JinjaRenderer
from bot.service.access import AccessGate
from bot.service.conversation import ConversationService
from bot.service.ports import KeyValueStore
from bot.settings import Settings
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore, create_store

log = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Europe/Amsterdam")


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

    def close(self) -> None:
        self.store.close()


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


def create_app(settings: Settings, *, clock: Callable[[], datetime] = dutch_now) -> App:
    """Load and check the content, migrate the database, and build the service."""
    book, knowledge = load_content(settings)
    upgrade(settings.database_url)
    store = create_store(settings.database_url)
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
    )
    log.info("flows %s loaded (%d flows)", book.hash, len(book.flows))
    return App(settings, service, store, store, book, knowledge, people)
