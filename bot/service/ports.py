"""Ports: what the service needs from the outside world, as protocols.

The service never imports SQLAlchemy, Jinja2 or a chat SDK; ``bot.app`` wires
concrete adapters (``bot.store``, ``bot.render``) to these protocols. Every
port has an in-memory twin used in tests, and one contract test suite runs
against every implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.engine.messages import ChannelTraits, Document, DocumentRequest, Incoming, Reply
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
class NewRecord:
    """A finished, confirmed vastlegging to keep."""

    key: ConversationKey
    flow_id: str
    flow_version: str
    flow_hash: str
    case_code: str | None
    answers: Mapping[str, object]
    text: str
    created_at: str
    # Whose record it is (set when the access gate admitted the sender).
    org_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class StoredRecord:
    """A record as read back from the store."""

    id: str
    key: ConversationKey
    flow_id: str
    flow_version: str
    flow_hash: str
    case_code: str | None
    answers: Mapping[str, object]
    text: str
    created_at: str


class ConversationStore(Protocol):
    """Durable conversation state, answer log, records and flow snapshots."""

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
        records made before it; returns how many (conversations, records).

        Records store ``created_at`` as an ISO time in UTC, so they compare as text."""

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


class ConversationHandler(Protocol):
    """What a channel needs from the service (``ConversationService`` fits)."""

    async def handle(
        self,
        key: ConversationKey,
        incoming: Incoming,
        traits: ChannelTraits,
        sender: Sender | None = None,
    ) -> list[Reply]:
        """Handle one incoming message of one conversation; the replies, in order.

        Channels pass the ``sender``: only members of an organisation get further
        than the access gate (``bot.service.access``)."""
