"""The answer log in the ``answers`` table: one row per entry, written as a diff.

The engine only ever appends to the log or cuts its tail (``terug``,
``wijzig``), so a save deletes the rows from the first entry that differs and
inserts the new tail, in the transaction of the conversation row's update.
Entries are compared by identity (the engine carries unchanged entries over
as the same objects), else by their exact JSON text, never with ``==``
(which holds ``True == 1``). Each row's value, stack and extra fields are
sealed with the key of the conversation's organisation (``bot.store.sealing``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from bot.engine.state import LogEntry
from bot.store.json_text import dump_json
from bot.store.sealing import Sealer
from bot.store.tables import answers

#: The columns of an answer row that hold a ``LogEntry``, in ``entry_row`` order.
ENTRY_COLUMNS = ("path", "value", "kind", "stack", "at", "extra")

# Built once (building a statement costs more than running it on SQLite); the
# ``k_`` names are the WHERE clauses' parameters.
_a = answers.c
_LOG_FROM = (
    select(*(_a[name] for name in ENTRY_COLUMNS))
    .where(_a.conversation_id == bindparam("k_id"), _a.seq >= bindparam("k_first"))
    .order_by(_a.seq)
)
_CUT_FROM = delete(answers).where(
    _a.conversation_id == bindparam("k_id"), _a.seq >= bindparam("k_first")
)
_APPEND = insert(answers)


class AnswerLog:
    """Reads and writes conversations' answer logs, sealed by ``seal``."""

    def __init__(self, seal: Sealer) -> None:
        self._seal = seal

    def write_tail(
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
                        **dict(zip(ENTRY_COLUMNS, self._seal_row(row, label), strict=True)),
                    }
                    for seq, row in enumerate(map(entry_row, log[start:]), start)
                ],
            )

    def sync(
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
                wanted = json.loads(dump_json(entry_row(entry)))
                if not same_json(list(self._open_row(row, stored_label)), wanted):
                    break
                start += 1
        self.write_tail(conn, conv_id, len(stored), start, log, label)

    def read(
        self, conn: Connection, conv_id: int, first: int, label: str | None
    ) -> tuple[LogEntry, ...]:
        """The answer log of a conversation from entry ``first`` on."""
        rows = conn.execute(_LOG_FROM, {"k_id": conv_id, "k_first": first})
        return tuple(LogEntry.from_json(entry_json(*self._open_row(row, label))) for row in rows)

    def _seal_row(self, row: tuple[Any, ...], label: str | None) -> tuple[Any, ...]:
        """An answer row (``ENTRY_COLUMNS``) with its value, stack and extra sealed."""
        return row if label is None else _each_sealed(row, label, self._seal.json)

    def _open_row(self, row: Any, label: str | None) -> tuple[Any, ...]:
        """An answer row as read, opened (plain rows from before sealing pass)."""
        return tuple(row) if label is None else _each_sealed(row, label, self._seal.open_json)


def _each_sealed(
    row: Sequence[Any], label: str, change: Callable[[str, str, Any], Any]
) -> tuple[Any, ...]:
    """``row`` with ``change(label, field, value)`` applied to the sealed columns
    (value, stack, extra); the path, kind and time stay as they are."""
    path, value, kind, stack, at, extra = row
    return (
        path,
        change(label, "answers.value", value),
        kind,
        change(label, "answers.stack", stack),
        at,
        change(label, "answers.extra", extra),
    )


def first_difference(old: Sequence[LogEntry], new: Sequence[LogEntry]) -> tuple[int, int]:
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
        or dump_json(entry_row(old[start])) == dump_json(entry_row(new[start]))
    ):
        start += 1
    return same, start


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON documents: key order aside, but ``true``, ``1`` and ``1.0`` differ
    (PostgreSQL's JSONB returns object keys in an order of its own)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def entry_row(entry: LogEntry) -> tuple[Any, ...]:
    """A log entry as the values of ``ENTRY_COLUMNS`` (JSON-ready).

    Fields of ``LogEntry.to_json()`` beyond the first five go to ``extra``, but
    only when not None, so a new optional field costs nothing while unused.
    """
    data = entry.to_json()
    path, value, kind, stack, at = (data.pop(name) for name in ENTRY_COLUMNS[:5])
    extra = {name: v for name, v in data.items() if v is not None}
    return (path, value, kind, stack, at, extra or None)


def entry_json(
    path: Any, value: Any, kind: Any, stack: Any, at: Any, extra: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``LogEntry.to_json()`` form of an answer row."""
    data = {"path": path, "value": value, "kind": kind, "stack": stack, "at": at}
    if extra:
        data.update(extra)
    return data
