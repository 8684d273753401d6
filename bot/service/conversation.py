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
)
from bot.engine.runner import begin, step
from bot.engine.state import Mode, State
from bot.flowspec.graph import FlowBook
from bot.service.books import BookShelf
from bot.service.locks import KeyedLocks
from bot.service.ports import ConversationKey, ConversationStore, DocumentRenderer, NewRecord

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
    ) -> None:
        self.store = store
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
        self, key: ConversationKey, incoming: Incoming, traits: ChannelTraits
    ) -> list[Reply]:
        """Handle one message from one chat; never raises for the user's input."""
        async with self.locks.hold(key):
            return self.handle_now(key, incoming, traits)

    async def start(
        self, key: ConversationKey, traits: ChannelTraits, flow_id: str | None = None
    ) -> list[Reply]:
        """Start a flow afresh (the main flow by default)."""
        async with self.locks.hold(key):
            return self.start_now(key, traits, flow_id)

    def handle_now(
        self, key: ConversationKey, incoming: Incoming, traits: ChannelTraits
    ) -> list[Reply]:
        """:meth:`handle` without the lock, for single-user channels."""
        return self._guarded(key, traits, lambda book, state, ctx: step(book, state, incoming, ctx))

    def start_now(
        self, key: ConversationKey, traits: ChannelTraits, flow_id: str | None = None
    ) -> list[Reply]:
        """:meth:`start` without the lock."""
        wanted = flow_id or self.main_flow
        return self._guarded(
            key,
            traits,
            lambda book, state, ctx: begin(self.books.current, state, wanted, ctx),
            fresh=True,
        )

    # ------------------------------------------------------------ the work

    def _guarded(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        work: Callable[[FlowBook, State, Context], StepResult],
        *,
        fresh: bool = False,
    ) -> list[Reply]:
        try:
            return self._run(key, traits, work, fresh=fresh)
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
    ) -> list[Reply]:
        loaded = self.store.load(key)
        replies: list[Reply] = []
        if loaded is None and not traits.end_to_end_encrypted:
            replies.append(Say(texts.NOTICE_NOT_ENCRYPTED))
        state = loaded or State()
        book = self.books.current if fresh else self.books.get(state.book)
        if book is None or (state.flow is not None and state.flow not in book.flows):
            replies.append(Say(texts.FLOW_CHANGED))
            state = State(serial=state.serial + 1)
            book = self.books.current
        ctx = Context(now=self.clock(), traits=traits, knowledge=self.knowledge)
        result = work(book, state, ctx)
        new_state = result.state
        if new_state.book == book.hash and new_state.mode is not Mode.IDLE:
            self.books.remember(book)
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
                )
            )
        if new_state != loaded:
            self.store.save(key, new_state)
        self._purge_now_and_then(ctx.now)
        return replies
