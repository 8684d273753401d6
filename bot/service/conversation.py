"""The conversation service: the one place a message becomes replies.

For each incoming message: take the conversation's lock, then in one store
call (``run_step``) load its state and revision, pick the flow book it runs
on, run the pure engine, render documents, and write everything the step
changed (position, answer log, records, flow snapshot, audit entries) in one
transaction. If another process saved the conversation meanwhile, the store
refuses the write and the message is handled again on fresh state. A
channel's delivery key (``DeliveryKey``) rides along in that transaction, so
a delivery handled twice (a retry, a crash, a second worker) makes one step:
the second raises ``DuplicateDeliveryError`` and its replies are never made
(they are sent only after the commit). Every
channel calls :meth:`ConversationService.handle`; the console may call
:meth:`handle_now` directly since it has one user and no event loop. What one
step changes is planned by ``bot.service.planning``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from bot.engine import texts
from bot.engine.context import FindsIdentifiers, KnowledgeLike, NoKnowledge
from bot.engine.messages import (
    ChannelTraits,
    Incoming,
    Reply,
    Say,
)
from bot.engine.runner import begin, step
from bot.engine.state import Mode
from bot.flowspec.graph import FlowBook
from bot.identify import PatternDetector
from bot.org.model import Membership, Organisation
from bot.service.access import AccessGate, Admitted
from bot.service.audit import records_audit
from bot.service.books import BookShelf
from bot.service.locks import KeyedLocks
from bot.service.planning import AuditFor, EngineWork, StepPlanner, step_key
from bot.service.ports import (
    Arrival,
    ConversationKey,
    ConversationStore,
    DeliveryKey,
    DocumentRenderer,
    DuplicateDeliveryError,
    LoadedStep,
    OpenSelection,
    RevisionConflictError,
    Sender,
    StepWrite,
    StoreUnavailableError,
    UpdateObserver,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often one message is handled in all when the conversation keeps moving
#: on underneath it (another process saved in between); then it is an error.
MAX_ATTEMPTS = 5

#: Threads for store work when it is offloaded (PostgreSQL): a slow query for
#: one chat then holds up only its own reply. Keep it below the engine's
#: connection pool (5 + 10 overflow) so threads do not queue for connections.
STORE_THREADS = 8


class ConversationService:
    """Drives conversations over the store and renderer ports."""

    def __init__(
        self,
        *,
        book: FlowBook,
        store: ConversationStore,
        renderer: DocumentRenderer,
        clock: Callable[[], datetime],
        knowledge: KnowledgeLike | None = None,
        main_flow: str = "dilemma",
        offload: bool = False,
        audit_for: AuditFor | None = None,
        gate: AccessGate | None = None,
        org_books: Callable[[Organisation], FlowBook | None] | None = None,
        identifiers: FindsIdentifiers | None = None,
    ) -> None:
        self.store = store
        #: Finds identifying details in free text; the app swaps in one that knows
        #: names once its lookup lists are loaded (``bot.app.load_name_check``).
        self.identifiers: FindsIdentifiers = identifiers or PatternDetector()
        self.gate = gate
        # An organisation's own book (its settings, its flows folder); None: the shipped one.
        self.org_books = org_books
        #: An organisation's own articles over the shipped ones (set by the app).
        self.org_knowledge: Callable[[Organisation], KnowledgeLike | None] | None = None
        self._org_shelves: dict[int, BookShelf] = {}
        self.books = BookShelf(book, store)
        self.renderer = renderer
        self.clock = clock
        self.knowledge: KnowledgeLike = knowledge or NoKnowledge()
        self.main_flow = main_flow
        self.locks = KeyedLocks()
        self.audit_for = audit_for if audit_for is not None else records_audit
        #: Run each step in a worker thread (for PostgreSQL; SQLite and memory
        #: are fast enough inline, and inline is cheaper: see bench/offload.py).
        self.offload = offload
        self._executor: ThreadPoolExecutor | None = None
        #: Told about every update handled (health and metrics; wired by the app).
        self.observer: UpdateObserver | None = None

    # ------------------------------------------------------------ retention

    def purge_expired(self) -> dict[str, int]:
        """Delete what is older than the organisation's retention; counts per table.

        The bot is not the client file: its working notes go once the
        ``bewaartermijn_dagen`` of ``flows/organisatie.yaml`` has passed. This
        covers every table with chat or person ids (``purge_all`` of the store).
        The scheduler runs it as a recurring job (``schedule_retention``).
        """
        return self.store.purge_all(self.retention_cutoff())

    def retention_cutoff(self) -> datetime:
        """The moment before which conversations and records are deleted."""
        return self.clock() - timedelta(days=self.books.current.org.bewaartermijn_dagen)

    def close(self) -> None:
        """Stop the worker threads (after the last message)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def _call(self, work: Callable[[], T]) -> T:
        if not self.offload:
            return work()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="store")
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    # ------------------------------------------------------------ entry points

    async def handle(self, arrival: Arrival) -> list[Reply]:
        """``handle_now`` under the chat's lock; a store that is away gets its own reply."""
        key = arrival.key
        started = time.perf_counter()
        failed = True
        try:
            async with self.locks.hold(key):
                replies = await self._call(lambda: self.handle_now(arrival))
            failed = False
            return replies
        except StoreUnavailableError:
            return self._store_away(key)
        except DuplicateDeliveryError:
            failed = False  # handled, once, by another worker (or before a crash)
            raise
        finally:
            if self.observer is not None:
                self.observer.update_handled(key.channel, time.perf_counter() - started, failed)

    async def start(self, arrival: Arrival, flow_id: str | None = None) -> list[Reply]:
        """Start a flow afresh (the main flow by default); ``arrival`` is who asks
        where (``Arrival.starting``)."""
        try:
            async with self.locks.hold(arrival.key):
                return await self._call(lambda: self.start_now(arrival, flow_id))
        except StoreUnavailableError:
            return self._store_away(arrival.key)

    async def open_selection(self, key: ConversationKey) -> OpenSelection | None:
        """The question open in ``key``'s conversation and what is ticked at it, as
        saved; None when no question is open (``SelectionReader``). A read: no step,
        no gate. A channel reads it around a press in the same chat, which goes
        through the gate, and shows what it read only there (option keys, no answers)."""
        state = await self._call(lambda: self.store.load(key))
        if state is None or state.mode is not Mode.ASKING:
            return None
        return OpenSelection(state.question_id, state.selection)

    def handle_now(self, arrival: Arrival) -> list[Reply]:
        """:meth:`handle` without the lock, for single-user channels."""
        return self._past_gate(
            arrival, lambda message: lambda book, state, ctx: step(book, state, message, ctx)
        )

    def start_now(self, arrival: Arrival, flow_id: str | None = None) -> list[Reply]:
        """:meth:`start` without the lock."""
        wanted = flow_id or self.main_flow
        return self._past_gate(
            arrival,
            lambda _message: lambda book, state, ctx: begin(book, state, wanted, ctx),
            fresh=True,
        )

    def _past_gate(
        self, arrival: Arrival, work: Callable[[Incoming], EngineWork], *, fresh: bool = False
    ) -> list[Reply]:
        """The access gate first (for a sender, when there is a gate), then
        ``work`` on the message as the gate let it through, in one step for the
        member's organisation; the gate's own replies go first."""
        owner: Membership | None = None
        prefix: list[Reply] = []
        message = arrival.incoming
        if arrival.sender is not None and self.gate is not None:
            admitted = self._admit(arrival.key, arrival.incoming, arrival.sender)
            if not isinstance(admitted, Admitted):
                return admitted
            owner, prefix, message = admitted.membership, admitted.prefix, admitted.incoming
        replies = self._guarded(
            arrival.key,
            arrival.traits,
            work(message),
            fresh=fresh,
            owner=owner,
            delivery=arrival.delivery,
        )
        return [*prefix, *replies]

    def _store_away(self, key: ConversationKey) -> list[Reply]:
        """The reply while the database cannot be reached: nothing of this message was
        saved, everything before it was; send it again in a moment. The store lets go
        of its idle connections, so the next message starts afresh."""
        log.warning("the database is unreachable: a message on %s was not handled", key.channel)
        self.store.reconnect()
        return [Say(texts.STORE_AWAY)]

    def _admit(
        self, key: ConversationKey, incoming: Incoming, sender: Sender
    ) -> Admitted | list[Reply]:
        """Ask the access gate; its own answer (or a refusal) as replies."""
        assert self.gate is not None
        try:
            decision = self.gate.admit(key, incoming, sender)
        except StoreUnavailableError:
            return self._store_away(key)
        except Exception:
            log.exception("the access gate failed for %s", key.channel)
            return [Say(texts.INTERNAL_ERROR)]
        return decision if isinstance(decision, Admitted) else list(decision.replies)

    # ------------------------------------------------------------ the work

    def _shelf(self, owner: Membership | None) -> BookShelf:
        """The books of the owner's organisation (the shipped ones by default)."""
        if owner is None or self.org_books is None:
            return self.books
        org = owner.org
        shelf = self._org_shelves.get(org.id)
        if shelf is None:
            try:
                book = self.org_books(org)
            except Exception:
                log.exception("the flows of organisation %s do not load; using the shipped", org.id)
                book = None
            same = book is None or book.hash == self.books.current.hash
            shelf = self.books if same else BookShelf(book or self.books.current, self.store)
            if shelf is not self.books and self.org_knowledge is not None:
                shelf.knowledge = self.org_knowledge(org)
            self._org_shelves[org.id] = shelf
        return shelf

    def _guarded(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        work: EngineWork,
        *,
        fresh: bool = False,
        owner: Membership | None = None,
        delivery: DeliveryKey | None = None,
    ) -> list[Reply]:
        try:
            created: list[bool] = []
            replies = self._run(
                key, traits, work, fresh=fresh, owner=owner, created=created, delivery=delivery
            )
            # The gate claimed an existing conversation before the step; only a row
            # this step created still needs its owner (one transaction less per message).
            if owner is not None and self.gate is not None and any(created):
                self.gate.settle(key, owner)
            return replies
        except StoreUnavailableError:
            return self._store_away(key)
        except DuplicateDeliveryError:
            raise
        except Exception:
            log.exception("could not handle a message for %s", key.channel)
            return [Say(texts.INTERNAL_ERROR)]

    def _run(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        work: EngineWork,
        *,
        fresh: bool,
        owner: Membership | None = None,
        created: list[bool] | None = None,
        delivery: DeliveryKey | None = None,
    ) -> list[Reply]:
        """One step in one store transaction; again on fresh state after a conflict.

        ``created`` gets True when the step made the conversation's row."""
        for _attempt in range(MAX_ATTEMPTS - 1):
            try:
                return self._step_once(
                    key, traits, work, fresh=fresh, owner=owner, created=created, delivery=delivery
                )
            except RevisionConflictError:
                log.info("conversation of %s moved on meanwhile; handling again", key.channel)
        return self._step_once(
            key, traits, work, fresh=fresh, owner=owner, created=created, delivery=delivery
        )

    def _step_once(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        work: EngineWork,
        *,
        fresh: bool,
        owner: Membership | None,
        created: list[bool] | None = None,
        delivery: DeliveryKey | None = None,
    ) -> list[Reply]:
        planned: list[FlowBook] = []
        books = self._shelf(owner)
        planner = StepPlanner(
            self.renderer, self.clock, self.knowledge, self.identifiers, self.audit_for
        )

        def plan(loaded: LoadedStep) -> tuple[StepWrite, list[Reply]]:
            planned.clear()
            step = planner.plan(key, traits, work, loaded, fresh=fresh, owner=owner, books=books)
            if step.snapshot_of is not None:
                planned.append(step.snapshot_of)
            if created is not None:
                created.append(loaded.revision is None and step.write.state is not None)
            write = step.write if delivery is None else replace(step.write, delivery=delivery)
            return write, step.replies

        replies = self.store.run_step(key, plan)
        for book in planned:
            books.mark_saved(book)
        return replies


__all__ = [
    "MAX_ATTEMPTS",
    "STORE_THREADS",
    "AuditFor",
    "ConversationService",
    "step_key",
]
