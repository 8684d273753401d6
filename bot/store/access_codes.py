"""Joining by code, and the counters that limit wrong codes, in SQL (part of ``SqlPeopleStore``).

A code is stored by its hash only. Using it is one transaction: a conditional
``UPDATE`` takes one use (so two people can not both take the last one),
then the person, their identity and membership are made (an invitation) or
this channel is added to the person who asked for it (``koppel``), with the
audit lines. The counters (wrong codes per sender, a stranger's refusals)
are kept per time window under a hash of the sender.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.org.codes import Code, CodeKind
from bot.org.model import Person, Role
from bot.service.people_port import Grant, Redeemed, channel_linked
from bot.service.ports import ConversationKey, Sender
from bot.store.audit import append_audit_in
from bot.store.members import SqlMembers, organisation_of
from bot.store.tables import access_codes as _codes
from bot.store.tables import access_counters as _counters
from bot.store.tables import identities as _ids
from bot.store.tables import member_roles as _roles
from bot.store.tables import organisations as _orgs
from bot.store.tables import people as _people


class SqlAccessCodes(SqlMembers):
    """Codes and counters over ``self._engine``; a code's use makes members."""

    def add_code(self, code: Code, *, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(_codes).values(
                    hash=code.hash,
                    kind=code.kind.value,
                    org_id=code.org_id,
                    role=None if code.role is None else code.role.value,
                    person_id=code.person_id,
                    uses_left=code.uses_left,
                    expires_at=code.expires_at,
                    created_by=code.created_by,
                    created_at=now,
                )
            )

    def redeem(
        self, code_hash: str, sender: Sender, key: ConversationKey, now: datetime
    ) -> Redeemed | None:
        """Use a code for ``sender``: join its organisation or link this channel.

        None when the code is unknown, used up or expired (nothing changes then).
        """
        c = _codes.c
        with self._engine.begin() as conn:
            used = conn.execute(
                update(_codes)
                .where(c.hash == code_hash, c.uses_left > 0, c.expires_at > now)
                .values(uses_left=c.uses_left - 1)
            ).rowcount
            if used != 1:
                return None
            code = conn.execute(select(_codes).where(c.hash == code_hash)).one()
            identity = (sender.channel, sender.external_id)
            if code.kind == CodeKind.LINK.value:
                return self._link_in(conn, code.person_id, sender, key, now)
            person = self._person_for(conn, identity, sender.first_name or "", now)
            org_id = int(code.org_id)
            had = self._is_member(conn, org_id, person.id)
            grant = Grant(org_id, person.id, frozenset({Role(code.role)}), code.created_by, True)
            self._grant_in(conn, grant, now)
            conn.execute(
                update(_ids)
                .where(_ids.c.channel == identity[0], _ids.c.external_id == identity[1])
                .values(active_org_id=org_id, last_chat=key.chat, last_seen_at=now)
            )
            org = organisation_of(conn.execute(select(_orgs).where(_orgs.c.id == org_id)).one())
        return Redeemed(CodeKind.INVITE, person, org, already_member=had)

    def _link_in(
        self,
        conn: Connection,
        person_id: int,
        sender: Sender,
        key: ConversationKey,
        now: datetime,
    ) -> Redeemed | None:
        existing = conn.execute(
            select(_ids.c.person_id).where(
                _ids.c.channel == sender.channel, _ids.c.external_id == sender.external_id
            )
        ).scalar_one_or_none()
        if existing is not None and existing != person_id:
            return None
        if existing is None:
            conn.execute(
                insert(_ids).values(
                    channel=sender.channel,
                    external_id=sender.external_id,
                    person_id=person_id,
                    last_chat=key.chat,
                    last_seen_at=now,
                )
            )
        row = conn.execute(select(_people).where(_people.c.id == person_id)).one()
        org_ids = set(
            conn.execute(select(_roles.c.org_id).where(_roles.c.person_id == person_id)).scalars()
        )
        append_audit_in(
            conn,
            [channel_linked(o, person_id, sender.channel, now) for o in sorted(org_ids)],
        )
        return Redeemed(CodeKind.LINK, Person(row.id, row.name), None, already_member=True)

    def count(self, key: str, now: datetime, window: timedelta, *, add: int = 1) -> int:
        """Count ``add`` more events for ``key`` in the current window (0: only look);
        the count so far."""
        k = _counters.c
        with self._engine.begin() as conn:
            row = conn.execute(select(k.window_start, k.count).where(k.key == key)).one_or_none()
            if row is None and not add:
                return 0
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(_counters).values(key=key, window_start=now, count=1))
                    return 1
                except IntegrityError:
                    row = conn.execute(select(k.window_start, k.count).where(k.key == key)).one()
            start = row[0]
            if start.tzinfo is None:  # SQLite returns naive datetimes
                start = start.replace(tzinfo=UTC)
            if start <= now - window:
                if not add:
                    return 0
                conn.execute(
                    update(_counters).where(k.key == key).values(window_start=now, count=add)
                )
                return add
            if add:
                conn.execute(update(_counters).where(k.key == key).values(count=k.count + add))
            return int(row[1]) + add

    def reset_count(self, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(_counters).where(_counters.c.key == key))
