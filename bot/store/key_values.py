"""Small named values in SQL (``settings_kv``): the ``KeyValueStore`` port.

Channels keep what they must remember between runs here (a Matrix device id
and sync token, which Telegram groups were told something). Each value has
the time it was last set, so the retention purge can delete the per-chat ones.
A mixin of ``SqlStore``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from bot.store.database import insert_on_conflict
from bot.store.tables import settings_kv


class SqlKeyValues:
    """``get_value`` and ``set_value`` over ``self._engine`` (mixed into ``SqlStore``)."""

    _engine: Engine
    _postgres: bool

    def get_value(self, name: str) -> str | None:
        s = settings_kv.c
        with self._engine.connect() as conn:
            value: str | None = conn.execute(
                select(s.value).where(s.name == name)
            ).scalar_one_or_none()
        return value

    def set_value(self, name: str, value: str) -> None:
        now = datetime.now(UTC)
        changed = {"value": value, "updated_at": now}
        statement = (
            insert_on_conflict(self._postgres, settings_kv)
            .values({"name": name, **changed})
            .on_conflict_do_update(index_elements=[settings_kv.c.name], set_=changed)
        )
        with self._engine.begin() as conn:
            conn.execute(statement)
