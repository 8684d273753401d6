"""The organisation model: organisations, pseudonymous people, memberships and roles.

A person is known by a display name they chose (never a phone number) and by
one or more channel identities (a Telegram user id, a Matrix user id, a
console login). A membership gives a person one or more roles in one
organisation; everything a person does in the bot is done *in* one
organisation, and nothing of another organisation is ever visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a member may do in their organisation (several at once allowed)."""

    PROFESSIONAL = "professional"
    TEAMLEIDER = "teamleider"
    TCP = "tcp"
    BEHEERDER = "beheerder"


ALL_ROLES: frozenset[Role] = frozenset(Role)

#: The longest display name kept (a first name or a nickname).
NAME_MAX = 40


def parse_role(text: str) -> Role | None:
    """``"Beheerder"`` -> ``Role.BEHEERDER``; None for an unknown word."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        return None


def clean_name(text: str | None, fallback: str = "collega") -> str:
    """A display name as kept: printable, single spaces, at most ``NAME_MAX`` characters.

    A name that looks like a phone number (mostly digits) is refused in favour
    of ``fallback``: a person is pseudonymous.
    """
    words = (text or "").split()
    name = " ".join("".join(c for c in w if c.isprintable()) for w in words).strip()[:NAME_MAX]
    digits = sum(c.isdigit() for c in name)
    if not name or digits >= 6 or digits * 2 > len(name):
        return fallback
    return name


@dataclass(frozen=True, slots=True)
class Organisation:
    """One organisation served by this deployment.

    ``settings`` holds what ``flows/organisatie.yaml`` holds (achterwacht,
    partner list, texts, retention); ``flows_dir`` an optional folder of its
    own flows layered over the shipped ones.
    """

    id: int
    name: str
    settings: Mapping[str, object] = field(default_factory=dict)
    flows_dir: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A pseudonymous person: an id and a display name."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Membership:
    """A person in an organisation, with their roles."""

    org: Organisation
    person: Person
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


def roles_text(roles: Iterable[Role]) -> str:
    """``"beheerder, professional"``: roles in a stable order, for people to read."""
    return ", ".join(sorted(role.value for role in roles))


class AuditAction(StrEnum):
    """What an audit entry says happened (NEN 7513 style: who did what to which, when)."""

    RECORD_CREATED = "record.created"
    RECORD_OPENED = "record.opened"
    RECORD_EXPORTED = "record.exported"
    RECORD_CONFIRMED = "record.confirmed"
    RECORD_DELETED = "record.deleted"
    MEMBER_JOINED = "member.joined"
    MEMBER_REMOVED = "member.removed"
    ROLE_GRANTED = "role.granted"
    ROLE_TAKEN = "role.taken"
    CHANNEL_LINKED = "channel.linked"
    ORG_CREATED = "org.created"
    MEMBER_EXPORTED = "member.exported"
    MEMBER_ERASED = "member.erased"
    CASE_EXPORTED = "case.exported"
    CASE_ERASED = "case.erased"
    CONFIRMATION_REQUESTED = "confirmation.requested"
    CONFIRMATION_ANSWERED = "confirmation.answered"
    ESCALATION_REQUESTED = "escalation.requested"
    ESCALATION_STARTED = "escalation.started"
    ESCALATION_DECLINED = "escalation.declined"
    ESCALATION_ANSWERED = "escalation.answered"
    ESCALATION_CLOSED = "escalation.closed"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the append-only audit log; never any answer text.

    ``actor`` is the person who acted (None: the command line or the system),
    ``subject`` what it was done to (a record id, ``person:12``, a role).
    """

    org_id: int
    action: AuditAction
    at: datetime
    actor: int | None = None
    subject: str | None = None
