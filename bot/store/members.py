"""Organisations, people and their memberships in SQL (a part of ``SqlPeopleStore``).

A person is a display name they chose and the channel identities they write
from; a membership gives them roles in an organisation. Granting and taking
roles and ending a membership write their audit lines in the same
transaction. Nothing is cached: removing a member ends their access on the
very next message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import Connection, Engine, and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.org.model import Membership, Organisation, Person, Role, clean_name
from bot.service.people_port import (
    Enrolment,
    Grant,
    OrgSetup,
    may_take,
    member_removed,
    org_created,
    role_taken,
)
from bot.service.ports import ConversationKey, Sender
from bot.store.audit import append_audit_in
from bot.store.database import reading
from bot.store.tables import identities as _ids
from bot.store.tables import member_roles as _roles
from bot.store.tables import organisations as _orgs
from bot.store.tables import people as _people


def _memberships_query(where: Any) -> Any:
    """Memberships with their organisation and person, one row per role."""
    return (
        select(_orgs, _people.c.id.label("pid"), _people.c.name.label("pname"), _roles.c.role)
        .select_from(_roles)
        .join(_orgs, _orgs.c.id == _roles.c.org_id)
        .join(_people, _people.c.id == _roles.c.person_id)
        .where(where)
        .order_by(_orgs.c.name, _people.c.name, _people.c.id)
    )


# The access gate's statements (every message), built once: building a statement
# and its cache key costs more than running it on SQLite. ``k_``: WHERE parameters.
_IDENTITY = (
    select(_people.c.id, _people.c.name, _ids.c.active_org_id)
    .join(_ids, _ids.c.person_id == _people.c.id)
    .where(_ids.c.channel == bindparam("k_channel"), _ids.c.external_id == bindparam("k_ext"))
)
# The identity and its person's memberships in one statement (one round trip on
# PostgreSQL): one row per role, or one row without a role for a person with none.
_IDENTITY_MEMBERSHIPS = (
    select(
        _orgs,
        _people.c.id.label("pid"),
        _people.c.name.label("pname"),
        _ids.c.active_org_id,
        _roles.c.role,
    )
    .select_from(_ids)
    .join(_people, _people.c.id == _ids.c.person_id)
    .outerjoin(_roles, _roles.c.person_id == _people.c.id)
    .outerjoin(_orgs, _orgs.c.id == _roles.c.org_id)
    .where(_ids.c.channel == bindparam("k_channel"), _ids.c.external_id == bindparam("k_ext"))
    .order_by(_orgs.c.name, _orgs.c.id)
)
_SEEN = (
    update(_ids)
    .where(_ids.c.channel == bindparam("k_channel"), _ids.c.external_id == bindparam("k_ext"))
    .values(last_chat=bindparam("k_chat"), last_seen_at=bindparam("k_at"))
)


def organisation_of(row: Any) -> Organisation:
    """An ``organisations`` row as the model's value."""
    return Organisation(row.id, row.name, dict(row.settings or {}), row.flows_dir)


class SqlMembers:
    """Organisations, people, identities and roles over ``self._engine``."""

    _engine: Engine

    # ------------------------------------------------------------ organisations

    def organisations(self) -> list[Organisation]:
        with self._engine.connect() as conn:
            return [organisation_of(r) for r in conn.execute(select(_orgs).order_by(_orgs.c.name))]

    def organisation(self, name: str) -> Organisation | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_orgs).where(_orgs.c.name == name)).one_or_none()
        return None if row is None else organisation_of(row)

    def create_organisation(
        self, name: str, *, now: datetime, **setup: Unpack[OrgSetup]
    ) -> Organisation:
        settings, flows_dir = dict(setup.get("settings") or {}), setup.get("flows_dir")
        try:
            with self._engine.begin() as conn:
                org_id = conn.execute(
                    insert(_orgs)
                    .values(name=name, settings=settings, flows_dir=flows_dir, created_at=now)
                    .returning(_orgs.c.id)
                ).scalar_one()
                append_audit_in(conn, [org_created(org_id, now)])
        except IntegrityError as err:
            msg = f"organisation {name!r} exists"
            raise ValueError(msg) from err
        return Organisation(org_id, name, settings, flows_dir)

    # ------------------------------------------------------------ people

    def identity(self, channel: str, external_id: str) -> tuple[Person, int | None] | None:
        with self._engine.connect() as conn:
            return _identity_in(conn, channel, external_id)

    def memberships(self, person_id: int) -> list[Membership]:
        return self._memberships(and_(_roles.c.person_id == person_id))

    def identity_memberships(
        self, channel: str, external_id: str
    ) -> tuple[Person, int | None, list[Membership]] | None:
        """``identity`` and ``memberships`` on one connection (the gate, every message)."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                _IDENTITY_MEMBERSHIPS, {"k_channel": channel, "k_ext": external_id}
            ).all()
        if not rows:
            return None
        first = rows[0]
        person = Person(first.pid, first.pname)
        return person, first.active_org_id, _memberships_of(r for r in rows if r.role is not None)

    def members(self, org_id: int, role: Role | None = None) -> list[Membership]:
        members = self._memberships(and_(_roles.c.org_id == org_id))
        return [m for m in members if role is None or role in m.roles]

    def _memberships(self, where: Any) -> list[Membership]:
        with self._engine.connect() as conn:
            return _memberships_of(conn.execute(_memberships_query(where)))

    def enrol(self, enrolment: Enrolment, now: datetime) -> Person:
        org_id, identity = enrolment.org_id, enrolment.identity
        with self._engine.begin() as conn:
            person = self._person_for(conn, identity, enrolment.name, now)
            grant = Grant(org_id, person.id, enrolment.roles, enrolment.actor, joined=True)
            self._grant_in(conn, grant, now)
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

    def _grant_in(self, conn: Connection, grant: Grant, now: datetime) -> list[Role]:
        have = conn.execute(
            select(_roles.c.role).where(
                _roles.c.org_id == grant.org_id, _roles.c.person_id == grant.person_id
            )
        ).scalars()
        new, entries = grant.news({Role(r) for r in have}, now)
        if new:
            conn.execute(
                insert(_roles),
                [
                    {
                        "org_id": grant.org_id,
                        "person_id": grant.person_id,
                        "role": r.value,
                        "granted_at": now,
                    }
                    for r in new
                ],
            )
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
        with self._engine.begin() as conn:
            if not self._is_member(conn, org_id, person_id):
                return False
            return bool(
                self._grant_in(conn, Grant(org_id, person_id, frozenset({role}), actor), now)
            )

    def take(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        with self._engine.begin() as conn:
            have = set(
                conn.execute(
                    select(_roles.c.role).where(
                        _roles.c.org_id == org_id, _roles.c.person_id == person_id
                    )
                ).scalars()
            )
            if not may_take(have, role):
                return False
            conn.execute(
                delete(_roles).where(
                    _roles.c.org_id == org_id,
                    _roles.c.person_id == person_id,
                    _roles.c.role == role.value,
                )
            )
            append_audit_in(conn, [role_taken(org_id, person_id, role, now, actor)])
        return True

    def remove_member(
        self, org_id: int, person_id: int, *, now: datetime, actor: int | None = None
    ) -> bool:
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
            append_audit_in(conn, [member_removed(org_id, person_id, now, actor)])
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
        with self._engine.begin() as conn:
            seen_in(conn, sender, key, now)

    def last_address(self, person_id: int) -> ConversationKey | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(_ids.c.channel, _ids.c.last_chat)
                .where(_ids.c.person_id == person_id, _ids.c.last_chat.is_not(None))
                .order_by(_ids.c.last_seen_at.desc())
                .limit(1)
            ).one_or_none()
        return None if row is None else ConversationKey(row.channel, row.last_chat)


def _memberships_of(rows: Iterable[Any]) -> list[Membership]:
    """Rows of ``_memberships_query`` as memberships (their roles gathered)."""
    found: dict[tuple[int, int], tuple[Organisation, Person, set[Role]]] = {}
    for row in rows:
        entry = found.setdefault(
            (row.id, row.pid), (organisation_of(row), Person(row.pid, row.pname), set())
        )
        entry[2].add(Role(row.role))
    return [Membership(o, p, frozenset(r)) for o, p, r in found.values()]


def seen_in(conn: Connection, sender: Sender, key: ConversationKey, now: datetime) -> None:
    """Remember the chat a person last wrote from, inside ``conn``'s transaction."""
    conn.execute(
        _SEEN,
        {"k_channel": sender.channel, "k_ext": sender.external_id, "k_chat": key.chat, "k_at": now},
    )


def _identity_in(
    conn: Connection, channel: str, external_id: str
) -> tuple[Person, int | None] | None:
    row = conn.execute(_IDENTITY, {"k_channel": channel, "k_ext": external_id}).one_or_none()
    return None if row is None else (Person(row.id, row.name), row.active_org_id)
