"""``MemoryPeopleStore``: the in-memory twin of ``SqlPeopleStore``, for tests.

The same contract tests run on both (``tests/org/test_people_store.py``).
Conversations are parked in a ``MemoryStore`` given at construction, as the
SQL store parks them in the ``conversations`` table.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Unpack

from bot.org.codes import Code, CodeKind
from bot.org.model import AuditEntry, Membership, Organisation, Person, Role, clean_name
from bot.service.audit import audit_entries
from bot.service.people_port import (
    Enrolment,
    Grant,
    OrgSetup,
    Redeemed,
    channel_linked,
    may_take,
    member_erased,
    member_removed,
    org_created,
    parked_chat,
    role_taken,
)
from bot.service.ports import ConversationKey, Sender
from bot.store.memory import MemoryStore, has_conversation, move_conversation


@dataclass
class _Identity:
    person_id: int
    active_org: int | None = None
    last_chat: str | None = None
    last_seen: datetime | None = None


class MemoryPeopleStore:
    """The ``PeopleStore`` port in a process's memory."""

    def __init__(self, conversations: MemoryStore | None = None) -> None:
        self._lock = threading.RLock()
        self._conversations = conversations
        self._orgs: dict[int, Organisation] = {}
        self._people: dict[int, Person] = {}
        self._ids: dict[tuple[str, str], _Identity] = {}
        self._roles: dict[tuple[int, int], set[Role]] = {}
        self._codes: dict[str, Code] = {}
        self._counters: dict[str, tuple[datetime, int]] = {}
        self._audit: list[AuditEntry] = []
        self._owners: dict[ConversationKey, tuple[int | None, int | None]] = {}
        if conversations is not None:
            conversations.audit_sink = self.append_audit
            conversations.audit_writer = lambda entries: self.append_audit(audit_entries(entries))

    # ------------------------------------------------------------ organisations

    def organisations(self) -> list[Organisation]:
        with self._lock:
            return sorted(self._orgs.values(), key=lambda o: o.name)

    def organisation(self, name: str) -> Organisation | None:
        with self._lock:
            return next((o for o in self._orgs.values() if o.name == name), None)

    def create_organisation(
        self, name: str, *, now: datetime, **setup: Unpack[OrgSetup]
    ) -> Organisation:
        with self._lock:
            if self.organisation(name) is not None:
                msg = f"organisation {name!r} exists"
                raise ValueError(msg)
            settings = dict(setup.get("settings") or {})
            org = Organisation(len(self._orgs) + 1, name, settings, setup.get("flows_dir"))
            self._orgs[org.id] = org
            self._audit.append(org_created(org.id, now))
            return org

    # ------------------------------------------------------------ people

    def identity(self, channel: str, external_id: str) -> tuple[Person, int | None] | None:
        with self._lock:
            found = self._ids.get((channel, external_id))
            return None if found is None else (self._people[found.person_id], found.active_org)

    def memberships(self, person_id: int) -> list[Membership]:
        return self._memberships(lambda o, p: p == person_id)

    def identity_memberships(
        self, channel: str, external_id: str
    ) -> tuple[Person, int | None, list[Membership]] | None:
        found = self.identity(channel, external_id)
        if found is None:
            return None
        return found[0], found[1], self.memberships(found[0].id)

    def members(self, org_id: int, role: Role | None = None) -> list[Membership]:
        found = self._memberships(lambda o, p: o == org_id)
        return [m for m in found if role is None or role in m.roles]

    def _memberships(self, keep: object) -> list[Membership]:
        assert callable(keep)
        with self._lock:
            found = [
                Membership(self._orgs[o], self._people[p], frozenset(roles))
                for (o, p), roles in self._roles.items()
                if roles and keep(o, p)
            ]
        return sorted(found, key=lambda m: (m.org.name, m.person.name, m.person.id))

    def enrol(self, enrolment: Enrolment, now: datetime) -> Person:
        org_id, identity = enrolment.org_id, enrolment.identity
        with self._lock:
            person = self._person_for(identity, enrolment.name)
            self._grant(Grant(org_id, person.id, enrolment.roles, enrolment.actor, True), now)
            if identity is not None:
                self._ids[identity].active_org = org_id
            return person

    def _person_for(self, identity: tuple[str, str] | None, name: str) -> Person:
        if identity is not None and identity in self._ids:
            return self._people[self._ids[identity].person_id]
        person = Person(len(self._people) + 1, clean_name(name))
        self._people[person.id] = person
        if identity is not None:
            self._ids[identity] = _Identity(person.id)
        return person

    def _grant(self, grant: Grant, now: datetime) -> list[Role]:
        have = self._roles.setdefault((grant.org_id, grant.person_id), set())
        new, entries = grant.news(have, now)
        self._audit += entries
        have.update(new)
        return new

    def rename(self, person_id: int, name: str) -> str:
        clean = clean_name(name)
        with self._lock:
            self._people[person_id] = replace(self._people[person_id], name=clean)
        return clean

    def grant(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        with self._lock:
            if not self._roles.get((org_id, person_id)):
                return False
            return bool(self._grant(Grant(org_id, person_id, frozenset({role}), actor), now))

    def take(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        with self._lock:
            have = self._roles.get((org_id, person_id), set())
            if not may_take(have, role):
                return False
            have.discard(role)
            self._audit.append(role_taken(org_id, person_id, role, now, actor))
            return True

    def remove_member(
        self, org_id: int, person_id: int, *, now: datetime, actor: int | None = None
    ) -> bool:
        with self._lock:
            if not self._roles.pop((org_id, person_id), None):
                return False
            for ident in self._ids.values():
                if ident.person_id == person_id and ident.active_org == org_id:
                    ident.active_org = None
            self._audit.append(member_removed(org_id, person_id, now, actor))
            return True

    def set_active_org(self, channel: str, external_id: str, org_id: int | None) -> None:
        with self._lock:
            if (channel, external_id) in self._ids:
                self._ids[(channel, external_id)].active_org = org_id

    def seen(self, sender: Sender, key: ConversationKey, now: datetime) -> None:
        with self._lock:
            ident = self._ids.get((sender.channel, sender.external_id))
            if ident is not None:
                ident.last_chat, ident.last_seen = key.chat, now

    def last_address(self, person_id: int) -> ConversationKey | None:
        with self._lock:
            mine = [
                (i.last_seen, channel, i.last_chat)
                for (channel, _), i in self._ids.items()
                if i.person_id == person_id and i.last_chat is not None and i.last_seen
            ]
        if not mine:
            return None
        _, channel, chat = max(mine, key=lambda t: t[0])
        assert chat is not None
        return ConversationKey(channel, chat)

    # ------------------------------------------------------------ codes

    def add_code(self, code: Code, *, now: datetime) -> None:
        with self._lock:
            self._codes[code.hash] = code

    def redeem(
        self, code_hash: str, sender: Sender, key: ConversationKey, now: datetime
    ) -> Redeemed | None:
        with self._lock:
            code = self._codes.get(code_hash)
            if code is None or code.uses_left <= 0 or code.expires_at <= now:
                return None
            self._codes[code_hash] = replace(code, uses_left=code.uses_left - 1)
            identity = (sender.channel, sender.external_id)
            if code.kind is CodeKind.LINK:
                assert code.person_id is not None
                existing = self._ids.get(identity)
                if existing is not None and existing.person_id != code.person_id:
                    return None
                if existing is None:
                    self._ids[identity] = _Identity(code.person_id, None, key.chat, now)
                orgs = sorted({o for (o, p), r in self._roles.items() if p == code.person_id and r})
                self._audit += [
                    channel_linked(o, code.person_id, sender.channel, now) for o in orgs
                ]
                return Redeemed(CodeKind.LINK, self._people[code.person_id], None, True)
            assert code.org_id is not None and code.role is not None
            person = self._person_for(identity, sender.first_name or "")
            had = bool(self._roles.get((code.org_id, person.id)))
            grant = Grant(code.org_id, person.id, frozenset({code.role}), code.created_by, True)
            self._grant(grant, now)
            self._ids[identity] = replace(
                self._ids[identity], active_org=code.org_id, last_chat=key.chat, last_seen=now
            )
            return Redeemed(CodeKind.INVITE, person, self._orgs[code.org_id], had)

    def count(self, key: str, now: datetime, window: timedelta, *, add: int = 1) -> int:
        with self._lock:
            start, count = self._counters.get(key, (now, 0))
            if start <= now - window:
                start, count = now, 0
            if add:
                self._counters[key] = (start, count + add)
            return count + add

    def reset_count(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)

    # ------------------------------------------------------------ audit

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        with self._lock:
            self._audit.extend(entries)

    def audit(self, org_id: int, since: datetime | None = None) -> list[AuditEntry]:
        with self._lock:
            return [
                e for e in self._audit if e.org_id == org_id and (since is None or e.at >= since)
            ]

    # ------------------------------------------------------------ rights

    def erase_member(self, person_id: int, now: datetime) -> dict[str, int]:
        """``vergeet mij``: what ``SqlPeopleStore.erase_member`` erases, with the same counts."""
        with self._lock:
            orgs = sorted({o for o, p in self._roles if p == person_id})
            keys = [k for k, (_, p) in self._owners.items() if p == person_id]
            counts = {"conversations": 0, "records": 0, "outbox": 0, "actions": 0}
            if self._conversations is not None:
                counts = self._conversations.erase_person(keys, person_id)
            for key in keys:
                del self._owners[key]
            ids = [i for i, identity in self._ids.items() if identity.person_id == person_id]
            for i in ids:
                del self._ids[i]
            for org_person in [k for k in self._roles if k[1] == person_id]:
                del self._roles[org_person]
            self._codes = {
                h: c for h, c in self._codes.items() if person_id not in (c.person_id, c.created_by)
            }
            self._people.pop(person_id, None)
            self._audit.extend(member_erased(o, person_id, now) for o in orgs)
        return {**counts, "identities": len(ids), "memberships": len(orgs)}

    # ------------------------------------------------------------ conversations

    def arrived(
        self, sender: Sender, key: ConversationKey, org_id: int, person_id: int, now: datetime
    ) -> None:
        self.seen(sender, key, now)
        self.claim_conversation(key, org_id, person_id)

    def claim_conversation(self, key: ConversationKey, org_id: int, person_id: int) -> None:
        store = self._conversations
        if store is None:
            return
        with self._lock:
            if has_conversation(store, key):
                owner = self._owners.get(key, (None, None))
                if owner == (org_id, person_id):
                    return
                if owner[0] in (org_id, None) and owner[1] is None:
                    self._owners[key] = (org_id, person_id)
                    return
                away = ConversationKey(key.channel, parked_chat(key.chat, *owner))
                move_conversation(store, key, away)
                self._owners[away] = self._owners.pop(key)
            mine = ConversationKey(key.channel, parked_chat(key.chat, org_id, person_id))
            if move_conversation(store, mine, key):
                self._owners[key] = self._owners.pop(mine)
