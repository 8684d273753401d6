"""The conversation service: the one place a message becomes replies.

For each incoming message: take the conversation's lock, load its state,
pick the flow book it runs on, run the pure engine, save the new state (and a
record when a flow was finished), render documents, and return the replies.
Every channel calls :meth:`ConversationService.handle`; the console may call
:meth:`handle_now` directly since it has one user and no event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.engine import texts
from bot.engine.context import Context, KnowledgeLike, NoKnowledge
from bot.engine.messages import (
    ChannelTraits,
    Document,
    DocumentRequest,
    Incoming,
    Reply,
    Say,
    StepResult,
    TextIn,
)
from bot.engine.runner import begin, step
from bot.engine.state import Mode, State
from bot.flowspec.graph import FlowBook
from bot.org.model import Membership, Organisation
from bot.service.access import AccessGate, Admitted
from bot.service.books import BookShelf
from bot.service.locks import KeyedLocks
from bot.service.ports import (
    ConversationKey,
    ConversationStore,
    DocumentRenderer,
    NewRecord,
    Sender,
)

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)


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
        gate: AccessGate | None = None,
        org_books: Callable[[Organisation], FlowBook | None] | None = None,
    ) -> None:
        self.store = store
        self.gate = gate
        # An organisation's own book (its settings, its flows folder); None: the shipped one.
        self.org_books = org_books
        self._org_shelves: dict[int, BookShelf] = {}
        self.books = BookShelf(book, store)
        self.renderer = renderer
        self.clock = clock
        self.knowledge: KnowledgeLike = knowledge or NoKnowledge()
        self.main_flow = main_flow
        self.locks = KeyedLocks()
        self._purged_at: datetime | None = None

    # ------------------------------------------------------------ retention

    def purge_expired(self) -> tuple[int, int]:
        """Delete conversations and records older than the organisation's retention.

        The bot is not the client file: its working notes go once the
        ``bewaartermijn_dagen`` of ``flows/organisatie.yaml`` has passed.
        """
        now = self.clock()
        self._purged_at = now
        days = self.books.current.org.bewaartermijn_dagen
        return self.store.purge(now - timedelta(days=days))

    def _purge_now_and_then(self, now: datetime) -> None:
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self.purge_expired()

    # ------------------------------------------------------------ entry points

    async def handle(
        self,
        key: ConversationKey,
        incoming: Incoming,
        traits: ChannelTraits,
        sender: Sender | None = None,
    ) -> list[Reply]:
        """Handle one message from one chat; never raises for the user's input.

        Channels pass the ``sender``: with an access gate, only members get to
        a conversation. Without a sender the caller is trusted (tests, bench).
        """
        async with self.locks.hold(key):
            return self.handle_now(key, incoming, traits, sender)

    async def start(
        self, key: ConversationKey, traits: ChannelTraits, flow_id: str | None = None
    ) -> list[Reply]:
        """Start a flow afresh (the main flow by default)."""
        async with self.locks.hold(key):
            return self.start_now(key, traits, flow_id)

    def handle_now(
        self,
        key: ConversationKey,
        incoming: Incoming,
        traits: ChannelTraits,
        sender: Sender | None = None,
    ) -> list[Reply]:
        """:meth:`handle` without the lock, for single-user channels."""
        if sender is None or self.gate is None:
            return self._guarded(
                key, traits, lambda book, state, ctx: step(book, state, incoming, ctx)
            )
        admitted = self._admit(key, incoming, sender)
        if not isinstance(admitted, Admitted):
            return admitted
        message = admitted.incoming
        replies = self._guarded(
            key,
            traits,
            lambda book, state, ctx: step(book, state, message, ctx),
            owner=admitted.membership,
        )
        return [*admitted.prefix, *replies]

    def start_now(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        flow_id: str | None = None,
        sender: Sender | None = None,
    ) -> list[Reply]:
        """:meth:`start` without the lock."""
        wanted = flow_id or self.main_flow
        owner = None
        prefix: list[Reply] = []
        if sender is not None and self.gate is not None:
            admitted = self._admit(key, TextIn("start"), sender)
            if not isinstance(admitted, Admitted):
                return admitted
            owner, prefix = admitted.membership, admitted.prefix
        replies = self._guarded(
            key,
            traits,
            lambda book, state, ctx: begin(book, state, wanted, ctx),
            fresh=True,
            owner=owner,
        )
        return [*prefix, *replies]

    def _admit(
        self, key: ConversationKey, incoming: Incoming, sender: Sender
    ) -> Admitted | list[Reply]:
        """Ask the access gate; its own answer (or a refusal) as replies."""
        assert self.gate is not None
        try:
            decision = self.gate.admit(key, incoming, sender)
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
            self._org_shelves[org.id] = shelf
        return shelf

    def _guarded(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        work: Callable[[FlowBook, State, Context], StepResult],
        *,
        fresh: bool = False,
        owner: Membership | None = None,
    ) -> list[Reply]:
        try:
            replies = self._run(key, traits, work, fresh=fresh, owner=owner)
            if owner is not None and self.gate is not None:
                self.gate.settle(key, owner)
            return replies
        except Exception:
            log.exception("could not handle a message for %s", key.channel)
            return [Say(texts.INTERNAL_ERROR)]

    def _run(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        work: Callable[[FlowBook, State, Context], StepResult],
        *,
        fresh: bool,
        owner: Membership | None = None,
    ) -> list[Reply]:
        loaded = self.store.load(key)
        replies: list[Reply] = []
        if loaded is None and not traits.end_to_end_encrypted:
            replies.append(Say(texts.NOTICE_NOT_ENCRYPTED))
        state = loaded or State()
        books = self._shelf(owner)
        book = books.current if fresh else books.get(state.book)
        if book is None or (state.flow is not None and state.flow not in book.flows):
            replies.append(Say(texts.FLOW_CHANGED))
            state = State(serial=state.serial + 1)
            book = books.current
        ctx = Context(now=self.clock(), traits=traits, knowledge=self.knowledge)
        result = work(book, state, ctx)
        new_state = result.state
        if new_state.book == book.hash and new_state.mode is not Mode.IDLE:
            books.remember(book)
        rendered: dict[int, Document] = {}
        for reply in result.replies:
            if isinstance(reply, DocumentRequest):
                document = self.renderer.render(reply, book.sources)
                rendered[id(reply)] = document
                replies.append(document)
            else:
                replies.append(reply)
        for effect in result.effects:
            document = rendered.get(id(effect.document)) or self.renderer.render(
                effect.document, book.sources
            )
            self.store.add_record(
                NewRecord(
                    key=key,
                    flow_id=effect.flow_id,
                    flow_version=effect.flow_version,
                    flow_hash=effect.flow_hash,
                    case_code=effect.case_code,
                    answers=effect.answers,
                    text=document.text,
                    created_at=ctx.now.astimezone(UTC).isoformat(),
                    org_id=None if owner is None else owner.org.id,
                    person_id=None if owner is None else owner.person.id,
                )
            )
        if new_state != loaded:
            self.store.save(key, new_state)
        self._purge_now_and_then(ctx.now)
        return replies
