"""Ports: what the service needs from the outside world, as protocols.

The service never imports SQLAlchemy, Jinja2 or a chat SDK; ``bot.app`` wires
concrete adapters (``bot.store``, ``bot.render``) to these protocols. Every
port has an in-memory twin used in tests, and one contract test suite runs
against every implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.engine.messages import (
    ChannelTraits,
    Choice,
    Document,
    DocumentRequest,
    Incoming,
    Reply,
    TextIn,
)
from bot.engine.state import State


@dataclass(frozen=True, order=True)
class ConversationKey:
    """Identifies one private chat: ``channel`` ("console", "telegram", "matrix")
    and the channel's id for the chat (never a client's name)."""

    channel: str
    chat: str


@dataclass(frozen=True)
class Sender:
    """Who wrote a message, as the channel knows them: the channel's user id
    (``external_id``) and the first name it shows (a default display name)."""

    channel: str
    external_id: str
    first_name: str | None = None


@dataclass(frozen=True)
class RecordData:
    """What a vastlegging holds, kept (``NewRecord``) or read back (``StoredRecord``)."""

    key: ConversationKey
    flow_id: str
    flow_version: str
    flow_hash: str
    case_code: str | None
    answers: Mapping[str, object]
    text: str
    created_at: datetime
    """When it was made (timezone-aware; stored and read back in UTC)."""


@dataclass(frozen=True)
class NewRecord(RecordData):
    """A finished, confirmed vastlegging to keep."""

    # Whose record it is (set when the access gate admitted the sender).
    org_id: int | None = None
    person_id: int | None = None
    step_key: str | None = None
    """Which step made it (see ``StepWrite``): a second record with the same
    key in the same chat is refused, so one ``klaar`` never makes two records."""
    record_id: str | None = None
    """The id to keep it under (the service chooses it, so audit entries written
    in the same transaction can name it); None: the store makes one."""


@dataclass(frozen=True, kw_only=True)
class StoredRecord(RecordData):
    """A record as read back from the store."""

    id: str


# ------------------------------------------------------------------ one step, one transaction


class StoreUnavailableError(Exception):
    """The database cannot be reached now (down, locked, read-only): nothing of
    this step was written, and what was saved before is kept. The store raises
    it instead of its driver's error, so the service can tell the user to send
    the message again in a moment; it recovers by itself when the database is back."""


class RevisionConflictError(Exception):
    """The conversation was saved by someone else since it was loaded: nothing
    was written; handle the message again on fresh state."""


@dataclass(frozen=True)
class DeliveryKey:
    """What a channel names one delivery by, so a delivery repeated (a retry, a
    redelivery after a crash, a second worker) is handled once: ``channel`` is the
    ledger's name for the channel, ``key`` the delivery's id there (e.g. a
    Telegram ``<bot id>:<update_id>``, a Matrix event id). A step records it in
    its own transaction (``StepWrite.delivery``)."""

    channel: str
    key: str


class DuplicateDeliveryError(Exception):
    """The delivery this step was for is recorded already (another worker, or
    this one before a crash, committed its step): nothing was written, and the
    channel sends nothing for it."""

    def __init__(self, delivery: DeliveryKey) -> None:
        super().__init__(f"{delivery.channel} delivery {delivery.key} was handled already")
        self.delivery = delivery


class DeliveryLedger(Protocol):
    """Deliveries already handled (``bot.store.seen``; the step's store records
    them too, inside the step's transaction)."""

    def recorded(self, delivery: DeliveryKey) -> bool:
        """Whether ``delivery`` was handled already, in any process."""

    def record(self, delivery: DeliveryKey) -> None:
        """Mark ``delivery`` handled (for deliveries that made no step); repeatable."""


@dataclass(frozen=True)
class LoadedStep:
    """A conversation as loaded for a step: its state and the revision it has
    (None for both when the chat never talked to us)."""

    state: State | None
    revision: int | None


@dataclass(frozen=True)
class StepWrite:
    """Everything one incoming message changes, written in one transaction.

    ``state`` None leaves the conversation as it is (nothing else may change
    with it but ``audit`` and ``snapshot``). Otherwise the save is refused with
    ``RevisionConflictError`` when the conversation is no longer at
    ``base_revision`` (None: it must not exist yet). ``audit`` holds audit
    entries of the organisation model, written by the store's audit hook.
    ``delivery`` (optional) is recorded in the same transaction: when it is
    recorded already the store raises ``DuplicateDeliveryError`` and writes
    nothing, so a message's answer and its delivery key are kept together or
    not at all.
    """

    key: ConversationKey
    base_revision: int | None
    state: State | None
    records: tuple[NewRecord, ...] = ()
    snapshot: tuple[str, Mapping[str, str]] | None = None
    audit: tuple[object, ...] = ()
    delivery: DeliveryKey | None = None


T = TypeVar("T")


class StepStore(Protocol):
    """Load, then write everything a step changed at once (``ConversationStore``'s
    transactional half; ``SqlStore`` and ``MemoryStore`` implement both)."""

    def load_step(self, key: ConversationKey) -> LoadedStep:
        """The state and revision of this chat."""

    def commit_step(self, write: StepWrite) -> None:
        """Write ``write`` in one transaction, or raise ``RevisionConflictError``
        and write nothing."""

    def run_step(
        self, key: ConversationKey, plan: Callable[[LoadedStep], tuple[StepWrite, T]]
    ) -> T:
        """Load, ``plan`` the write, commit it; on PostgreSQL all under one
        per-conversation lock that holds across processes. Raises
        ``RevisionConflictError`` like ``commit_step``; returns ``plan``'s second value."""


class ConversationStore(StepStore, Protocol):
    """Durable conversation state, answer log, records and flow snapshots."""

    def reconnect(self) -> None:
        """After an outage: let go of every idle connection, so the next message
        opens fresh ones (SQLite keeps a file's read-only view while any is open)."""

    def load(self, key: ConversationKey) -> State | None:
        """The saved state of this chat, or None if it never talked to us."""

    def save(self, key: ConversationKey, state: State) -> None:
        """Save the state (position and answer log) in one transaction."""

    def add_record(self, record: NewRecord) -> str:
        """Keep a finished record; returns its id."""

    def records(self, key: ConversationKey) -> list[StoredRecord]:
        """The records made in this chat, oldest first."""

    def purge(self, before: datetime) -> tuple[int, int]:
        """Delete conversations untouched since ``before`` (with their answers) and
        records made before it; returns how many (conversations, records)."""

    def purge_all(self, before: datetime) -> dict[str, int]:
        """Delete everything older than ``before`` that holds chat or person ids
        (conversations, records, per-chat settings, the outbox, finished jobs and
        whatever the purge hooks cover); how many rows went, per table."""

    def put_flow_snapshot(self, book_hash: str, sources: Mapping[str, str]) -> None:
        """Keep the sources of a flow book (idempotent), so conversations
        started on it can finish on the same version after a flow change."""

    def get_flow_snapshot(self, book_hash: str) -> dict[str, str] | None:
        """The sources saved under ``book_hash``, or None."""


class KeyValueStore(Protocol):
    """Small durable settings for channel adapters (e.g. a Matrix sync token)."""

    def get_value(self, name: str) -> str | None:
        """The value saved under ``name``, or None."""

    def set_value(self, name: str, value: str) -> None:
        """Save ``value`` under ``name``, replacing an earlier one."""


class DocumentRenderer(Protocol):
    """Turns a summary request into text and Markdown (Jinja2, sandboxed)."""

    def render(self, request: DocumentRequest, sources: Mapping[str, str]) -> Document:
        """Render ``request.template`` found in ``sources`` (the flow book's files)."""


@dataclass(frozen=True)
class Arrival:
    """One message that arrived, as a channel hands it to the service: in which
    chat (``key``), what it says (``incoming``), what that chat can show
    (``traits``), who wrote it (``sender``) and the channel's name for this
    delivery (``delivery``).

    Channels pass the ``sender``: only members of an organisation get further
    than the access gate (``bot.service.access``); without a sender the caller
    is trusted (tests, bench). With ``delivery``, the step records it in its
    transaction, so a delivery handled twice makes one step."""

    key: ConversationKey
    incoming: Incoming
    traits: ChannelTraits
    sender: Sender | None = None
    delivery: DeliveryKey | None = None

    @classmethod
    def starting(
        cls, key: ConversationKey, traits: ChannelTraits, sender: Sender | None = None
    ) -> Arrival:
        """A request to start a flow afresh (``ConversationService.start``): to
        the access gate it is the word ``start``."""
        return cls(key, TextIn("start"), traits, sender)


class ConversationHandler(Protocol):
    """What a channel needs from the service (``ConversationService`` fits)."""

    async def handle(self, arrival: Arrival) -> list[Reply]:
        """Handle one message of one conversation; the replies, in order.

        Never raises for the user's input. ``DuplicateDeliveryError`` when the
        arrival's ``delivery`` was recorded already (then nothing is to be sent)."""


@dataclass(frozen=True)
class OpenSelection:
    """The question open in a conversation (``Ask.question_id``) and the options
    ticked at it so far, as saved (for a multiple choice; empty otherwise)."""

    question_id: str
    selected: tuple[str, ...]


class SelectionReader(Protocol):
    """Reads what is ticked now, without a step (``ConversationService`` fits):
    a channel that edits a keyboard in place checks it after its edit
    (``bot.channels.telegram.settling``)."""

    async def open_selection(self, key: ConversationKey) -> OpenSelection | None:
        """The open question and its ticks; None when no question is open.

        Raises ``StoreUnavailableError`` when the database cannot be reached."""


# ------------------------------------------------------------------ outbound messages and time


@dataclass(frozen=True)
class Notice:
    """A message the bot sends first (not a reply): plain text (<= 600 characters)
    and optional quick replies, shown like ``Say.actions``."""

    text: str
    actions: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Job:
    """A durable job as claimed from the store."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    due_at: datetime
    attempts: int
    """How often it was claimed, this time included."""
    name: str | None = None


class JobStore(Protocol):
    """Durable scheduler jobs (``SqlStore`` and ``MemoryStore``)."""

    def add_job(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, *, name: str | None = None
    ) -> bool:
        """Add a job; with ``name``, only if no job of that name exists (then False)."""

    def claim_jobs(self, now: datetime, lease_until: datetime, limit: int) -> list[Job]:
        """Claim up to ``limit`` jobs due at ``now`` that nobody holds, until
        ``lease_until``; a job is claimed by one caller only, across processes."""

    def finish_job(self, job_id: int, now: datetime, next_due: datetime | None = None) -> None:
        """The job ran: done, or (``next_due``) due again then, attempts reset."""

    def retry_job(self, job_id: int, error: str, retry_at: datetime, *, give_up: bool) -> None:
        """The job failed: due again at ``retry_at``, or done for good (``give_up``)."""

    def pending_jobs(self) -> list[Job]:
        """Every job not done, soonest first."""


@dataclass(frozen=True)
class QueuedMessage:
    """A message in the outbox."""

    id: int
    org_id: str
    person_id: str
    notice: Notice
    attempts: int
    created_at: datetime


class OutboxStore(Protocol):
    """The durable outbox: messages for people that are not delivered yet."""

    def queue_message(self, org_id: str, person_id: str, notice: Notice, now: datetime) -> int:
        """Keep ``notice`` for ``person_id``, to be delivered as soon as possible."""

    def claim_messages(
        self, now: datetime, lease_until: datetime, limit: int, *, person_id: str | None = None
    ) -> list[QueuedMessage]:
        """Claim up to ``limit`` undelivered messages due at ``now`` (of one person, if
        given), oldest first, until ``lease_until``; one caller only, across processes."""

    def message_delivered(self, message_id: int, now: datetime) -> None:
        """The message reached its person."""

    def message_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        """Delivery failed (or was not possible here): try again at ``retry_at``."""

    def waiting_messages(self, person_id: str) -> list[QueuedMessage]:
        """The undelivered messages of ``person_id``, oldest first."""


class AddressBook(Protocol):
    """Where a person can be reached (the organisation model implements it)."""

    def last_address(self, person_id: str) -> ConversationKey | None:
        """The chat this person last used, on whatever channel; None if none."""


class ChannelSender(Protocol):
    """Sends a notice to one chat of one channel (Telegram, Matrix)."""

    channel: str

    async def send(self, key: ConversationKey, notice: Notice) -> None:
        """Deliver ``notice`` to ``key.chat``; raises when that is not possible now."""


class UpdateObserver(Protocol):
    """Told about every update the service handled (operations: health, metrics)."""

    def update_handled(self, channel: str, seconds: float, failed: bool) -> None:
        """One update of ``channel`` took ``seconds``; ``failed``: it raised."""
