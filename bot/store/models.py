"""The database schema as typed SQLAlchemy ORM models: the one source of truth.

The Alembic migrations are checked against these models (a test runs
autogenerate's ``compare_metadata``), and the hot-path Core statements in
``bot.store.sql`` are built from their tables. No engine is created here.

What is kept, and why it is so little: the position of each conversation, its
answer log (one row per entry, so ``save`` rewrites only the changed tail),
finished records (no client names: the flows ask for none, and a record holds
only the answers and the rendered text), the sources of every flow book a
conversation ran on, and a few settings for the channel adapters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

#: Constraint names that are stable across databases, so later migrations can
#: refer to (and drop) them by name.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON everywhere, stored as JSONB on PostgreSQL (smaller, indexable).
#: Python ``None`` is stored as JSON ``null``.
JsonType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

#: The same column type, but Python ``None`` is stored as SQL NULL.
JsonOrNull: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)

#: A timestamp column; values are timezone-aware UTC datetimes.
Timestamp = DateTime(timezone=True)

# Column sizes. Telegram chat ids are at most 20 characters, Matrix room ids at
# most 255 bytes; ISO 8601 timestamps from the engine's clock about 32.
CHANNEL_LEN = 32
CHAT_LEN = 255
FLOW_ID_LEN = 200
HASH_LEN = 128
ISO_TIME_LEN = 64


class Base(DeclarativeBase):
    """The declarative base of every table of Voorkomen."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OrgRow:
    """The first two columns of a table of numbered rows that each belong to one organisation."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-2)
    org_id: Mapped[int] = mapped_column(Integer, sort_order=-1)


def indexes(*columns: tuple[str, ...]) -> tuple[Index, ...]:
    """``__table_args__``: an index over each group of columns, named by ``NAMING_CONVENTION``."""
    return tuple(Index(None, *group) for group in columns)


class Conversation(Base):
    """One private chat and where it is in its flow (everything but the answer log).

    ``position`` is ``State.to_json()`` without ``"log"``; ``mode``, ``flow_id``
    and ``book_hash`` repeat parts of it as columns so they can be queried
    (paused conversations, conversations on an old flow book). ``revision``
    grows by one on every save: the store uses it to detect that its cached
    copy of the answer log is stale (another process saved in between).
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    chat: Mapped[str] = mapped_column(String(CHAT_LEN))
    mode: Mapped[str] = mapped_column(String(32))
    flow_id: Mapped[str | None] = mapped_column(String(FLOW_ID_LEN))
    book_hash: Mapped[str | None] = mapped_column(String(HASH_LEN), index=True)
    position: Mapped[dict[str, Any]] = mapped_column(JsonType)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    # Whose conversation this is (set by the access gate; NULL before migration 0002).
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_id: Mapped[int | None] = mapped_column(Integer)


class Answer(Base):
    """One entry of a conversation's ordered answer log (``LogEntry``).

    ``seq`` is the 0-based position in the log. ``value`` is JSON ``null`` for
    a skipped question. ``at`` is the engine's timestamp, kept as given so the
    state round-trips exactly. ``extra`` holds the other fields of
    ``LogEntry.to_json()`` that are not None (such as ``note``), so a field
    added to the engine's log entries is kept without a migration.
    """

    __tablename__ = "answers"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[list[str]] = mapped_column(JsonType)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Any] = mapped_column(JsonType)
    stack: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    at: Mapped[str] = mapped_column(String(ISO_TIME_LEN))
    extra: Mapped[dict[str, Any] | None] = mapped_column(JsonOrNull)


class Record(Base):
    """A finished, confirmed vastlegging (``text`` and ``answers`` sealed, see
    ``bot.store.sealing``)."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_channel_chat", "channel", "chat"),
        UniqueConstraint("channel", "chat", "step_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    chat: Mapped[str] = mapped_column(String(CHAT_LEN))
    flow_id: Mapped[str] = mapped_column(String(FLOW_ID_LEN))
    flow_version: Mapped[str] = mapped_column(String(64))
    flow_hash: Mapped[str] = mapped_column(String(HASH_LEN))
    case_code: Mapped[str | None] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(JsonType)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    # The organisation and person it belongs to (NULL before migration 0002).
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_id: Mapped[int | None] = mapped_column(Integer)
    step_key: Mapped[str | None] = mapped_column(String(64))
    """The step that made this record (the conversation's revision and serial
    it was based on): unique per chat, so one ``klaar`` never makes two records.
    None for records made outside a conversation step."""


class FlowSnapshot(Base):
    """The source files of one flow book, keyed by the hash of the book."""

    __tablename__ = "flow_snapshots"

    book_hash: Mapped[str] = mapped_column(String(HASH_LEN), primary_key=True)
    sources: Mapped[dict[str, str]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class Setting(Base):
    """A small named value for a channel adapter (e.g. a Matrix sync token)."""

    __tablename__ = "settings_kv"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


# ---------------------------------------------------------------- organisations
# Who may use the bot (bot.org): organisations, pseudonymous people, their
# channel identities, memberships with roles, one-time codes (hashed), counters
# for strangers (hashed sender, nothing else) and the append-only audit log.

NAME_LEN = 100


class Organisation(Base):
    """An organisation: its settings (as ``flows/organisatie.yaml``) and flows folder."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonType)
    flows_dir: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class Person(Base):
    """A pseudonymous person: a display name they chose, never a phone number."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class Identity(Base):
    """A channel's user id that belongs to a person, and where they last wrote from.

    ``last_chat``/``last_seen_at``: the chat to reach them in (the notifier
    port); ``active_org_id``: the organisation their conversations are for now.
    """

    __tablename__ = "identities"

    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(CHAT_LEN), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    last_chat: Mapped[str | None] = mapped_column(String(CHAT_LEN))
    last_seen_at: Mapped[datetime | None] = mapped_column(Timestamp)
    active_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )


class MemberRole(Base):
    """One role of one person in one organisation; a member has one row per role."""

    __tablename__ = "member_roles"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(Timestamp)


class AccessCode(Base):
    """A one-time code, by its SHA-256 hash only: an invite or a channel link."""

    __tablename__ = "access_codes"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    uses_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class AccessCounter(Base):
    """How often a sender that is no member wrote or tried a wrong code, in a window.

    ``key`` is a hash of the channel and the sender's id plus what is counted;
    this is all that is kept about someone who is not a member.
    """

    __tablename__ = "access_counters"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(Timestamp)
    count: Mapped[int] = mapped_column(Integer)


class AuditLog(OrgRow, Base):
    """The append-only audit log: who did what to which, and when. No answer text."""

    __tablename__ = "audit_log"
    __table_args__ = indexes(("org_id", "at"))

    at: Mapped[datetime] = mapped_column(Timestamp)
    actor: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(200))


# ---------------------------------------------------------------- runtime
# Durable scheduler jobs and the outbox of messages the bot sends first.


class Job(Base):
    """A durable job for the scheduler: run ``kind`` with ``payload`` at ``due_at``.

    A process claims a due job by setting ``locked_until`` (a lease) in the
    same statement that checks nobody else holds it, so each run happens
    once even with several processes; a crashed process's lease runs out and
    the job is tried again. ``name`` makes a job unique (a recurring job such
    as the retention purge exists once). ``done_at`` is set when a one-off job
    has run; a recurring job gets a new ``due_at`` instead.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_done_at_due_at", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str | None] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    due_at: Mapped[datetime] = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(Timestamp)
    done_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class OutboxMessage(Base):
    """A message for a person that could not be delivered yet (durable outbox).

    ``org_id`` and ``person_id`` are the organisation model's ids, as text (no
    foreign key here, so this table does not depend on how those are kept).
    ``actions`` are quick replies ([key, label] pairs). A message is kept until
    delivered (``delivered_at``), then removed by the retention purge.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_person_id", "person_id"),
        Index("ix_outbox_delivered_at_next_attempt_at", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[list[str]]] = mapped_column(JsonType)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp)
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


# ---------------------------------------------------------------- encryption at rest
# The organisations' data keys (bot.crypto), each wrapped by the master key,
# which never enters the database.


class DataKey(Base):
    """One version of an organisation's data key, wrapped by the master key.

    ``org`` is the key ring's name for the organisation (its id as text; ``"0"``
    for what belongs to no organisation yet).
    """

    __tablename__ = "data_keys"

    org: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrapped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


from bot.store import confirm_models as _confirm_models  # noqa: E402,F401  (its table)
from bot.store import escalation_models as _escalation_models  # noqa: E402,F401  (its tables)
from bot.store import followup_models as _followup_models  # noqa: E402,F401  (its tables)
from bot.store import lease as _lease  # noqa: E402,F401  (its table)
from bot.store import seen as _seen  # noqa: E402,F401  (its table)
