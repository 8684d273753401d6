"""``SqlPeopleStore``: organisations, people, memberships, codes and the audit log in SQL.

It shares the engine of ``SqlStore`` (same database, same migrations). Every
method is one transaction; a join by code (use the code, make the person,
their identity and membership, write the audit line) is one transaction too,
and a code's use is a conditional ``UPDATE`` so two people can not both take
the last use. Nothing is cached: removing a member ends their access on the
very next message, on every channel and in every process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.org.codes import Code, CodeKind
from bot.org.model import (
    AuditAction,
    AuditEntry,
    Membership,
    Organisation,
    Person,
    Role,
    clean_name,
)
from bot.service.access import Redeemed, parked_chat
from bot.service.ports import ConversationKey, Sender
from bot.store import models
from bot.store.audit import append_audit_in


def _t(model: type[models.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_orgs = _t(models.Organisation)
_people = _t(models.Person)
_ids = _t(models.Identity)
_roles = _t(models.MemberRole)
_codes = _t(models.AccessCode)
_counters = _t(models.AccessCounter)
_audit = _t(models.AuditLog)
_convs = _t(models.Conversation)


def _org(row: Any) -> Organisation:
    return Organisation(row.id, row.name, dict(row.settings or {}), row.flows_dir)


class SqlPeopleStore:
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

    # ------------------------------------------------------------ organisations

    def organisations(self) -> list[Organisation]:
        with self._engine.connect() as conn:
            return [_org(r) for r in conn.execute(select(_orgs).order_by(_orgs.c.name))]

    def organisation(self, name: str) -> Organisation | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_orgs).where(_orgs.c.name == name)).one_or_none()
        return None if row is None else _org(row)

    def create_organisation(
        self,
        name: str,
        *,
        settings: Mapping[str, object] | None = None,
        flows_dir: str | None = None,
        now: datetime,
    ) -> Organisation:
        """A new organisation; ``ValueError`` if the name is taken."""
        try:
            with self._engine.begin() as conn:
                org_id = conn.execute(
                    insert(_orgs)
                    .values(
                        name=name,
                        settings=dict(settings or {}),
                        flows_dir=flows_dir,
                        created_at=now,
                    )
                    .returning(_orgs.c.id)
                ).scalar_one()
                append_audit_in(conn, [AuditEntry(org_id, AuditAction.ORG_CREATED, now)])
        except IntegrityError as err:
            msg = f"organisation {name!r} exists"
            raise ValueError(msg) from err
        return Organisation(org_id, name, dict(settings or {}), flows_dir)

    # ------------------------------------------------------------ people

    def identity(self, channel: str, external_id: str) -> tuple[Person, int | None] | None:
        """The person behind a channel's user id, and the organisation they act in now."""
        query = (
            select(_people.c.id, _people.c.name, _ids.c.active_org_id)
            .join(_ids, _ids.c.person_id == _people.c.id)
            .where(_ids.c.channel == channel, _ids.c.external_id == external_id)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else (Person(row.id, row.name), row.active_org_id)

    def memberships(self, person_id: int) -> list[Membership]:
        return self._memberships(and_(_roles.c.person_id == person_id))

    def members(self, org_id: int, role: Role | None = None) -> list[Membership]:
        """The members of an organisation (only those with ``role`` when given)."""
        members = self._memberships(and_(_roles.c.org_id == org_id))
        return [m for m in members if role is None or role in m.roles]

    def _memberships(self, where: Any) -> list[Membership]:
        query = (
            select(_orgs, _people.c.id.label("pid"), _people.c.name.label("pname"), _roles.c.role)
            .select_from(_roles)
            .join(_orgs, _orgs.c.id == _roles.c.org_id)
            .join(_people, _people.c.id == _roles.c.person_id)
            .where(where)
            .order_by(_orgs.c.name, _people.c.name, _people.c.id)
        )
        found: dict[tuple[int, int], tuple[Organisation, Person, set[Role]]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                entry = found.setdefault(
                    (row.id, row.pid), (_org(row), Person(row.pid, row.pname), set())
                )
                entry[2].add(Role(row.role))
        return [Membership(o, p, frozenset(r)) for o, p, r in found.values()]

    def enrol(
        self,
        org_id: int,
        name: str,
        roles: frozenset[Role],
        *,
        identity: tuple[str, str] | None = None,
        now: datetime,
        actor: int | None = None,
    ) -> Person:
        """Make someone a member directly (the console's local user, the command line)."""
        with self._engine.begin() as conn:
            person = self._person_for(conn, identity, name, now)
            self._grant_in(conn, org_id, person.id, roles, now, actor, joined=True)
            if identity is not None:
                conn.execute(
                    update(_ids)
                    .where(_ids.c.channel == identity[0], _ids.c.external_id == identity[1])
                    .values(active_org_id=org_id)
                )
        return person

    def _person_for(
        self, conn: Connection, identity: tuple[str, str] | None, name: str, now: datetime
    ) -> Person:
        if identity is not None:
            row = conn.execute(
                select(_people.c.id, _people.c.name)
                .join(_ids, _ids.c.person_id == _people.c.id)
                .where(_ids.c.channel == identity[0], _ids.c.external_id == identity[1])
            ).one_or_none()
            if row is not None:
                return Person(row.id, row.name)
        clean = clean_name(name)
        person_id = conn.execute(
            insert(_people).values(name=clean, created_at=now).returning(_people.c.id)
        ).scalar_one()
        if identity is not None:
            conn.execute(
                insert(_ids).values(
                    channel=identity[0], external_id=identity[1], person_id=person_id
                )
            )
        return Person(person_id, clean)

    def _grant_in(
        self,
        conn: Connection,
        org_id: int,
        person_id: int,
        roles: frozenset[Role],
        now: datetime,
        actor: int | None,
        *,
        joined: bool,
    ) -> list[Role]:
        have = set(
            conn.execute(
                select(_roles.c.role).where(
                    _roles.c.org_id == org_id, _roles.c.person_id == person_id
                )
            ).scalars()
        )
        new = sorted((r for r in roles if r.value not in have), key=lambda r: r.value)
        if new:
            conn.execute(
                insert(_roles),
                [
                    {"org_id": org_id, "person_id": person_id, "role": r.value, "granted_at": now}
                    for r in new
                ],
            )
        subject = f"person:{person_id}"
        entries = []
        if joined and not have:
            entries.append(AuditEntry(org_id, AuditAction.MEMBER_JOINED, now, actor, subject))
        entries += [
            AuditEntry(org_id, AuditAction.ROLE_GRANTED, now, actor, f"{subject} {r.value}")
            for r in new
        ]
        append_audit_in(conn, entries)
        return new

    def rename(self, person_id: int, name: str) -> str:
        clean = clean_name(name)
        with self._engine.begin() as conn:
            conn.execute(update(_people).where(_people.c.id == person_id).values(name=clean))
        return clean

    def grant(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        """Give a member another role; False if they had it (or are no member)."""
        with self._engine.begin() as conn:
            if not self._is_member(conn, org_id, person_id):
                return False
            return bool(
                self._grant_in(conn, org_id, person_id, frozenset({role}), now, actor, joined=False)
            )

    def take(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        """Take a role away; never the last one (remove the member instead)."""
        with self._engine.begin() as conn:
            have = set(
                conn.execute(
                    select(_roles.c.role).where(
                        _roles.c.org_id == org_id, _roles.c.person_id == person_id
                    )
                ).scalars()
            )
            if role.value not in have or len(have) == 1:
                return False
            conn.execute(
                delete(_roles).where(
                    _roles.c.org_id == org_id,
                    _roles.c.person_id == person_id,
                    _roles.c.role == role.value,
                )
            )
            append_audit_in(
                conn,
                [
                    AuditEntry(
                        org_id, AuditAction.ROLE_TAKEN, now, actor, f"person:{person_id} {role}"
                    )
                ],
            )
        return True

    def remove_member(
        self, org_id: int, person_id: int, *, now: datetime, actor: int | None = None
    ) -> bool:
        """End a membership at once; False if there was none."""
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(_roles).where(_roles.c.org_id == org_id, _roles.c.person_id == person_id)
            ).rowcount
            if not gone:
                return False
            conn.execute(
                update(_ids)
                .where(_ids.c.person_id == person_id, _ids.c.active_org_id == org_id)
                .values(active_org_id=None)
            )
            append_audit_in(
                conn,
                [AuditEntry(org_id, AuditAction.MEMBER_REMOVED, now, actor, f"person:{person_id}")],
            )
        return True

    @staticmethod
    def _is_member(conn: Connection, org_id: int, person_id: int) -> bool:
        return (
            conn.execute(
                select(_roles.c.role)
                .where(_roles.c.org_id == org_id, _roles.c.person_id == person_id)
                .limit(1)
            ).first()
            is not None
        )

    def set_active_org(self, channel: str, external_id: str, org_id: int | None) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_ids)
                .where(_ids.c.channel == channel, _ids.c.external_id == external_id)
                .values(active_org_id=org_id)
            )

    def seen(self, sender: Sender, key: ConversationKey, now: datetime) -> None:
        """Remember the chat a person last wrote from (for ``last_address``)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(_ids)
                .where(_ids.c.channel == sender.channel, _ids.c.external_id == sender.external_id)
                .values(last_chat=key.chat, last_seen_at=now)
            )

    def last_address(self, person_id: int) -> ConversationKey | None:
        """The channel and chat the person last used, or None if they never wrote."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(_ids.c.channel, _ids.c.last_chat)
                .where(_ids.c.person_id == person_id, _ids.c.last_chat.is_not(None))
                .order_by(_ids.c.last_seen_at.desc())
                .limit(1)
            ).one_or_none()
        return None if row is None else ConversationKey(row.channel, row.last_chat)

    # ------------------------------------------------------------ codes

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
            self._grant_in(
                conn,
                org_id,
                person.id,
                frozenset({Role(code.role)}),
                now,
                code.created_by,
                joined=True,
            )
            conn.execute(
                update(_ids)
                .where(_ids.c.channel == identity[0], _ids.c.external_id == identity[1])
                .values(active_org_id=org_id, last_chat=key.chat, last_seen_at=now)
            )
            org = _org(conn.execute(select(_orgs).where(_orgs.c.id == org_id)).one())
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
            [
                AuditEntry(o, AuditAction.CHANNEL_LINKED, now, person_id, sender.channel)
                for o in sorted(org_ids)
            ],
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
        c = _convs.c
        with self._engine.begin() as conn:
            row = conn.execute(
                select(c.id, c.org_id, c.person_id).where(
                    c.channel == key.channel, c.chat == key.chat
                )
            ).one_or_none()
            if row is not None:
                if row.org_id == org_id and row.person_id == person_id:
                    return
                if row.org_id in (org_id, None) and row.person_id is None:
                    conn.execute(
                        update(_convs)
                        .where(c.id == row.id)
                        .values(org_id=org_id, person_id=person_id)
                    )
                    return
                away = parked_chat(key.chat, row.org_id, row.person_id)
                conn.execute(delete(_convs).where(c.channel == key.channel, c.chat == away))
                conn.execute(
                    update(_convs).where(c.id == row.id).values(chat=away, revision=c.revision + 1)
                )
            conn.execute(
                update(_convs)
                .where(
                    c.channel == key.channel,
                    c.chat == parked_chat(key.chat, org_id, person_id),
                )
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
