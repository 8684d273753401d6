"""The SQL store: ``ConversationStore`` and ``KeyValueStore`` on SQLite or PostgreSQL.

This is on the hot path of every message (load, step, save), so it uses a
*sync* engine and SQLAlchemy Core statements built from the ORM tables in
``bot.store.models``, inside one ``engine.begin()`` per call, and never ORM
``merge()`` (measured: ~44 µs for a small save on SQLite against ~920 µs).

The answer log is kept one row per entry. The engine only ever appends to the
log or cuts its tail (``terug``, ``wijzig``), so ``save`` deletes the rows from
the first entry that differs and inserts the new tail, in the same transaction
as the update of the conversation row.

To find that first difference without reading the log back on every save, the
store remembers (bounded, least recently used first out) the log it last
loaded or saved for each conversation, with the conversation's ``revision``.
The update of the conversation row is conditional on that revision; if another
process saved in between, the update matches no row and ``save`` falls back to
comparing against the rows in the database. Entries are compared by identity
(the engine carries unchanged entries over as the same objects), else by their
exact JSON text, never with ``==`` (which holds ``True == 1``). ``load`` reuses
only remembered entries that were themselves read from the database, so it
returns exactly what the database holds (lists, not tuples) and usually reads
just the entries added since.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a committed save survives
a crash of the application, not necessarily a power cut), with foreign keys
enforced and ``secure_delete`` on; after a purge or an erasure ``scrub``
checkpoints and empties the WAL, so what was deleted is gone from the files.
PostgreSQL is reached through psycopg 3 and keeps JSON as JSONB.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from bot.crypto import KeyRing, MasterKey
from bot.crypto.keyring import REFRESH_AFTER
from bot.engine.state import LogEntry, State
from bot.service.audit import audit_entries, record_created, record_deleted
from bot.service.ports import (
    ConversationKey,
    LoadedStep,
    NewRecord,
    RevisionConflictError,
    StepWrite,
    StoredRecord,
)
from bot.store.audit import append_audit_in
from bot.store.models import (
    Answer,
    Base,
    Conversation,
    FlowSnapshot,
    Job,
    Organisation,
    OutboxMessage,
    Record,
    Setting,
)
from bot.store.outage import report_outages
from bot.store.runtime import SqlRuntime, utc
from bot.store.sealing import NO_ORG, Sealer, SqlKeyStore, org_label, sealed_for

T = TypeVar("T")

#: Writes a step's audit entries on the step's connection, inside its transaction
#: (the organisation model's store provides it; see ``SqlStore.audit_writer``).
AuditWriter = Callable[[Connection, Sequence[object]], None]

#: Deletes what a table of another part holds about chats or people, older than
#: the cutoff, on the purge's connection; returns how many rows went.
PurgeHook = Callable[[Connection, datetime], int]


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_conversations = _table(Conversation)
_answers = _table(Answer)
_records = _table(Record)
_snapshots = _table(FlowSnapshot)
_settings = _table(Setting)
_jobs = _table(Job)
_outbox = _table(OutboxMessage)
_orgs = _table(Organisation)

#: ``settings_kv`` names (SQL LIKE patterns) that hold a chat id: the retention
#: purge deletes them when not changed for the retention period. Other
#: settings (a Matrix device id, a sync token) belong to the bot and stay.
PER_CHAT_SETTINGS = ("telegram.group_told.%", "matrix:%:last:%")

#: The columns of an answer row that hold a ``LogEntry``, in ``_entry_row`` order.
_ENTRY_COLUMNS = ("path", "value", "kind", "stack", "at", "extra")
# The hot-path statements, built once: building a statement and its cache key
# costs more than running it on SQLite. Values are passed as parameters; the
# ``k_`` names are the WHERE clauses' (an UPDATE takes its SET columns from the
# other parameter names).
_c, _a = _conversations.c, _answers.c
_by_key = (_c.channel == bindparam("k_channel"), _c.chat == bindparam("k_chat"))
_FIND = select(_c.id, _c.revision, _c.position, _c.org_id).where(*_by_key)
_FIND_FOR_SAVE = select(_c.id, _c.revision, _c.org_id, _c.position).where(*_by_key)
_CREATE = insert(_conversations).returning(_c.id)
_UPDATE = update(_conversations).where(_c.id == bindparam("k_id"))
_UPDATE_IF_UNCHANGED = _UPDATE.where(_c.revision == bindparam("k_revision"))
_LOG_FROM = (
    select(*(_a[name] for name in _ENTRY_COLUMNS))
    .where(_a.conversation_id == bindparam("k_id"), _a.seq >= bindparam("k_first"))
    .order_by(_a.seq)
)
_CUT_FROM = delete(_answers).where(
    _a.conversation_id == bindparam("k_id"), _a.seq >= bindparam("k_first")
)
_APPEND = insert(_answers)
_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(bindparam("k_lock", type_=BigInteger)))

#: Compact, readable (Dutch text stays UTF-8) and strict: NaN and Infinity are
#: not JSON, and PostgreSQL would refuse them, so every backend refuses them.
dump_json = partial(json.dumps, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

#: How many conversations' answer logs are remembered (least recently used out).
#: A conversation in progress costs about 3.3 kB here (bench/rss.py: 4,096 of
#: them grew a bot's memory by 14 MB), so the store stays under ~3.5 MB, while
#: far more conversations than this are rarely active in the same minutes.
DEFAULT_CACHE_SIZE = 1024


def make_engine(url: str | URL) -> Engine:
    """A sync engine for ``url`` (SQLite or PostgreSQL), set up for this store.

    A plain ``postgresql://`` URL uses psycopg 3 (the default driver of
    SQLAlchemy 2.1; named explicitly here so it does not depend on that).
    """
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "postgresql":
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        engine = create_engine(u, json_serializer=dump_json, json_deserializer=json.loads)
        report_outages(engine)
        return engine
    if backend == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            # The default lives in the per-user data directory: make it on first use.
            folder = Path(u.database).expanduser().parent
            if not folder.exists():
                folder.mkdir(mode=0o700, parents=True)
        engine = create_engine(u, json_serializer=dump_json, json_deserializer=json.loads)
        event.listen(engine, "connect", _sqlite_pragmas)
        report_outages(engine)
        return engine
    msg = f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://"
    raise ValueError(msg)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Set on every new SQLite connection (a ``connect`` event listener)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()


@dataclass(frozen=True, slots=True)
class _Known:
    """What the database holds for one conversation, as of ``revision``.

    ``log`` is the answer log as last saved or loaded; its first ``decoded``
    entries are objects read back from the database (so equal to what a load
    would return), the rest are the objects the caller saved. ``org`` is the
    conversation's organisation (as the key ring names it) when last read;
    ``label`` whose key sealed what is stored (None: stored plain).
    """

    id: int
    revision: int
    log: tuple[LogEntry, ...]
    decoded: int
    org: str = NO_ORG
    label: str | None = None


class SqlStore(SqlRuntime):
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
        self._cache_size = cache_size
        self._cache: OrderedDict[ConversationKey, _Known] = OrderedDict()
        self._cache_lock = threading.Lock()
        #: Writes ``StepWrite.audit`` inside the step's transaction (wired at start-up).
        self.audit_writer: AuditWriter | None = _append_audit_entries
        #: Extra tables the retention purge must cover, by name (wired at start-up).
        self.purge_hooks: dict[str, PurgeHook] = {}
        #: The retention the purge's ``before`` was computed from (the shipped
        #: ``organisatie.yaml``); organisations with another one keep theirs.
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
        with self._cache_lock:
            self._cache.clear()

    def forget_cache(self) -> None:
        """Forget every remembered answer log (after rows were deleted behind its back)."""
        with self._cache_lock:
            self._cache.clear()

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
        known = self._remembered(key)
        if known is not None and known.id == conv_id and known.revision == revision:
            log = known.log[: known.decoded]
            if known.decoded < len(known.log):
                log += self._read_log(conn, conv_id, known.decoded, label)
        else:
            log = self._read_log(conn, conv_id, 0, label)
        self._remember(key, _Known(conv_id, revision, log, len(log), org_label(org_id), label))
        state = State.from_json(position)
        return LoadedStep(replace(state, log=log) if log else state, revision)

    # ------------------------------------------------------------ one step, one transaction

    def commit_step(self, write: StepWrite) -> None:
        self._guard_json(write.key, lambda: self._commit_alone(write))

    def _commit_alone(self, write: StepWrite) -> None:
        with self._engine.begin() as conn:
            known = self._commit_in(conn, write)
        if known is not None:
            self._remember(write.key, known)

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
                self._remember(key, known)
            return result

        return self._guard_json(key, locked)

    def _guard_json(self, key: ConversationKey, work: Callable[[], T]) -> T:
        """Run ``work``; a value that is not JSON is reported as ``json.dumps`` would."""
        try:
            return work()
        except StatementError as err:
            self._forget(key)
            if not isinstance(err, DBAPIError) and isinstance(err.orig, TypeError | ValueError):
                raise err.orig from err
            raise
        except BaseException:
            self._forget(key)
            raise

    def _commit_in(self, conn: Connection, write: StepWrite) -> _Known | None:
        """Write ``write`` on ``conn`` (inside its transaction); the new cache entry."""
        key, state = write.key, write.state
        known: _Known | None = None
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
        return known

    def _write_conversation(
        self, conn: Connection, key: ConversationKey, base: int | None, state: State
    ) -> _Known:
        now = datetime.now(UTC)
        if base is None:
            label = self._label(NO_ORG)
            values = self._values(state, label, now)
            try:
                conv_id = conn.execute(
                    _CREATE,
                    {"channel": key.channel, "chat": key.chat, "revision": 0, "created_at": now}
                    | values,
                ).scalar_one()
            except IntegrityError as err:
                raise RevisionConflictError(key) from err
            self._write_tail(conn, conv_id, 0, 0, state.log, label)
            return _Known(conv_id, 0, state.log, 0, NO_ORG, label)
        known = self._remembered(key)
        if known is None or known.revision != base:
            row = conn.execute(
                _FIND_FOR_SAVE, {"k_channel": key.channel, "k_chat": key.chat}
            ).one_or_none()
            if row is None or row.revision != base:
                raise RevisionConflictError(key)
            conv_id, org, stored_label = row.id, org_label(row.org_id), sealed_for(row.position)
            known = None
        else:
            conv_id, org, stored_label = known.id, known.org, known.label
        # Sealed with the key of the organisation the conversation has now: the
        # first save after the access gate gave it one re-seals it all.
        label = self._label(org)
        done = conn.execute(
            _UPDATE_IF_UNCHANGED,
            {
                "k_id": conv_id,
                "k_revision": base,
                "revision": base + 1,
                **self._values(state, label, now),
            },
        )
        if done.rowcount != 1:
            raise RevisionConflictError(key)
        if known is not None:
            same, start = _first_difference(known.log, state.log)
            if label != stored_label:
                start = 0
            self._write_tail(conn, conv_id, len(known.log), start, state.log, label)
            return _Known(conv_id, base + 1, state.log, min(known.decoded, same), org, label)
        self._sync_log(conn, conv_id, state.log, stored_label, label)
        return _Known(conv_id, base + 1, state.log, 0, org, label)

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

    def _insert_record(self, conn: Connection, record: NewRecord) -> str:
        record_id = record.record_id or uuid.uuid4().hex
        org = org_label(record.org_id)
        conn.execute(
            insert(_records).values(
                id=record_id,
                channel=record.key.channel,
                chat=record.key.chat,
                flow_id=record.flow_id,
                flow_version=record.flow_version,
                flow_hash=record.flow_hash,
                case_code=record.case_code,
                answers=self._seal.json(org, "records.answers", dict(record.answers)),
                text=self._seal.text(org, "records.text", record.text),
                created_at=record.created_at.astimezone(UTC),
                step_key=record.step_key,
                org_id=record.org_id,
                person_id=record.person_id,
            )
        )
        return record_id

    def _insert_snapshot(
        self, conn: Connection, book_hash: str, sources: Mapping[str, str]
    ) -> None:
        values = {"book_hash": book_hash, "sources": dict(sources), "created_at": datetime.now(UTC)}
        keys = [_snapshots.c.book_hash]
        statement = (
            postgresql.insert(_snapshots).values(values).on_conflict_do_nothing(index_elements=keys)
            if self._postgres
            else sqlite.insert(_snapshots)
            .values(values)
            .on_conflict_do_nothing(index_elements=keys)
        )
        conn.execute(statement)

    def save(self, key: ConversationKey, state: State) -> None:
        now = datetime.now(UTC)
        try:
            try:
                known = self._save(key, state, now, self._remembered(key))
            except IntegrityError:
                # Another process created this conversation between our look-up
                # and our insert: it exists now, so save over it.
                known = self._save(key, state, now, None)
        except StatementError as err:
            self._forget(key)
            if not isinstance(err, DBAPIError) and isinstance(err.orig, TypeError | ValueError):
                # Raised while turning a value into JSON, before anything was
                # sent: report it as json.dumps does (and MemoryStore does).
                raise err.orig from err
            raise
        self._remember(key, known)

    def _save(
        self,
        key: ConversationKey,
        state: State,
        now: datetime,
        known: _Known | None,
    ) -> _Known:
        with self._engine.begin() as conn:
            if known is not None:
                label = self._label(known.org)
                done = conn.execute(
                    _UPDATE_IF_UNCHANGED,
                    {
                        "k_id": known.id,
                        "k_revision": known.revision,
                        "revision": known.revision + 1,
                        **self._values(state, label, now),
                    },
                )
                if done.rowcount == 1:
                    same, start = _first_difference(known.log, state.log)
                    if label != known.label:
                        start = 0
                    self._write_tail(conn, known.id, len(known.log), start, state.log, label)
                    decoded = min(known.decoded, same)
                    return _Known(
                        known.id, known.revision + 1, state.log, decoded, known.org, label
                    )
            return self._save_uncached(conn, key, state, now)

    def _save_uncached(
        self, conn: Connection, key: ConversationKey, state: State, now: datetime
    ) -> _Known:
        """Save without a remembered log: compare with the rows in the database."""
        query = _FIND_FOR_SAVE.with_for_update() if self._postgres else _FIND_FOR_SAVE
        row = conn.execute(query, {"k_channel": key.channel, "k_chat": key.chat}).one_or_none()
        if row is None:
            label = self._label(NO_ORG)
            conv_id = conn.execute(
                _CREATE,
                {"channel": key.channel, "chat": key.chat, "revision": 0, "created_at": now}
                | self._values(state, label, now),
            ).scalar_one()
            self._write_tail(conn, conv_id, 0, 0, state.log, label)
            return _Known(conv_id, 0, state.log, 0, NO_ORG, label)
        org = org_label(row.org_id)
        label = self._label(org)
        conn.execute(
            _UPDATE,
            {"k_id": row.id, "revision": row.revision + 1, **self._values(state, label, now)},
        )
        self._sync_log(conn, row.id, state.log, sealed_for(row.position), label)
        return _Known(row.id, row.revision + 1, state.log, 0, org, label)

    # ------------------------------------------------------------------ retention

    def purge(self, before: datetime) -> tuple[int, int]:
        counts = self.purge_all(before)
        return counts["conversations"], counts["records"]

    def purge_all(self, before: datetime) -> dict[str, int]:
        """Delete everything older than ``before`` that holds chat or person ids,
        in one transaction; how many rows went, per table (and per purge hook).

        Conversations (with their answers) untouched since then, records made
        before it, settings kept per chat (``PER_CHAT_SETTINGS``) not changed
        since, outbox messages made before it (delivered or not) and finished
        jobs. ``purge_hooks`` cover the tables of other parts.

        An organisation whose settings have a ``bewaartermijn_dagen`` of their
        own (other than ``default_retention_days``, which ``before`` was
        computed from) has its conversations, records and waiting messages
        deleted by its own period instead.
        """
        cutoff = before.astimezone(UTC)
        counts: dict[str, int] = {}
        with self._engine.begin() as conn:
            own = self._own_cutoffs(conn, cutoff)
            c, r, o = _conversations.c, _records.c, _outbox.c
            convs = _by_org(c.org_id, c.updated_at, cutoff, own, text=False)
            counts["conversations"] = conn.execute(delete(_conversations).where(convs)).rowcount
            expiring = _by_org(r.org_id, r.created_at, cutoff, own, text=False)
            owned = conn.execute(
                select(_records.c.id, _records.c.org_id).where(
                    expiring, _records.c.org_id.is_not(None)
                )
            ).all()
            counts["records"] = conn.execute(delete(_records).where(expiring)).rowcount
            now = datetime.now(UTC)
            append_audit_in(conn, [record_deleted(org, rid, now) for rid, org in owned])
            s = _settings.c
            counts["settings_kv"] = conn.execute(
                delete(_settings).where(
                    s.updated_at < cutoff, or_(*(s.name.like(p) for p in PER_CHAT_SETTINGS))
                )
            ).rowcount
            counts["outbox"] = conn.execute(
                delete(_outbox).where(_by_org(o.org_id, o.created_at, cutoff, own, text=True))
            ).rowcount
            counts["jobs"] = conn.execute(
                delete(_jobs).where(_jobs.c.done_at.is_not(None), _jobs.c.done_at < cutoff)
            ).rowcount
            for name, hook in self.purge_hooks.items():
                counts[name] = hook(conn, cutoff)
        with self._cache_lock:
            self._cache.clear()
        if any(counts.values()):
            scrub(self._engine)
        return counts

    def _own_cutoffs(self, conn: Connection, cutoff: datetime) -> dict[int, datetime]:
        """The organisations with a retention period of their own, and their cutoffs."""
        default = self.default_retention_days
        if default is None:
            return {}
        own: dict[int, datetime] = {}
        for org_id, settings in conn.execute(select(_orgs.c.id, _orgs.c.settings)):
            days = (settings or {}).get("bewaartermijn_dagen")
            if isinstance(days, int) and not isinstance(days, bool) and days != default:
                own[org_id] = cutoff + timedelta(days=default - days)
        return own

    # ------------------------------------------------------------------ records

    def add_record(self, record: NewRecord) -> str:
        with self._engine.begin() as conn:
            record_id = self._insert_record(conn, record)
            if record.org_id is not None:
                append_audit_in(conn, [record_created(record, record_id)])
            return record_id

    def records(self, key: ConversationKey) -> list[StoredRecord]:
        r = _records.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    r.id,
                    r.flow_id,
                    r.flow_version,
                    r.flow_hash,
                    r.case_code,
                    r.answers,
                    r.text,
                    r.created_at,
                    r.org_id,
                )
                .where(r.channel == key.channel, r.chat == key.chat)
                .order_by(r.created_at, r.id)
            ).all()
        return [
            StoredRecord(
                id=row.id,
                key=key,
                flow_id=row.flow_id,
                flow_version=row.flow_version,
                flow_hash=row.flow_hash,
                case_code=row.case_code,
                answers=self._seal.open_json(org_label(row.org_id), "records.answers", row.answers),
                text=self._seal.open_text(org_label(row.org_id), "records.text", row.text),
                created_at=utc(row.created_at),
            )
            for row in rows
        ]

    # ---------------------------------------------------------------- snapshots

    def put_flow_snapshot(self, book_hash: str, sources: Mapping[str, str]) -> None:
        """Keep ``sources`` under ``book_hash``; a second put of a hash keeps the first."""
        with self._engine.begin() as conn:
            self._insert_snapshot(conn, book_hash, sources)

    def get_flow_snapshot(self, book_hash: str) -> dict[str, str] | None:
        s = _snapshots.c
        with self._engine.connect() as conn:
            sources = conn.execute(
                select(s.sources).where(s.book_hash == book_hash)
            ).scalar_one_or_none()
        return None if sources is None else dict(sources)

    # ----------------------------------------------------------------- settings

    def get_value(self, name: str) -> str | None:
        s = _settings.c
        with self._engine.connect() as conn:
            value: str | None = conn.execute(
                select(s.value).where(s.name == name)
            ).scalar_one_or_none()
        return value

    def set_value(self, name: str, value: str) -> None:
        now = datetime.now(UTC)
        values = {"name": name, "value": value, "updated_at": now}
        keys = [_settings.c.name]
        changed = {"value": value, "updated_at": now}
        statement = (
            postgresql.insert(_settings)
            .values(values)
            .on_conflict_do_update(index_elements=keys, set_=changed)
            if self._postgres
            else sqlite.insert(_settings)
            .values(values)
            .on_conflict_do_update(index_elements=keys, set_=changed)
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    # ------------------------------------------------------------ the answer log

    def _write_tail(
        self,
        conn: Connection,
        conv_id: int,
        stored: int,
        start: int,
        log: Sequence[LogEntry],
        label: str | None,
    ) -> None:
        """Make rows ``start..`` of the answer log equal to ``log[start:]``, sealed
        with ``label``'s key. ``stored`` is how many rows the database holds now."""
        if start < stored:
            conn.execute(_CUT_FROM, {"k_id": conv_id, "k_first": start})
        if start < len(log):
            conn.execute(
                _APPEND,
                [
                    {
                        "conversation_id": conv_id,
                        "seq": seq,
                        **dict(zip(_ENTRY_COLUMNS, self._seal_row(row, label), strict=True)),
                    }
                    for seq, row in enumerate(map(_entry_row, log[start:]), start)
                ],
            )

    def _sync_log(
        self,
        conn: Connection,
        conv_id: int,
        log: Sequence[LogEntry],
        stored_label: str | None,
        label: str | None,
    ) -> None:
        """Make the stored answer log equal to ``log``, comparing with the rows held
        (all of it rewritten when it is to be sealed with another key)."""
        stored = conn.execute(_LOG_FROM, {"k_id": conv_id, "k_first": 0}).all()
        start = 0
        if stored_label == label:
            for row, entry in zip(stored, log, strict=False):
                # As the database would return it: JSON types, keys as strings.
                wanted = json.loads(dump_json(_entry_row(entry)))
                if not _same_json(list(self._open_row(row, stored_label)), wanted):
                    break
                start += 1
        self._write_tail(conn, conv_id, len(stored), start, log, label)

    def _read_log(
        self, conn: Connection, conv_id: int, first: int, label: str | None
    ) -> tuple[LogEntry, ...]:
        """The answer log of a conversation from entry ``first`` on."""
        rows = conn.execute(_LOG_FROM, {"k_id": conv_id, "k_first": first})
        return tuple(LogEntry.from_json(_entry_json(*self._open_row(row, label))) for row in rows)

    def _seal_row(self, row: tuple[Any, ...], label: str | None) -> tuple[Any, ...]:
        """An answer row (``_ENTRY_COLUMNS``) with its value, stack and extra sealed."""
        if label is None:
            return row
        path, value, kind, stack, at, extra = row
        s = self._seal
        return (
            path,
            s.json(label, "answers.value", value),
            kind,
            s.json(label, "answers.stack", stack),
            at,
            s.json(label, "answers.extra", extra),
        )

    def _open_row(self, row: Any, label: str | None) -> tuple[Any, ...]:
        """An answer row as read, opened (plain rows from before sealing pass)."""
        path, value, kind, stack, at, extra = row
        if label is None:
            return (path, value, kind, stack, at, extra)
        s = self._seal
        return (
            path,
            s.open_json(label, "answers.value", value),
            kind,
            s.open_json(label, "answers.stack", stack),
            at,
            s.open_json(label, "answers.extra", extra),
        )

    # -------------------------------------------------------------------- cache

    def _remembered(self, key: ConversationKey) -> _Known | None:
        with self._cache_lock:
            known = self._cache.get(key)
            if known is not None:
                self._cache.move_to_end(key)
            return known

    def _remember(self, key: ConversationKey, known: _Known) -> None:
        if self._cache_size <= 0:
            return
        with self._cache_lock:
            self._cache[key] = known
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _forget(self, key: ConversationKey) -> None:
        with self._cache_lock:
            self._cache.pop(key, None)


#: The tables whose deleted rows held content (what ``scrub`` vacuums on PostgreSQL).
SCRUBBED_TABLES = (
    "answers",
    "conversations",
    "records",
    "outbox",
    "followup_actions",
    "followup_records",
    "followup_facts",
)


def scrub(engine: Engine) -> None:
    """Make deleted rows gone from the database files, not just unreachable.

    SQLite (``secure_delete`` zeroes them in the database file): a checkpoint
    that copies the WAL into the file and truncates it, so the old page images
    in the WAL go too. PostgreSQL: ``VACUUM FULL`` of the tables that held
    content: it writes each table anew and removes the old files (a plain
    ``VACUUM`` marks the space free but leaves the deleted bytes in place, as the
    byte scan in tests/privacy showed). It locks each small table for a moment;
    purges run once a day and erasures are rare.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in SCRUBBED_TABLES:
            conn.exec_driver_sql(f"VACUUM FULL {table}")


def create_store(
    url: str | URL, *, cache_size: int = DEFAULT_CACHE_SIZE, master: MasterKey | None = None
) -> SqlStore:
    """A ``SqlStore`` on ``url`` (the schema must have been migrated); with ``master``,
    what could identify someone is sealed at rest."""
    return SqlStore(url, cache_size=cache_size, master=master)


def _position(state: State) -> dict[str, Any]:
    """``state.to_json()`` without the log (which lives in the ``answers`` table)."""
    position = replace(state, log=()).to_json() if state.log else state.to_json()
    del position["log"]
    return position


def _by_org(
    org_column: Any,
    time_column: Any,
    cutoff: datetime,
    own: Mapping[int, datetime],
    *,
    text: bool,
) -> Any:
    """Older than ``cutoff``, or than its organisation's own cutoff in ``own``."""

    def older(moment: datetime) -> Any:
        return time_column < moment

    def org(org_id: int) -> Any:
        return org_column == (str(org_id) if text else org_id)

    if not own:
        return older(cutoff)
    others = or_(org_column.is_(None), org_column.not_in([str(i) if text else i for i in own]))
    return or_(and_(others, older(cutoff)), *(and_(org(i), older(t)) for i, t in own.items()))


def _first_difference(old: Sequence[LogEntry], new: Sequence[LogEntry]) -> tuple[int, int]:
    """``(same, start)``: how many leading entries of ``old`` and ``new`` are the
    same objects, and how many would be stored the same way.

    Entries the engine carried over are the same objects, so usually this is
    only identity checks. Others are compared by their JSON text: ``==`` would
    call ``True`` and ``1`` equal, and the database would keep the old one.
    """
    n = min(len(old), len(new))
    same = 0
    while same < n and old[same] is new[same]:
        same += 1
    start = same
    while start < n and (
        old[start] is new[start]
        or dump_json(_entry_row(old[start])) == dump_json(_entry_row(new[start]))
    ):
        start += 1
    return same, start


def conversation_lock_id(key: ConversationKey) -> int:
    """The PostgreSQL advisory lock id of a conversation (a signed 64-bit hash)."""
    digest = hashlib.blake2b(f"{key.channel}\0{key.chat}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON documents: key order aside, but ``true``, ``1`` and ``1.0`` differ
    (PostgreSQL's JSONB returns object keys in an order of its own)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_json(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _entry_row(entry: LogEntry) -> tuple[Any, ...]:
    """A log entry as the values of ``_ENTRY_COLUMNS`` (JSON-ready).

    Fields of ``LogEntry.to_json()`` beyond the first five go to ``extra``, but
    only when not None, so a new optional field costs nothing while unused.
    """
    data = entry.to_json()
    path, value, kind, stack, at = (data.pop(name) for name in _ENTRY_COLUMNS[:5])
    extra = {name: v for name, v in data.items() if v is not None}
    return (path, value, kind, stack, at, extra or None)


def _entry_json(
    path: Any, value: Any, kind: Any, stack: Any, at: Any, extra: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``LogEntry.to_json()`` form of an answer row."""
    data = {"path": path, "value": value, "kind": kind, "stack": stack, "at": at}
    if extra:
        data.update(extra)
    return data


__all__ = ["SqlStore", "create_store", "dump_json", "make_engine"]


def _append_audit_entries(conn: Connection, entries: Sequence[object]) -> None:
    """The default audit writer: the audit log in this database (``bot.store.audit``)."""
    append_audit_in(conn, audit_entries(entries))
