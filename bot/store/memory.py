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
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial

from bot.engine.state import State
from bot.org.model import AuditEntry
from bot.service.audit import record_created
from bot.service.ports import ConversationKey, NewRecord, StoredRecord

# The same strictness as the SQL store's JSON columns (bot.store.sql.dump_json).
_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class MemoryStore:
    """``ConversationStore`` and ``KeyValueStore`` in a process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[ConversationKey, str] = {}
        self._touched: dict[ConversationKey, datetime] = {}
        self._records: dict[str, tuple[ConversationKey, str]] = {}
        self._snapshots: dict[str, str] = {}
        self._values: dict[str, str] = {}
        #: Where a record's audit line goes (``MemoryPeopleStore`` sets it), as
        #: ``SqlStore.add_record`` writes it in the same transaction.
        self.audit_sink: Callable[[Sequence[AuditEntry]], None] | None = None

    # ------------------------------------------------------------ conversations

    def load(self, key: ConversationKey) -> State | None:
        with self._lock:
            text = self._states.get(key)
        return None if text is None else State.from_json(json.loads(text))

    def save(self, key: ConversationKey, state: State) -> None:
        text = _dumps(state.to_json())
        with self._lock:
            self._states[key] = text
            self._touched[key] = datetime.now(UTC)

    # ------------------------------------------------------------------ retention

    def purge(self, before: datetime) -> tuple[int, int]:
        cutoff = before.astimezone(UTC)
        with self._lock:
            old = [k for k, t in self._touched.items() if t < cutoff]
            for key in old:
                del self._states[key], self._touched[key]
            expired = [
                rid
                for rid, (_, text) in self._records.items()
                if json.loads(text)["created_at"] < cutoff.isoformat()
            ]
            for rid in expired:
                del self._records[rid]
        return len(old), len(expired)

    # ------------------------------------------------------------------ records

    def add_record(self, record: NewRecord) -> str:
        record_id = uuid.uuid4().hex
        text = _dumps(
            {
                "flow_id": record.flow_id,
                "flow_version": record.flow_version,
                "flow_hash": record.flow_hash,
                "case_code": record.case_code,
                "answers": dict(record.answers),
                "text": record.text,
                "created_at": record.created_at,
            }
        )
        with self._lock:
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
        created_at=str(data["created_at"]),
    )


def move_conversation(store: MemoryStore, old: ConversationKey, new: ConversationKey) -> bool:
    """Move a conversation to another key (the people twin parks conversations so)."""
    with store._lock:
        if old not in store._states:
            return False
        store._states[new] = store._states.pop(old)
        store._touched[new] = store._touched.pop(old)
        return True


def has_conversation(store: MemoryStore, key: ConversationKey) -> bool:
    with store._lock:
        return key in store._states
