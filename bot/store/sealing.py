"""Encryption at rest inside the SQL store: which columns are sealed, and with which key.

The service hands the store plain values; the store seals what could tell
something about a child or a family before it is written, and opens it when
it is read, so nothing above the store knows about it (``bot.crypto`` does
the cryptography). Sealed, per organisation (its data key, wrapped by the
master key; the key ring's name for an organisation is its id as text, and
``"0"`` for what belongs to none yet):

- a conversation's position (which holds answers kept for ``wijzig``, loop
  variables and a redacted answer) and, per answer-log row, the value, the
  stack and the extra fields; the answer's path, kind and time stay plain;
- a record's text and its map of answers;
- an outbox message's text.

A conversation is sealed as a whole with one organisation's key, named in
its position (``{"sealed_for": "3", "sealed": "enc1…"}``), because a
conversation may be created before the access gate gives it its
organisation; the first save after that re-seals it with that
organisation's key. Values written before sealing existed (plain JSON) still
read. A store without a key ring (``keys=None``) writes plain values, as
before this module; the app always gives one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.crypto import KeyRing, WrappedKey, is_sealed
from bot.store.models import DataKey

_table = DataKey.__table__
assert isinstance(_table, Table)
_keys: Table = _table

#: The key ring's name for data that belongs to no organisation (yet).
NO_ORG = "0"

#: The key in a sealed position naming whose key sealed the conversation.
SEALED_FOR = "sealed_for"
SEALED = "sealed"


def org_label(org_id: int | str | None) -> str:
    """The key ring's name for an organisation id (``"0"`` for none)."""
    return NO_ORG if org_id is None or org_id == "" else str(org_id)


class SqlKeyStore:
    """The key ring's ``KeyStore`` on the ``data_keys`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def wrapped_keys(self, org: str) -> list[WrappedKey]:
        """Every key version of ``org``, oldest first."""
        k = _keys.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(k.org, k.version, k.wrapped).where(k.org == org).order_by(k.version)
            ).all()
        return [WrappedKey(r.org, r.version, r.wrapped) for r in rows]

    def add_wrapped_key(self, key: WrappedKey) -> bool:
        """Keep a new key version; False if another process made that version first."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(_keys).values(
                        org=key.org,
                        version=key.version,
                        wrapped=key.wrapped,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    def all_wrapped_keys(self) -> list[WrappedKey]:
        """Every wrapped key of every organisation."""
        k = _keys.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(k.org, k.version, k.wrapped).order_by(k.org, k.version))
            return [WrappedKey(r.org, r.version, r.wrapped) for r in rows]

    def replace_wrapped_keys(self, keys: list[WrappedKey]) -> None:
        """Replace the wrapped form of these keys, in one transaction."""
        k = _keys.c
        with self._engine.begin() as conn:
            for key in keys:
                conn.execute(
                    update(_keys)
                    .where(k.org == key.org, k.version == key.version)
                    .values(wrapped=key.wrapped)
                )

    def organisations(self) -> list[str]:
        """The names of every organisation that has a data key."""
        k = _keys.c
        with self._engine.connect() as conn:
            return list(conn.execute(select(k.org).distinct().order_by(k.org)).scalars())


class Sealer:
    """Seals and opens the store's values; plain through when there is no key ring."""

    def __init__(self, ring: KeyRing | None, dumps: Callable[[Any], str]) -> None:
        self.ring = ring
        self._dumps = dumps

    @property
    def active(self) -> bool:
        """Whether values are sealed (a key ring was given)."""
        return self.ring is not None

    # ------------------------------------------------------------ text columns

    def text(self, org: str, field: str, plain: str) -> str:
        """``plain`` as it is stored in a text column."""
        return plain if self.ring is None else self.ring.seal(org, field, plain)

    def open_text(self, org: str, field: str, stored: str) -> str:
        """The plain text of a text column (plain text from before sealing passes)."""
        if self.ring is None or not is_sealed(stored):
            return stored
        return self.ring.open(org, field, stored)

    # ------------------------------------------------------------ JSON columns

    def json(self, org: str, field: str, value: Any) -> Any:
        """``value`` as it is stored in a JSON column: a sealed string, or the value."""
        if self.ring is None or value is None:
            return value
        return self.ring.seal(org, field, self._dumps(value))

    def open_json(self, org: str, field: str, stored: Any) -> Any:
        """The value of a JSON column (plain JSON from before sealing passes)."""
        if self.ring is None or not isinstance(stored, str) or not is_sealed(stored):
            return stored
        return json.loads(self.ring.open(org, field, stored))

    def reseal(self, org: str, field: str, stored: Any, *, as_json: bool) -> Any | None:
        """``stored`` sealed with ``org``'s newest key, or None when it already is (or
        is empty, or there is no key ring)."""
        if self.ring is None or stored is None:
            return None
        if isinstance(stored, str) and is_sealed(stored):
            return self.ring.reseal(org, field, stored)
        # Plain from before sealing: seal it now.
        return self.json(org, field, stored) if as_json else self.text(org, field, stored)

    # ------------------------------------------------------------ positions

    def position(self, org: str, position: dict[str, Any]) -> dict[str, Any]:
        """A conversation's position as stored (sealed with ``org``'s key)."""
        if self.ring is None:
            return position
        return {
            SEALED_FOR: org,
            SEALED: self.ring.seal(org, "conversations.position", self._dumps(position)),
        }

    def open_position(self, stored: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The plain position and whose key sealed it (None: stored plain)."""
        if SEALED not in stored:
            return stored, None
        org = str(stored[SEALED_FOR])
        if self.ring is None:
            msg = "this database holds sealed conversations: give the store its master key"
            raise RuntimeError(msg)
        return json.loads(self.ring.open(org, "conversations.position", stored[SEALED])), org


def sealed_for(stored: Any) -> str | None:
    """Whose key sealed a stored position (None: plain)."""
    if isinstance(stored, dict) and SEALED in stored:
        return str(stored[SEALED_FOR])
    return None


def reseal_columns(
    engine: Engine, seal: Sealer, table: Table, columns: Sequence[str], org: str
) -> int:
    """Key rotation for a table of sealed text columns (``bot.store.rekey``): seal the
    values of ``org``'s rows (its ``org_id``) with its newest key — plain ones from
    before sealing too. Each value is sealed for the field ``<table>.<column>``; a row
    is replaced only while it still holds what was read (compare-and-set), so a bot
    writing meanwhile wins. How many rows changed."""
    if org != NO_ORG and not org.isdigit():
        return 0
    c = table.c
    rows_of = c.org_id.is_(None) if org == NO_ORG else c.org_id == int(org)
    with engine.connect() as conn:
        rows = conn.execute(select(c.id, *(c[name] for name in columns)).where(rows_of)).all()
    n = 0
    for row in rows:
        values: dict[str, Any] = {}
        for name in columns:
            new = seal.reseal(org, f"{table.name}.{name}", getattr(row, name), as_json=False)
            if new is not None:
                values[name] = new
        if not values:
            continue
        same = [c[name] == getattr(row, name) for name in values]
        with engine.begin() as conn:
            n += conn.execute(update(table).where(c.id == row.id, *same).values(values)).rowcount
    return n
