"""``SqlPeopleStore``: organisations, people, memberships, codes and the audit log in SQL.

It shares the engine of ``SqlStore`` (same database, same migrations). Every
method is one transaction; a join by code (use the code, make the person,
their identity and membership, write the audit line) is one transaction too,
and a code's use is a conditional ``UPDATE`` so two people can not both take
the last use. Nothing is cached: removing a member ends their access on the
very next message, on every channel and in every process.

The parts: ``bot.store.members`` (organisations, people, roles) and
``bot.store.access_codes`` (codes and counters); here the audit log, the
rights, the retention hooks and which conversation a chat shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from bot.org.model import AuditAction, AuditEntry
from bot.service.people_port import parked_chat
from bot.service.ports import ConversationKey, Sender
from bot.store.access_codes import SqlAccessCodes
from bot.store.audit import append_audit_in
from bot.store.members import seen_in
from bot.store.tables import access_counters as _counters
from bot.store.tables import audit_log as _audit
from bot.store.tables import conversations as _convs
from bot.store.tables import identities as _ids


class SqlPeopleStore(SqlAccessCodes):
    """The ``PeopleStore`` port (``bot.service.access``) on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ------------------------------------------------------------ retention

    def purge_hooks(self) -> dict[str, Callable[[Connection, datetime], int]]:
        """What the retention purge also removes here (``SqlStore.purge_hooks``):
        counters of strangers whose window ended, and the chat a person last
        wrote from when that is older than the retention. People, memberships
        and the audit log stay: they are the organisation's, not a conversation's."""
        return {"access_counters": _purge_counters, "identities.last_chat": _forget_last_chats}

    # ------------------------------------------------------------ audit

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit lines in a transaction of their own (see ``append_audit_in``)."""
        with self._engine.begin() as conn:
            append_audit_in(conn, entries)

    def audit(self, org_id: int, since: datetime | None = None) -> list[AuditEntry]:
        """One organisation's audit log, oldest first."""
        a = _audit.c
        query = select(_audit).where(a.org_id == org_id).order_by(a.at, a.id)
        if since is not None:
            query = query.where(a.at >= since)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            AuditEntry(
                r.org_id,
                AuditAction(r.action),
                r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
                r.actor,
                r.subject,
            )
            for r in rows
        ]

    # ------------------------------------------------------------ rights

    def erase_member(self, person_id: int, now: datetime) -> dict[str, int]:
        """``vergeet mij``: erase everything of this person (``bot.store.rights``)."""
        from bot.store.rights import erase_member_in

        return erase_member_in(self._engine, person_id, now)

    # ------------------------------------------------------------ conversations

    def claim_conversation(self, key: ConversationKey, org_id: int, person_id: int) -> None:
        """Make the conversation at ``key`` the one of this person in this organisation.

        A conversation of someone else (another organisation, another person) is
        parked under another chat name, never shown; this person's own parked
        conversation comes back. A conversation without a person (from before
        organisations, or just created) in the same organisation is adopted.
        """
        with self._engine.begin() as conn:
            _claim_in(conn, key, org_id, person_id)

    def arrived(
        self, sender: Sender, key: ConversationKey, org_id: int, person_id: int, now: datetime
    ) -> None:
        with self._engine.begin() as conn:
            seen_in(conn, sender, key, now)
            _claim_in(conn, key, org_id, person_id)


# Read on every message (``arrived``): built once, like the store's hot statements.
_OWNER = select(_convs.c.id, _convs.c.org_id, _convs.c.person_id).where(
    _convs.c.channel == bindparam("k_channel"), _convs.c.chat == bindparam("k_chat")
)


def _claim_in(conn: Connection, key: ConversationKey, org_id: int, person_id: int) -> None:
    """``claim_conversation`` inside ``conn``'s transaction."""
    c = _convs.c
    row = conn.execute(_OWNER, {"k_channel": key.channel, "k_chat": key.chat}).one_or_none()
    if row is not None:
        if row.org_id == org_id and row.person_id == person_id:
            return
        if row.org_id in (org_id, None) and row.person_id is None:
            conn.execute(
                update(_convs).where(c.id == row.id).values(org_id=org_id, person_id=person_id)
            )
            return
        away = parked_chat(key.chat, row.org_id, row.person_id)
        conn.execute(delete(_convs).where(c.channel == key.channel, c.chat == away))
        conn.execute(
            update(_convs).where(c.id == row.id).values(chat=away, revision=c.revision + 1)
        )
    conn.execute(
        update(_convs)
        .where(c.channel == key.channel, c.chat == parked_chat(key.chat, org_id, person_id))
        .values(chat=key.chat, revision=c.revision + 1)
    )


def _purge_counters(conn: Connection, before: datetime) -> int:
    result = conn.execute(delete(_counters).where(_counters.c.window_start < before))
    return int(result.rowcount or 0)


def _forget_last_chats(conn: Connection, before: datetime) -> int:
    result = conn.execute(
        update(_ids)
        .where(_ids.c.last_chat.is_not(None), _ids.c.last_seen_at < before)
        .values(last_chat=None)
    )
    return int(result.rowcount or 0)
