"""The claim of a due reminder: one rule for the SQL stores and their in-memory twins.

A reminder goes out once: the sender claims it by raising ``reminded`` from the
count it read, while the row is still in the state that wants reminding; the
claim clears ``remind_at``. Two processes that read the same count cannot both
win. The follow-up's actions and the confirmation requests are claimed so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import Engine, Table, update


def claim_reminder_row(
    engine: Engine, table: Table, row_id: int, state: str, reminded: int
) -> bool:
    """Claim the reminder of row ``row_id`` of ``table`` (a conditional ``UPDATE``)."""
    c = table.c
    with engine.begin() as conn:
        done = conn.execute(
            update(table)
            .where(c.id == row_id, c.reminded == reminded, c.state == state)
            .values(reminded=reminded + 1, remind_at=None)
        )
        return done.rowcount == 1


class _Reminded(Protocol):
    """A kept row with a reminder (a frozen dataclass: ``Action``, ``Confirmation``)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def state(self) -> str: ...

    @property
    def reminded(self) -> int: ...


_Row = TypeVar("_Row", bound=_Reminded)


def claim_reminder_in(rows: dict[int, _Row], row_id: int, state: str, reminded: int) -> bool:
    """The same claim on an in-memory store's rows (hold the store's lock)."""
    row = rows.get(row_id)
    if row is None or row.state != state or row.reminded != reminded:
        return False
    rows[row_id] = replace(row, reminded=reminded + 1, remind_at=None)
    return True
