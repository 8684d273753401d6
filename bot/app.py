"""The composition root: the only place that wires concrete adapters together.

Channels receive the objects built here (the service and a key-value store)
and never import storage or rendering themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from threading import Thread
from typing import TypeVar
from zoneinfo import ZoneInfo

import yaml

from bot.crypto import MasterKey
from bot.flowspec.compile import ORG_FILE
from bot.flowspec.errors import FlowLoadError
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.flowspec.overlay import compile_merged, overlaid
from bot.identify import Detector
from bot.identify.paths import default_cache_dir
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.knowledge.org import org_articles, with_org_articles
from bot.ops.health import HealthCheck
from bot.ops.metrics import Metrics
from bot.ops.observer import Ops
from bot.org.model import Organisation
from bot.render.documents import JinjaRenderer
from bot.service.access import AccessGate
from bot.service.audit import records_audit
from bot.service.conversation import ConversationService
from bot.service.followup import REMINDERS, CountSource, followup_audit, send_due_reminders
from bot.service.followup_words import FollowupWords
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, KeyValueStore
from bot.service.reload import FlowReloader
from bot.service.scheduler import Scheduler, schedule_retention
from bot.service.together import confirm as confirmations
from bot.service.together.confirm import ConfirmCounts
from bot.service.together.confirm_words import ConfirmWords, display_name
from bot.service.together.escalation_jobs import (
    EscalationCounts,
    recent_records,
    schedule_escalation_reminders,
)
from bot.service.together.escalation_words import EscalationWords
from bot.settings import Settings
from bot.store import stats
from bot.store.confirm import SqlConfirmStore
from bot.store.escalations import SqlEscalationStore
from bot.store.followup import SqlFollowupStore
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
    ops: Ops
    #: Reloads changed flows while the bot runs (SIGHUP, file changes).
    reloader: FlowReloader | None = None
    followup: SqlFollowupStore | None = None
    #: Starts outbox delivery when a chat word queued a notice (confirmations).
    deliver_soon: DeliverSoon | None = None

    def close(self) -> None:
        self.service.close()
        self.store.close()

    async def with_background(self, main: Awaitable[T]) -> T:
        """Await ``main`` (a channel's run) with the scheduler's loop beside it:
        due jobs (the retention purge) and outbox delivery, every half minute;
        and the flows reloaded on SIGHUP or a changed file (bot.service.reload)."""
        stop = asyncio.Event()
        self.ops.metrics.prepare()  # not on the first update (the console never gets here)
        if self.deliver_soon is not None:
            self.deliver_soon.loop = asyncio.get_running_loop()
        loops = [asyncio.create_task(self.scheduler.run_forever(stop, SCHEDULER_EVERY))]
        if self.reloader is not None:
            loops.append(asyncio.create_task(self.reloader.run(stop)))
        if self.settings.ops_listen:
            # aiohttp only when the endpoint is served: the console never needs it.
            from bot.ops.web import serve_ops

            host, port = split_listen(self.settings.ops_listen)
            loops.append(
                asyncio.create_task(serve_ops(host, port, self.ops.health, self.ops.metrics, stop))
            )
        try:
            return await main
        finally:
            stop.set()
            await asyncio.gather(*loops)


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
    """An organisation's book: the shipped flows, its own folder over them (overlays:
    :mod:`bot.flowspec.overlay`), and its own settings as ``organisatie.yaml``;
    raises ``FlowLoadError`` (located in the organisation's files)."""
    merged = overlaid(settings.flows_dir, Path(org.flows_dir) if org.flows_dir else None)
    if org.settings:
        merged.sources[ORG_FILE] = yaml.safe_dump(
            dict(org.settings), allow_unicode=True, sort_keys=False
        )
    articles = knowledge.ids() if settings.knowledge_dir.is_dir() else None
    if articles is not None and org.flows_dir:
        articles |= org_articles(Path(org.flows_dir))
    return compile_merged(merged, articles=articles)


def organisation_knowledge(knowledge: KnowledgeBase, org: Organisation) -> KnowledgeBase | None:
    """The shipped articles with the organisation's own (``kennis/`` in its folder)
    over them; None when it has none, or they do not load (logged)."""
    if not org.flows_dir:
        return None
    try:
        return with_org_articles(knowledge, Path(org.flows_dir))
    except FlowLoadError:
        log.exception("the articles of organisation %s do not load; using the shipped", org.id)
        return None


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
    followup = SqlFollowupStore(store.engine, store.sealer)
    settings_of = org_settings(people, book)
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
        audit_for=followup_audit(settings_of, records_audit),
    )
    service.org_knowledge = lambda org: organisation_knowledge(knowledge, org)
    store.purge_hooks.update(people.purge_hooks())
    # Agreed steps, the record index and counts go in with the record (issue 10).
    store.audit_writer = followup.writer(store.audit_writer)
    store.purge_hooks["followup"] = followup.purge_hook()
    titles = {flow_id: flow.title for flow_id, flow in book.flows.items()}
    words = FollowupWords(
        followup,
        store.records,
        settings_of,
        titles=titles,
        sources=count_sources(store),
        audit=people.append_audit,
    )
    gate.word_handlers.append(words)
    # A colleague confirms the vier-ogen overleg (issue 10).
    confirm = SqlConfirmStore(store.engine, store.sealer)
    store.purge_hooks["confirmations"] = confirm.purge_hook()
    deliver_soon = DeliverSoon()
    gate.word_handlers.append(
        ConfirmWords(
            confirm,
            followup,
            store.records,
            people,
            store,
            settings_of,
            audit=people.append_audit,
            queued=deliver_soon,
            identifiers=lambda: service.identifiers,
        )
    )
    store.default_retention_days = book.org.bewaartermijn_dagen  # others: per organisation
    log.info("flows %s loaded (%d flows)", book.hash, len(book.flows))
    scheduler = Scheduler(store, clock, offload=service.offload)
    schedule_retention(scheduler, service.purge_expired)
    if settings.name_check:
        load_name_check(service)
    notifier = Notifier(store, PeopleAddresses(people), clock, offload=service.offload)
    scheduler.on_tick(notifier.deliver_waiting)
    REMINDERS.schedule(scheduler, partial(send_due_reminders, followup, notifier))
    names = partial(display_name, people)
    confirmations.REMINDERS.schedule(
        scheduler, partial(confirmations.send_due_reminders, confirm, notifier, names)
    )
    deliver_soon.notifier = notifier
    # Escalation to the Team complexe problematiek (issue 10): words, the meeting's reminder.
    escalations = SqlEscalationStore(store.engine, store.sealer)
    store.purge_hooks["escalations"] = escalations.purge_hook()
    gate.word_handlers.append(
        EscalationWords(
            escalations,
            people,
            store,
            settings_of,
            records=recent_records(followup, store.records),
            schedule=scheduler,
            addresses=PeopleAddresses(people),
            audit=people.append_audit,
            identifiers=lambda: service.identifiers,  # names too, once loaded
        )
    )
    schedule_escalation_reminders(scheduler, escalations, notifier)
    reloader = FlowReloader(service, lambda: load_content(settings)[0], [settings.flows_dir])
    ops = Ops(
        HealthCheck(
            ping_database=lambda: stats.ping(store.engine),
            flows_loaded=lambda: len(service.books.current.flows),
        ),
        Metrics(
            conversations=lambda: stats.conversations_in_progress(store.engine),
            outbox=lambda: stats.outbox_waiting(store.engine),
        ),
    )
    service.observer = ops
    return App(
        settings,
        service,
        store,
        store,
        book,
        knowledge,
        people,
        scheduler,
        notifier,
        ops,
        reloader=reloader,
        followup=followup,
        deliver_soon=deliver_soon,
    )


def count_sources(store: SqlStore) -> list[CountSource]:
    """More counts for ``overzicht`` (chat and CSV) from other parts: escalations
    and their outcomes, confirmations given. Each part adds its own source here
    (the sources read their own tables on the store's engine)."""
    return [
        ConfirmCounts(SqlConfirmStore(store.engine, store.sealer)),
        EscalationCounts(SqlEscalationStore(store.engine, store.sealer)),
    ]


def org_settings(
    people: SqlPeopleStore, book: FlowBook
) -> Callable[[int | None], Mapping[str, object]]:
    """An organisation's settings by id: its own over the shipped ``organisatie.yaml``."""

    def settings_of(org_id: int | None) -> Mapping[str, object]:
        base: dict[str, object] = book.org.model_dump()
        org = next((o for o in people.organisations() if o.id == org_id), None)
        return {**base, **(org.settings if org is not None else {})}

    return settings_of


def split_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9100`` for IPv6) as its two parts."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        msg = f"listen address must be host:port, not {listen!r}"
        raise ValueError(msg)
    return host.strip("[]"), int(port)


def load_name_check(
    service: ConversationService,
    cache_dir: Path | None = None,
    *,
    make_detector: Callable[[], Detector] | None = None,
) -> Thread:
    """Load the name lists (deduce: seconds, about a gigabyte) in a thread of their
    own; until they are in, free text is checked with the patterns alone. Returns
    the thread (tests join it, and pass ``make_detector`` to reuse a loaded one)."""

    def load() -> None:
        try:
            if make_detector is not None:
                detector = make_detector()
            else:
                detector = Detector(cache_dir or default_cache_dir())
        except Exception:
            log.exception("the name check could not load; free text is checked without it")
            return
        service.identifiers = detector
        log.info("the name check is loaded")

    thread = Thread(target=load, name="name-check", daemon=True)
    thread.start()
    return thread


class DeliverSoon:
    """Delivers the outbox now, on the running bot's event loop, when a chat word
    queued a notice (a word is handled in the loop or in a store thread): the
    colleague hears it at once instead of at the next scheduler round. Only for
    a receiver on a channel this process serves; without a running loop (tests,
    ``voorkomen chat``) it does nothing: the round comes."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.notifier: Notifier | None = None
        self._running: set[asyncio.Task[int]] = set()

    def __call__(self, channel: str) -> None:
        loop, notifier = self.loop, self.notifier
        if loop is None or notifier is None or loop.is_closed():
            return
        if channel not in notifier.senders:
            return

        def start() -> None:
            task = loop.create_task(notifier.deliver_waiting())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

        loop.call_soon_threadsafe(start)


class PeopleAddresses:
    """The notifier's address book: the chat a person last wrote from (the
    organisation model keeps it; its ids are numbers, the outbox's are text)."""

    def __init__(self, people: SqlPeopleStore) -> None:
        self._people = people

    def last_address(self, person_id: str) -> ConversationKey | None:
        """Where to reach ``person_id`` now, or None (the notice then waits)."""
        return self._people.last_address(int(person_id)) if person_id.isdigit() else None
