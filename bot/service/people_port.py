"""The port of the people store: organisations, people, memberships, codes, counters, audit.

``SqlPeopleStore`` and ``MemoryPeopleStore`` implement it (the same contract
tests run on both); the access gate, the member words and the command line
use it. ``Enrolment`` is who ``enrol`` makes a member directly, ``Grant``
the roles a store adds (and what the audit log says of them); ``Redeemed``
is what using a code made of the sender; ``parked_chat``
names where another owner's conversation waits. The audit lines of what both
stores do to organisations and members (``org_created``, ``role_taken``, …)
and the rule of taking a role (``may_take``) are here once, for both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypedDict, Unpack

from bot.org.codes import Code, CodeKind
from bot.org.model import AuditAction, AuditEntry, Membership, Organisation, Person, Role
from bot.service.ports import ConversationKey, Sender


class OrgSetup(TypedDict, total=False):
    """What a new organisation may start with besides its name (``create_organisation``)."""

    settings: Mapping[str, object] | None
    """As in ``organisatie.yaml`` (None: none)."""
    flows_dir: str | None
    """A flows folder of its own (None: the shared flows)."""


@dataclass(frozen=True)
class Enrolment:
    """Someone made a member directly: of ``org_id``, with ``roles``.

    ``name`` is the display name of a new person; with ``identity`` (channel,
    external id) an existing person of that identity is enrolled instead, and
    that identity's active organisation becomes ``org_id``. ``actor`` is who
    did it, for the audit log (None: the system).
    """

    org_id: int
    name: str
    roles: frozenset[Role]
    identity: tuple[str, str] | None = None
    actor: int | None = None


@dataclass(frozen=True)
class Grant:
    """Roles given to a person in an organisation by ``actor`` (``joined``: as they join)."""

    org_id: int
    person_id: int
    roles: frozenset[Role]
    actor: int | None
    joined: bool = False

    def news(self, have: Collection[Role], now: datetime) -> tuple[list[Role], list[AuditEntry]]:
        """The roles not in ``have`` (by name) and the audit entries that say so."""
        new = sorted(self.roles - set(have), key=lambda r: r.value)
        subject, actor = f"person:{self.person_id}", self.actor
        entries = []
        if self.joined and not have:
            entries.append(AuditEntry(self.org_id, AuditAction.MEMBER_JOINED, now, actor, subject))
        entries += [
            AuditEntry(self.org_id, AuditAction.ROLE_GRANTED, now, actor, f"{subject} {r.value}")
            for r in new
        ]
        return new, entries


def org_created(org_id: int, now: datetime) -> AuditEntry:
    """The audit line of a new organisation."""
    return AuditEntry(org_id, AuditAction.ORG_CREATED, now)


def role_taken(
    org_id: int, person_id: int, role: Role, now: datetime, actor: int | None
) -> AuditEntry:
    """The audit line of a role taken from a member."""
    return AuditEntry(org_id, AuditAction.ROLE_TAKEN, now, actor, f"person:{person_id} {role}")


def may_take(have: Collection[str], role: Role) -> bool:
    """May ``role`` be taken from a member with the roles ``have``? Only one they have,
    and never their last (ending the membership is ``remove_member``)."""
    return role in have and len(have) > 1


def member_removed(org_id: int, person_id: int, now: datetime, actor: int | None) -> AuditEntry:
    """The audit line of a membership ended."""
    return AuditEntry(org_id, AuditAction.MEMBER_REMOVED, now, actor, f"person:{person_id}")


def channel_linked(org_id: int, person_id: int, channel: str, now: datetime) -> AuditEntry:
    """The audit line, in each of the person's organisations, of a channel they linked."""
    return AuditEntry(org_id, AuditAction.CHANNEL_LINKED, now, person_id, channel)


def member_erased(org_id: int, person_id: int, now: datetime) -> AuditEntry:
    """The audit line, in each of their organisations, of a person erased (``vergeet mij``)."""
    return AuditEntry(org_id, AuditAction.MEMBER_ERASED, now, None, f"person:{person_id}")


@dataclass(frozen=True)
class Redeemed:
    """A code that was used: who the sender is now, and the organisation joined."""

    kind: CodeKind
    person: Person
    org: Organisation | None
    already_member: bool = False


def parked_chat(chat: str, org_id: int | None, person_id: int | None) -> str:
    """Where a conversation of another owner waits while this chat is used by someone else."""
    return f"{chat}|{org_id}.{person_id}"


class PeopleStore(Protocol):
    """Organisations, people, memberships, codes, counters and the audit log."""

    def organisations(self) -> list[Organisation]:
        """Every organisation, by name."""

    def organisation(self, name: str) -> Organisation | None:
        """The organisation called ``name``."""

    def create_organisation(
        self, name: str, *, now: datetime, **setup: Unpack[OrgSetup]
    ) -> Organisation:
        """A new organisation; ``ValueError`` if the name is taken."""

    def identity(self, channel: str, external_id: str) -> tuple[Person, int | None] | None:
        """The person behind a channel's user id and their active organisation id."""

    def memberships(self, person_id: int) -> list[Membership]:
        """The person's memberships."""

    def identity_memberships(
        self, channel: str, external_id: str
    ) -> tuple[Person, int | None, list[Membership]] | None:
        """``identity`` and that person's ``memberships`` at once (one connection)."""

    def members(self, org_id: int, role: Role | None = None) -> list[Membership]:
        """An organisation's members (with ``role`` only, when given)."""

    def enrol(self, enrolment: Enrolment, now: datetime) -> Person:
        """Make someone a member directly (console bootstrap, command line)."""

    def rename(self, person_id: int, name: str) -> str:
        """Set a display name; returns it as kept."""

    def grant(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        """Give a member another role; False if they had it (or are no member)."""

    def take(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        """Take a role away; never the last one (remove the member instead)."""

    def remove_member(
        self, org_id: int, person_id: int, *, now: datetime, actor: int | None = None
    ) -> bool:
        """End a membership at once; False if there was none."""

    def set_active_org(self, channel: str, external_id: str, org_id: int | None) -> None:
        """The organisation this identity acts in from now on."""

    def seen(self, sender: Sender, key: ConversationKey, now: datetime) -> None:
        """Remember the chat the person last wrote from."""

    def last_address(self, person_id: int) -> ConversationKey | None:
        """The channel and chat the person last used, or None if they never wrote."""

    def add_code(self, code: Code, *, now: datetime) -> None:
        """Keep a new code (by its hash)."""

    def redeem(
        self, code_hash: str, sender: Sender, key: ConversationKey, now: datetime
    ) -> Redeemed | None:
        """Use a code, in one transaction; None if unknown, used up or expired."""

    def count(self, key: str, now: datetime, window: timedelta, *, add: int = 1) -> int:
        """A durable counter in a time window."""

    def reset_count(self, key: str) -> None:
        """Forget a counter (a stranger who joined is no stranger any more)."""

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit lines."""

    def audit(self, org_id: int, since: datetime | None = None) -> list[AuditEntry]:
        """One organisation's audit log, oldest first."""

    def claim_conversation(self, key: ConversationKey, org_id: int, person_id: int) -> None:
        """Make the conversation at ``key`` this member's (park another owner's)."""

    def arrived(
        self, sender: Sender, key: ConversationKey, org_id: int, person_id: int, now: datetime
    ) -> None:
        """A member's message got past the gate: ``seen`` and ``claim_conversation``
        at once (one transaction in a database)."""
