"""The SQL store: ``ConversationStore`` and ``KeyValueStore`` on SQLite or PostgreSQL.

This is on the hot path of every message (load, step, save), so it uses a
*sync* engine and SQLAlchemy Core statements built from the ORM tables in
``bot.store.models``, inside one ``engine.begin()`` per call, and never ORM
``merge()`` (measured: ~44 µs for a small save on SQLite against ~920 µs).

One step, one transaction: ``run_step`` loads the conversation with its
``revision``, lets the service plan the step, and writes the conversation row
(conditional on the revision it was based on), the answer log's diff
(``bot.store.answer_log``), the records and flow snapshot
(``bot.store.records``) and the audit entries together. What the store
remembers to make that cheap is in ``bot.store.log_cache``; how the engine is
set up in ``bot.store.database``; the purge in ``bot.store.retention``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from bot.crypto import KeyRing, MasterKey
from bot.crypto.keyring import REFRESH_AFTER
from bot.engine.state import LogEntry, State
from bot.service.audit import audit_entries
from bot.service.ports import ConversationKey, LoadedStep, RevisionConflictError, StepWrite
from bot.store.answer_log import AnswerLog, first_difference
from bot.store.answer_log import entry_json as _entry_json
from bot.store.answer_log import entry_row as _entry_row
from bot.store.audit import append_audit_in
from bot.store.database import make_engine, scrub
from bot.store.json_text import dump_json
from bot.store.key_values import SqlKeyValues
from bot.store.log_cache import DEFAULT_CACHE_SIZE, KnownLog, LogCache
from bot.store.records import SqlRecords
from bot.store.retention import PER_CHAT_SETTINGS, PurgeHook, SqlRetention
from bot.store.runtime import SqlRuntime
from bot.store.sealing import NO_ORG, Sealer, SqlKeyStore, org_label, sealed_for
from bot.store.seen import record_delivery_in
from bot.store.tables import conversations

T = TypeVar("T")

#: Writes a step's audit entries on the step's connection, inside its transaction
#: (the organisation model's store provides it; see ``SqlStore.audit_writer``).
AuditWriter = Callable[[Connection, Sequence[object]], None]

# The hot-path statements, built once: building a statement and its cache key
# costs more than running it on SQLite. Values are passed as parameters; the
# ``k_`` names are the WHERE clauses' (an UPDATE takes its SET columns from the
# other parameter names).
_c = conversations.c
_by_key = (_c.channel == bindparam("k_channel"), _c.chat == bindparam("k_chat"))
_FIND = select(_c.id, _c.revision, _c.position, _c.org_id).where(*_by_key)
_FIND_FOR_SAVE = select(_c.id, _c.revision, _c.org_id, _c.position).where(*_by_key)
_CREATE = insert(conversations).returning(_c.id)
_UPDATE = update(conversations).where(_c.id == bindparam("k_id"))
_UPDATE_IF_UNCHANGED = _UPDATE.where(_c.revision == bindparam("k_revision"))
_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(bindparam("k_lock", type_=BigInteger)))


class SqlStore(SqlRecords, SqlKeyValues, SqlRetention, SqlRuntime):
    """``ConversationStore``, ``KeyValueStore``, ``JobStore`` and ``OutboxStore`` on SQL.

    The schema must exist: run ``bot.store.migrate.upgrade(url)`` first.
    ``cache_size`` bounds how many conversations' answer logs are remembered
    to make ``save`` cheap (0 turns that off; correctness does not depend on it).
    With a ``master`` key, answers, positions, records and the outbox are sealed
    per organisation (``bot.store.sealing``); ``key_refresh``: seconds before a
    key rotation by another process is noticed.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        master: MasterKey | None = None,
        key_refresh: float = REFRESH_AFTER,
    ) -> None:
        self._engine = make_engine(url)
        self._postgres = self._engine.dialect.name == "postgresql"
        self.key_store = SqlKeyStore(self._engine)
        self.keys: KeyRing | None = (
            None if master is None else KeyRing(master, self.key_store, refresh_after=key_refresh)
        )
        self._seal = Sealer(self.keys, dump_json)
        self._log = AnswerLog(self._seal)
        self._logs = LogCache(cache_size)
        #: Writes ``StepWrite.audit`` inside the step's transaction (wired at start-up).
        self.audit_writer: AuditWriter | None = _append_audit_entries
        self.purge_hooks: dict[str, PurgeHook] = {}
        self.default_retention_days: int | None = None

    @property
    def sealer(self) -> Sealer:
        """What seals and opens this store's values (``bot.store.rekey`` uses it)."""
        return self._seal

    @property
    def engine(self) -> Engine:
        """The engine this store uses (for migrations, inspection and tests)."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection; the store can not be used afterwards."""
        self._engine.dispose()
        self._logs.clear()

    def reconnect(self) -> None:
        """Close the idle pooled connections; the store stays usable (``ConversationStore``)."""
        self._engine.dispose()

    def forget_cache(self) -> None:
        """Forget every remembered answer log (after rows were deleted behind its back)."""
        self._logs.clear()

    # ------------------------------------------------------------ conversations

    def load(self, key: ConversationKey) -> State | None:
        return self.load_step(key).state

    def load_step(self, key: ConversationKey) -> LoadedStep:
        with self._engine.connect() as conn:
            return self._load_in(conn, key)

    def _load_in(self, conn: Connection, key: ConversationKey) -> LoadedStep:
        row = conn.execute(_FIND, {"k_channel": key.channel, "k_chat": key.chat}).one_or_none()
        if row is None:
            return LoadedStep(None, None)
        conv_id, revision, stored, org_id = row
        position, label = self._seal.open_position(stored)
        known = self._logs.get(key)
        if known is not None and known.id == conv_id and known.revision == revision:
            log = known.log[: known.decoded]
            if known.decoded < len(known.log):
                log += self._log.read(conn, conv_id, known.decoded, label)
        else:
            log = self._log.read(conn, conv_id, 0, label)
        self._logs.put(key, KnownLog(conv_id, revision, log, len(log), org_label(org_id), label))
        state = State.from_json(position)
        return LoadedStep(replace(state, log=log) if log else state, revision)

    # ------------------------------------------------------------ one step, one transaction

    def commit_step(self, write: StepWrite) -> None:
        self._guard_json(write.key, lambda: self._commit_alone(write))

    def _commit_alone(self, write: StepWrite) -> None:
        with self._engine.begin() as conn:
            known = self._commit_in(conn, write)
        if known is not None:
            self._logs.put(write.key, known)

    def run_step(
        self, key: ConversationKey, plan: Callable[[LoadedStep], tuple[StepWrite, T]]
    ) -> T:
        if not self._postgres:
            # SQLite: one writer at a time anyway; the revision check in the
            # commit catches another process that saved in between.
            write, result = plan(self.load_step(key))
            self.commit_step(write)
            return result

        def locked() -> T:
            with self._engine.begin() as conn:
                # Held until this transaction ends: the same chat's next message,
                # in this process or another, waits here instead of racing.
                conn.execute(_ADVISORY_LOCK, {"k_lock": conversation_lock_id(key)})
                write, result = plan(self._load_in(conn, key))
                known = self._commit_in(conn, write)
            if known is not None:
                self._logs.put(key, known)
            return result

        return self._guard_json(key, locked)

    def _guard_json(self, key: ConversationKey, work: Callable[[], T]) -> T:
        """Run ``work``; a value that is not JSON is reported as ``json.dumps`` would
        (it was raised while turning a value into JSON, before anything was sent,
        and ``MemoryStore`` reports it so too)."""
        try:
            return work()
        except StatementError as err:
            self._logs.forget(key)
            if not isinstance(err, DBAPIError) and isinstance(err.orig, TypeError | ValueError):
                raise err.orig from err
            raise
        except BaseException:
            self._logs.forget(key)
            raise

    def _commit_in(self, conn: Connection, write: StepWrite) -> KnownLog | None:
        """Write ``write`` on ``conn`` (inside its transaction); the new cache entry."""
        key, state = write.key, write.state
        known: KnownLog | None = None
        if state is not None:
            known = self._write_conversation(conn, key, write.base_revision, state)
        elif write.records:
            msg = "a step that makes a record must save the conversation too"
            raise ValueError(msg)
        else:
            # Nothing to save, but the replies were made from what was loaded:
            # they are only right if nobody saved since.
            row = conn.execute(
                _FIND_FOR_SAVE, {"k_channel": key.channel, "k_chat": key.chat}
            ).one_or_none()
            if (None if row is None else row.revision) != write.base_revision:
                raise RevisionConflictError(key)
        for record in write.records:
            self._insert_record(conn, record)
        if write.snapshot is not None:
            self._insert_snapshot(conn, *write.snapshot)
        if write.audit:
            if self.audit_writer is None:
                msg = "audit entries given, but no audit writer is wired to this store"
                raise RuntimeError(msg)
            self.audit_writer(conn, write.audit)
        if write.delivery is not None:  # last: see record_delivery_in
            record_delivery_in(conn, write.delivery, datetime.now(UTC))
        return known

    def _write_conversation(
        self, conn: Connection, key: ConversationKey, base: int | None, state: State
    ) -> KnownLog:
        now = datetime.now(UTC)
        if base is None:
            try:
                return self._create(conn, key, state, now)
            except IntegrityError as err:
                raise RevisionConflictError(key) from err
        known = self._logs.get(key)
        if known is not None and known.revision == base:
            # Sealed with the key of the organisation the conversation has now: the
            # first save after the access gate gave it one re-seals it all.
            label = self._label(known.org)
            if not self._update_if_unchanged(conn, known.id, base, state, label, now):
                raise RevisionConflictError(key)
            return self._write_diff(conn, known, state.log, label)
        row = conn.execute(
            _FIND_FOR_SAVE, {"k_channel": key.channel, "k_chat": key.chat}
        ).one_or_none()
        if row is None or row.revision != base:
            raise RevisionConflictError(key)
        org = org_label(row.org_id)
        label = self._label(org)
        if not self._update_if_unchanged(conn, row.id, base, state, label, now):
            raise RevisionConflictError(key)
        self._log.sync(conn, row.id, state.log, sealed_for(row.position), label)
        return KnownLog(row.id, base + 1, state.log, 0, org, label)

    def _create(
        self, conn: Connection, key: ConversationKey, state: State, now: datetime
    ) -> KnownLog:
        """Insert a new conversation row with its answer log (no organisation yet)."""
        label = self._label(NO_ORG)
        conv_id = conn.execute(
            _CREATE,
            {"channel": key.channel, "chat": key.chat, "revision": 0, "created_at": now}
            | self._values(state, label, now),
        ).scalar_one()
        self._log.write_tail(conn, conv_id, 0, 0, state.log, label)
        return KnownLog(conv_id, 0, state.log, 0, NO_ORG, label)

    def _update_if_unchanged(
        self,
        conn: Connection,
        conv_id: int,
        base: int,
        state: State,
        label: str | None,
        now: datetime,
    ) -> bool:
        """Update the conversation row to revision ``base + 1`` if it is still at
        ``base``; whether it was."""
        done = conn.execute(
            _UPDATE_IF_UNCHANGED,
            {
                "k_id": conv_id,
                "k_revision": base,
                "revision": base + 1,
                **self._values(state, label, now),
            },
        )
        return bool(done.rowcount == 1)

    def _write_diff(
        self, conn: Connection, known: KnownLog, log: tuple[LogEntry, ...], label: str | None
    ) -> KnownLog:
        """After the row went from ``known.revision`` up by one: write the part of
        ``log`` that differs from the remembered one (all of it for another key)."""
        same, start = first_difference(known.log, log)
        if label != known.label:
            start = 0
        self._log.write_tail(conn, known.id, len(known.log), start, log, label)
        decoded = min(known.decoded, same)
        return KnownLog(known.id, known.revision + 1, log, decoded, known.org, label)

    def _label(self, org: str) -> str | None:
        """Whose key seals a conversation of ``org`` (None: this store seals nothing)."""
        return org if self._seal.active else None

    def _values(self, state: State, label: str | None, now: datetime) -> dict[str, Any]:
        """The conversation row's columns for ``state`` (the position sealed)."""
        position = _position(state)
        return {
            "mode": state.mode.value,
            "flow_id": state.flow,
            "book_hash": state.book,
            "position": position if label is None else self._seal.position(label, position),
            "updated_at": now,
        }

    def save(self, key: ConversationKey, state: State) -> None:
        """Save ``state`` whatever revision the conversation is at (no step)."""

        def saved() -> KnownLog:
            try:
                return self._save(key, state, self._logs.get(key))
            except IntegrityError:
                # Another process created this conversation between our look-up
                # and our insert: it exists now, so save over it.
                return self._save(key, state, None)

        self._logs.put(key, self._guard_json(key, saved))

    def _save(self, key: ConversationKey, state: State, known: KnownLog | None) -> KnownLog:
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            if known is not None:
                label = self._label(known.org)
                if self._update_if_unchanged(conn, known.id, known.revision, state, label, now):
                    return self._write_diff(conn, known, state.log, label)
            # Without a remembered log: compare with the rows in the database.
            query = _FIND_FOR_SAVE.with_for_update() if self._postgres else _FIND_FOR_SAVE
            row = conn.execute(query, {"k_channel": key.channel, "k_chat": key.chat}).one_or_none()
            if row is None:
                return self._create(conn, key, state, now)
            org = org_label(row.org_id)
            label = self._label(org)
            conn.execute(
                _UPDATE,
                {"k_id": row.id, "revision": row.revision + 1, **self._values(state, label, now)},
            )
            self._log.sync(conn, row.id, state.log, sealed_for(row.position), label)
            return KnownLog(row.id, row.revision + 1, state.log, 0, org, label)


def create_store(
    url: str | URL, *, cache_size: int = DEFAULT_CACHE_SIZE, master: MasterKey | None = None
) -> SqlStore:
    """A ``SqlStore`` on ``url`` (the schema must have been migrated); with ``master``,
    what could identify someone is sealed at rest."""
    return SqlStore(url, cache_size=cache_size, master=master)


def conversation_lock_id(key: ConversationKey) -> int:
    """The PostgreSQL advisory lock id of a conversation (a signed 64-bit hash)."""
    digest = hashlib.blake2b(f"{key.channel}\0{key.chat}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _position(state: State) -> dict[str, Any]:
    """``state.to_json()`` without the log (which lives in the ``answers`` table)."""
    position = replace(state, log=()).to_json() if state.log else state.to_json()
    del position["log"]
    return position


def _append_audit_entries(conn: Connection, entries: Sequence[object]) -> None:
    """The default audit writer: the audit log in this database (``bot.store.audit``)."""
    append_audit_in(conn, audit_entries(entries))


__all__ = [
    "PER_CHAT_SETTINGS",
    "AuditWriter",
    "PurgeHook",
    "SqlStore",
    "_entry_json",
    "_entry_row",
    "conversation_lock_id",
    "create_store",
    "dump_json",
    "make_engine",
    "scrub",
]
