"""Planning one step: what one message changes, before anything is written.

Given the loaded conversation, the flow book and the engine's work, this
runs the engine, renders the documents it asked for, and returns the
``StepWrite`` the store applies in one transaction (new state, records,
flow snapshot, audit entries) and the replies. Pure but for rendering, so the
service can plan a step again on fresh state when the store reports that the
conversation moved on meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.engine import texts
from bot.engine.context import Context, FindsIdentifiers, KnowledgeLike
from bot.engine.messages import ChannelTraits, Document, DocumentRequest, Reply, Say, StepResult
from bot.engine.state import Mode, State
from bot.flowspec.graph import FlowBook
from bot.org.model import Membership
from bot.service.books import BookShelf
from bot.service.ports import (
    ConversationKey,
    DocumentRenderer,
    LoadedStep,
    NewRecord,
    StepWrite,
)

#: Makes the audit entries of a step from the records it made (wired by the
#: organisation model); they are written in the step's transaction.
AuditFor = Callable[[ConversationKey, Sequence[NewRecord]], Sequence[object]]

#: What the engine does with one message: ``step`` or ``begin`` on a book and state.
EngineWork = Callable[[FlowBook, State, Context], StepResult]


@dataclass(frozen=True)
class Planned:
    """One planned step: what the store writes, the replies, and the book whose
    sources the write stores (None: already stored)."""

    write: StepWrite
    replies: list[Reply]
    snapshot_of: FlowBook | None


@dataclass(frozen=True, slots=True)
class StepPlanner:
    """What planning a step needs of the service: its renderer, clock and helpers
    as they are when the step starts (the app may swap some while the bot runs)."""

    renderer: DocumentRenderer
    clock: Callable[[], datetime]
    knowledge: KnowledgeLike
    identifiers: FindsIdentifiers
    audit_for: AuditFor | None

    def plan(
        self,
        key: ConversationKey,
        traits: ChannelTraits,
        work: EngineWork,
        loaded_step: LoadedStep,
        *,
        fresh: bool,
        owner: Membership | None,
        books: BookShelf,
    ) -> Planned:
        """What one message changes (pure but for rendering): the write and the replies."""
        loaded = loaded_step.state
        replies: list[Reply] = []
        if loaded is None and not traits.end_to_end_encrypted:
            replies.append(Say(texts.NOTICE_NOT_ENCRYPTED))
        state = loaded or State()
        book = books.current if fresh else books.get(state.book)
        if book is None or (state.flow is not None and state.flow not in book.flows):
            replies.append(Say(texts.FLOW_CHANGED))
            state = State(serial=state.serial + 1)
            book = books.current
        ctx = Context(
            now=self.clock(),
            traits=traits,
            knowledge=books.knowledge or self.knowledge,
            identifiers=self.identifiers,
        )
        result = work(book, state, ctx)
        new_state = result.state
        snapshot_of: FlowBook | None = None
        if (
            new_state.book == book.hash
            and new_state.mode is not Mode.IDLE
            and not books.is_saved(book)
        ):
            snapshot_of = book
        rendered: dict[int, Document] = {}
        for reply in result.replies:
            if isinstance(reply, DocumentRequest):
                document = self.renderer.render(reply, book.sources)
                rendered[id(reply)] = document
                replies.append(document)
            else:
                replies.append(reply)
        records: list[NewRecord] = []
        for index, effect in enumerate(result.effects):
            document = rendered.get(id(effect.document)) or self.renderer.render(
                effect.document, book.sources
            )
            records.append(
                NewRecord(
                    key=key,
                    flow_id=effect.flow_id,
                    flow_version=effect.flow_version,
                    flow_hash=effect.flow_hash,
                    case_code=effect.case_code,
                    answers=effect.answers,
                    text=document.text,
                    created_at=ctx.now.astimezone(UTC),
                    step_key=step_key(loaded_step, index),
                    record_id=uuid.uuid4().hex,
                    org_id=None if owner is None else owner.org.id,
                    person_id=None if owner is None else owner.person.id,
                )
            )
        audit: tuple[object, ...] = ()
        if self.audit_for is not None:
            audit = tuple(self.audit_for(key, tuple(records)))
        write = StepWrite(
            key=key,
            base_revision=loaded_step.revision,
            state=new_state if new_state != loaded or records else None,
            records=tuple(records),
            snapshot=None if snapshot_of is None else (book.hash, dict(book.sources)),
            audit=audit,
        )
        return Planned(write, replies, snapshot_of)


def step_key(loaded: LoadedStep, index: int = 0) -> str:
    """The idempotency key of the ``index``-th record a step makes: the revision
    the step was based on and the question it answered (``State.serial``)."""
    serial = 0 if loaded.state is None else loaded.state.serial
    return f"r{loaded.revision}:s{serial}:{index}"
