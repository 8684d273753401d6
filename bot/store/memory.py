"""``MemoryStore``: the in-memory twin of the SQL store, for tests and the console.

It keeps everything as JSON text (``json.dumps`` on the way in, ``json.loads``
on the way out), so a state or record that the database could not hold fails
here too: an unserialisable value raises ``TypeError``, NaN raises
``ValueError``, and a tuple comes back as a list. It imports no SQLAlchemy, so
tests of the service stay fast and the contract tests hold both stores to the
same behaviour.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import TypeVar

from bot.engine.state import State
from bot.org.model import AuditEntry
from bot.service.audit import record_created, record_deleted
from bot.service.ports import (
    ConversationKey,
    DeliveryKey,
    DuplicateDeliveryError,
    LoadedStep,
    NewRecord,
    RevisionConflictError,
    StepWrite,
    StoredRecord,
)
from bot.store.json_text import dump_json as _dumps
from bot.store.memory_runtime import MemoryRuntime

T = TypeVar("T")

# ``bot.store.sql.PER_CHAT_SETTINGS`` as shell patterns (this module imports no SQLAlchemy).
_PER_CHAT_SETTINGS = ("telegram.group_told.*", "matrix:*:last:*")


class MemoryStore(MemoryRuntime):
    """``ConversationStore``, ``KeyValueStore``, ``JobStore`` and ``OutboxStore`` in memory."""

    def __init__(self) -> None:
        super().__init__()
        self._states: dict[ConversationKey, str] = {}
        self._touched: dict[ConversationKey, datetime] = {}
        self._records: dict[str, tuple[ConversationKey, str]] = {}
        self._snapshots: dict[str, str] = {}
        self._values: dict[str, str] = {}
        #: Where a record's audit line goes (``MemoryPeopleStore`` sets it), as
        #: ``SqlStore.add_record`` writes it in the same transaction.
        self.audit_sink: Callable[[Sequence[AuditEntry]], None] | None = None
        self._value_times: dict[str, datetime] = {}
        self._revisions: dict[ConversationKey, int] = {}
        self._step_keys: dict[tuple[ConversationKey, str], str] = {}
        #: Deliveries recorded by steps (``StepWrite.delivery``) or after handling
        #: (``MemoryDeliveryLedger``), as the SQL store's ``seen_updates``.
        self.deliveries: set[DeliveryKey] = set()
        #: Writes ``StepWrite.audit`` inside a step (wired at start-up); it is
        #: called before anything of the step is applied, so if it raises,
        #: nothing of the step is kept.
        self.audit_writer: Callable[[Sequence[object]], None] | None = None
        #: Extra purges of other parts' data (wired at start-up), by name.
        self.purge_hooks: dict[str, Callable[[datetime], int]] = {}
        #: What other parts erase of a person at ``vergeet mij`` (wired at start-up),
        #: by name, as ``bot.store.rights.erase_member_in`` does in SQL: ``actions``
        #: (follow-up), ``confirmations``, ``escalations``. Each returns how many rows.
        self.erase_hooks: dict[str, Callable[[int], int]] = {}

    # ------------------------------------------------------------ conversations

    def load(self, key: ConversationKey) -> State | None:
        return self.load_step(key).state

    def reconnect(self) -> None:
        """Nothing to let go of: there are no connections (``ConversationStore``)."""

    def load_step(self, key: ConversationKey) -> LoadedStep:
        with self._lock:
            text = self._states.get(key)
            revision = self._revisions.get(key)
        if text is None:
            return LoadedStep(None, None)
        return LoadedStep(State.from_json(json.loads(text)), revision)

    def save(self, key: ConversationKey, state: State) -> None:
        text = _dumps(state.to_json())
        with self._lock:
            self._states[key] = text
            self._touched[key] = datetime.now(UTC)
            self._revisions[key] = self._revisions.get(key, -1) + 1

    # ------------------------------------------------------------ one step, one transaction

    def commit_step(self, write: StepWrite) -> None:
        # Everything is turned into JSON text first (which may raise); then,
        # under the lock, checked (which may raise); then applied (which can not).
        key = write.key
        state_text = None if write.state is None else _dumps(write.state.to_json())
        if state_text is None and write.records:
            msg = "a step that makes a record must save the conversation too"
            raise ValueError(msg)
        records = [
            (record.record_id or uuid.uuid4().hex, record.step_key, _record_text(record))
            for record in write.records
        ]
        snapshot = (
            None if write.snapshot is None else (write.snapshot[0], _dumps(dict(write.snapshot[1])))
        )
        delivery = write.delivery
        with self._lock:
            if delivery is not None and delivery in self.deliveries:
                raise DuplicateDeliveryError(delivery)
            if self._revisions.get(key) != write.base_revision:
                raise RevisionConflictError(key)
            for record_id, step_key, _ in records:
                if record_id in self._records or (
                    step_key is not None and (key, step_key) in self._step_keys
                ):
                    msg = f"record {record_id} ({step_key}) exists already"
                    raise ValueError(msg)
            if write.audit:
                if self.audit_writer is None:
                    msg = "audit entries given, but no audit writer is wired to this store"
                    raise RuntimeError(msg)
                self.audit_writer(write.audit)
            if state_text is not None:
                self._states[key] = state_text
                self._touched[key] = datetime.now(UTC)
                base = write.base_revision
                self._revisions[key] = 0 if base is None else base + 1
            for record_id, step_key, text in records:
                self._records[record_id] = (key, text)
                if step_key is not None:
                    self._step_keys[(key, step_key)] = record_id
            if snapshot is not None:
                self._snapshots.setdefault(*snapshot)
            if delivery is not None:
                self.deliveries.add(delivery)

    def run_step(
        self, key: ConversationKey, plan: Callable[[LoadedStep], tuple[StepWrite, T]]
    ) -> T:
        write, result = plan(self.load_step(key))
        self.commit_step(write)
        return result

    # ------------------------------------------------------------------ retention

    def purge(self, before: datetime) -> tuple[int, int]:
        counts = self.purge_all(before)
        return counts["conversations"], counts["records"]

    def purge_all(self, before: datetime) -> dict[str, int]:
        """What ``SqlStore.purge_all`` deletes, with the same counts."""
        cutoff = before.astimezone(UTC)
        with self._lock:
            old = [k for k, t in self._touched.items() if t < cutoff]
            for key in old:
                del self._states[key], self._touched[key]
                self._revisions.pop(key, None)
            expired = [
                rid
                for rid, (_, text) in self._records.items()
                if datetime.fromisoformat(json.loads(text)["created_at"]) < cutoff
            ]
            deleted = []
            for rid in expired:
                org_id = json.loads(self._records.pop(rid)[1]).get("org_id")
                if isinstance(org_id, int):
                    deleted.append(record_deleted(org_id, rid, datetime.now(UTC)))
            self._step_keys = {k: rid for k, rid in self._step_keys.items() if rid in self._records}
            settings = [
                name
                for name, t in self._value_times.items()
                if t < cutoff and any(fnmatchcase(name, p) for p in _PER_CHAT_SETTINGS)
            ]
            for name in settings:
                del self._values[name], self._value_times[name]
            counts = {
                "conversations": len(old),
                "records": len(expired),
                "settings_kv": len(settings),
            }
            counts |= self._purge_runtime(cutoff)
        if deleted and self.audit_sink is not None:
            self.audit_sink(deleted)
        for name, hook in self.purge_hooks.items():
            counts[name] = hook(cutoff)
        return counts

    # ------------------------------------------------------------------ records

    def add_record(self, record: NewRecord) -> str:
        record_id = record.record_id or uuid.uuid4().hex
        text = _record_text(record)
        with self._lock:
            if record.step_key is not None:
                if (record.key, record.step_key) in self._step_keys:
                    msg = f"a record for step {record.step_key} exists already"
                    raise ValueError(msg)
                self._step_keys[(record.key, record.step_key)] = record_id
            self._records[record_id] = (record.key, text)
        if record.org_id is not None and self.audit_sink is not None:
            self.audit_sink([record_created(record, record_id)])
        return record_id

    def records(self, key: ConversationKey) -> list[StoredRecord]:
        with self._lock:
            mine = [(rid, text) for rid, (k, text) in self._records.items() if k == key]
        found = [_stored(rid, key, json.loads(text)) for rid, text in mine]
        # The SQL store's order: oldest first, ties broken by id.
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def erase_person(self, keys: Sequence[ConversationKey], person_id: int) -> dict[str, int]:
        """``vergeet mij`` (with ``MemoryPeopleStore.erase_member``): the conversations
        at ``keys``, every record and waiting message of ``person_id``, and what the
        :attr:`erase_hooks` erase of them."""
        with self._lock:
            gone = [k for k in keys if k in self._states]
            for key in gone:
                del self._states[key]
                self._touched.pop(key, None)
                self._revisions.pop(key, None)
            records = [
                rid
                for rid, (_, text) in self._records.items()
                if json.loads(text).get("person_id") == person_id
            ]
            for rid in records:
                del self._records[rid]
            self._step_keys = {k: rid for k, rid in self._step_keys.items() if rid in self._records}
            messages = [i for i, m in self._outbox.items() if m.person_id == str(person_id)]
            for i in messages:
                del self._outbox[i]
        erased = {name: hook(person_id) for name, hook in self.erase_hooks.items()}
        return {
            "conversations": len(gone),
            "records": len(records),
            "outbox": len(messages),
            "actions": erased.get("actions", 0),  # counted as the SQL store counts them
        }

    # ---------------------------------------------------------------- snapshots

    def put_flow_snapshot(self, book_hash: str, sources: Mapping[str, str]) -> None:
        """Keep ``sources`` under ``book_hash``; a second put of a hash keeps the first."""
        text = _dumps(dict(sources))
        with self._lock:
            self._snapshots.setdefault(book_hash, text)

    def get_flow_snapshot(self, book_hash: str) -> dict[str, str] | None:
        with self._lock:
            text = self._snapshots.get(book_hash)
        if text is None:
            return None
        sources: dict[str, str] = json.loads(text)
        return sources

    # ----------------------------------------------------------------- settings

    def get_value(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def set_value(self, name: str, value: str) -> None:
        with self._lock:
            self._values[name] = value
            self._value_times[name] = datetime.now(UTC)


def _record_text(record: NewRecord) -> str:
    return _dumps(
        {
            "flow_id": record.flow_id,
            "flow_version": record.flow_version,
            "flow_hash": record.flow_hash,
            "case_code": record.case_code,
            "answers": dict(record.answers),
            "text": record.text,
            "created_at": record.created_at.astimezone(UTC).isoformat(),
            "org_id": record.org_id,
            "person_id": record.person_id,
        }
    )


def _stored(record_id: str, key: ConversationKey, data: dict[str, object]) -> StoredRecord:
    answers = data["answers"]
    assert isinstance(answers, dict)
    return StoredRecord(
        id=record_id,
        key=key,
        flow_id=str(data["flow_id"]),
        flow_version=str(data["flow_version"]),
        flow_hash=str(data["flow_hash"]),
        case_code=None if data["case_code"] is None else str(data["case_code"]),
        answers=answers,
        text=str(data["text"]),
        created_at=datetime.fromisoformat(str(data["created_at"])),
    )


def move_conversation(store: MemoryStore, old: ConversationKey, new: ConversationKey) -> bool:
    """Move a conversation to another key (the people twin parks conversations so)."""
    with store._lock:
        if old not in store._states:
            return False
        store._states[new] = store._states.pop(old)
        store._touched[new] = store._touched.pop(old)
        # As in the SQL store: the moved row's revision goes up, so a save
        # based on it before the move is refused; the old key starts afresh.
        store._revisions[new] = store._revisions.pop(old, -1) + 1
        return True


def has_conversation(store: MemoryStore, key: ConversationKey) -> bool:
    with store._lock:
        return key in store._states


class MemoryDeliveryLedger:
    """``DeliveryLedger`` over a ``MemoryStore``'s deliveries (the twin of
    ``bot.store.seen.SqlUpdateLedger``)."""

    def __init__(self, store: MemoryStore, channel: str) -> None:
        self._store = store
        self._channel = channel

    @property
    def channel(self) -> str:
        return self._channel

    def recorded(self, delivery: DeliveryKey) -> bool:
        with self._store._lock:
            return delivery in self._store.deliveries

    def record(self, delivery: DeliveryKey) -> None:
        with self._store._lock:
            self._store.deliveries.add(delivery)
