"""The access gate: only members of an organisation get to a conversation.

Every message a channel hands to the service comes with its ``Sender``. The
gate looks the sender up on every message (no cache, so removing a member
ends their access at once, on every channel and in every process) and then:

- a member acts in one organisation (picked when they belong to several) and
  their message goes on to the conversation, which is theirs in that
  organisation (someone else's conversation in the same chat is parked);
- a code (an invitation, or a ``koppel`` code for a second channel) lets the
  sender join; wrong codes are rate-limited per sender;
- everyone else gets one polite Dutch refusal saying how to get access, and
  nothing about them is kept but a counter under a hash of their id.

Members also have a few words of their own here: ``naam``, ``koppel``,
``organisatie``, and for a ``beheerder`` ``uitnodigen``, ``leden`` and ``audit``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.engine.messages import Incoming, Reply, Say, TextIn
from bot.org.codes import Code, CodeKind, hash_code, new_code, normalise, sender_hash
from bot.org.model import (
    ALL_ROLES,
    AuditEntry,
    Membership,
    Organisation,
    Person,
    Role,
    parse_role,
    roles_text,
)
from bot.service.ports import ConversationKey, Sender
from bot.service.privacy import privacy_word

# ---------------------------------------------------------------- texts (B1 Dutch)

REFUSAL = (
    "Hallo! Deze bot is alleen voor medewerkers van een aangesloten organisatie. "
    "Vraag je beheerder om een uitnodigingscode en stuur die code hier als bericht."
)
WRONG_CODE = (
    "Deze code klopt niet, is al gebruikt of is verlopen. "
    "Kijk de code na, of vraag je beheerder om een nieuwe."
)
TOO_MANY_CODES = "Te veel verkeerde codes. Probeer het over een uur opnieuw."
JOINED = (
    "Welkom bij {org}! Je doet mee als {roles}. Je naam hier is {name}. "
    "Een andere naam kiezen? Typ: naam en dan je nieuwe naam."
)
LINKED = "Gelukt: deze app hoort nu bij jou ({name})."
PICK = "Je bent lid van meer organisaties. Voor welke is dit gesprek?"
PICK_HINT = "(Typ het nummer.)"
PICKED = "Dit gesprek is voor {org}. Wisselen kan met: organisatie."
NAME_SET = "Je naam is nu {name}."
NAME_WORDS = 4  # "naam" and more words than this is an answer, not a new name
ONE_ORGANISATION = "Je bent lid van {org}."
NAME_SHOW = "Je naam is {name}. Een andere naam? Typ: naam en dan je nieuwe naam."
LINK_CODE = (
    "Je koppelcode: {code}\n"
    "Stuur deze code binnen 15 minuten als eerste bericht aan de bot in je andere app. "
    "Dan hoort die app ook bij jou."
)
INVITED = (
    "Uitnodigingscode voor {org} ({role}): {code}\n"
    "Te gebruiken door {uses} persoon/personen, tot {until}. "
    "De nieuwe collega stuurt de code als eerste bericht aan de bot.{link}"
)
ONLY_BEHEERDER = "Dat kan alleen een beheerder van {org}."
UNKNOWN_ROLE = "Die rol ken ik niet. Kies uit: professional, teamleider, tcp, beheerder."
MEMBERS = "Leden van {org}:"
AUDIT = "Laatste regels van het auditlog van {org} (alles: voorkomen audit):"
AUDIT_LINES = 10

#: Wrong codes allowed per sender per hour; strangers are refused once a day.
MAX_WRONG_CODES = 5
CODE_WINDOW = timedelta(hours=1)
REFUSAL_WINDOW = timedelta(days=1)
LINK_VALID = timedelta(minutes=15)
INVITE_VALID = timedelta(days=7)


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
        self,
        name: str,
        *,
        settings: Mapping[str, object] | None = None,
        flows_dir: str | None = None,
        now: datetime,
    ) -> Organisation:
        """A new organisation; ``ValueError`` if the name is taken."""

    def identity(self, channel: str, external_id: str) -> tuple[Person, int | None] | None:
        """The person behind a channel's user id and their active organisation id."""

    def memberships(self, person_id: int) -> list[Membership]:
        """The person's memberships."""

    def members(self, org_id: int, role: Role | None = None) -> list[Membership]:
        """An organisation's members (with ``role`` only, when given)."""

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
        """Make someone a member directly (console bootstrap, command line)."""

    def rename(self, person_id: int, name: str) -> str:
        """Set a display name; returns it as kept."""

    def grant(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        """Give a member a role."""

    def take(
        self, org_id: int, person_id: int, role: Role, *, now: datetime, actor: int | None = None
    ) -> bool:
        """Take a role (never the last)."""

    def remove_member(
        self, org_id: int, person_id: int, *, now: datetime, actor: int | None = None
    ) -> bool:
        """End a membership."""

    def set_active_org(self, channel: str, external_id: str, org_id: int | None) -> None:
        """The organisation this identity acts in from now on."""

    def seen(self, sender: Sender, key: ConversationKey, now: datetime) -> None:
        """Remember the chat the person last wrote from."""

    def last_address(self, person_id: int) -> ConversationKey | None:
        """The channel and chat the person last used."""

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


@dataclass(frozen=True)
class Admitted:
    """A member's message, to go on to the conversation."""

    membership: Membership
    incoming: Incoming
    prefix: list[Reply] = field(default_factory=list)


@dataclass(frozen=True)
class Answered:
    """The gate answered the message itself (or, for a stranger, stays silent)."""

    replies: list[Reply]


def make_invite(
    people: PeopleStore,
    org: Organisation,
    role: Role,
    *,
    now: datetime,
    uses: int = 1,
    valid: timedelta = INVITE_VALID,
    actor: int | None = None,
) -> str:
    """A new invitation code for ``org`` (stored hashed); the code in clear, once."""
    code = new_code()
    people.add_code(
        Code(
            hash=hash_code(code),
            kind=CodeKind.INVITE,
            uses_left=max(1, uses),
            expires_at=now + valid,
            org_id=org.id,
            role=role,
            created_by=actor,
        ),
        now=now,
    )
    return code


def deep_link(bot_username: str | None, code: str) -> str | None:
    """``https://t.me/<bot>?start=CODE`` when the bot's username is configured."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


class AccessGate:
    """Decides, for each message, whether it reaches a conversation (see module doc)."""

    def __init__(
        self,
        people: PeopleStore,
        clock: Callable[[], datetime],
        *,
        telegram_bot: str | None = None,
    ) -> None:
        self.people = people
        self.clock = clock
        self.telegram_bot = telegram_bot
        self.word_handlers: list[Callable[[str, Membership, datetime], Answered | None]] = []

    def admit(
        self, key: ConversationKey, incoming: Incoming, sender: Sender
    ) -> Admitted | Answered:
        now = self.clock().astimezone(UTC)
        text = incoming.text.strip() if isinstance(incoming, TextIn) else None
        code = normalise(text) if text else None
        if code is not None:
            return self._redeem(key, code, sender, now)
        found = self.people.identity(sender.channel, sender.external_id)
        memberships = [] if found is None else self.people.memberships(found[0].id)
        if found is None or not memberships:
            return self._refuse(sender, now)
        person, active = found
        chosen = next((m for m in memberships if m.org.id == active), None)
        word, _, rest = (text or "").partition(" ")
        word = word.lower()
        if chosen is None or word == "organisatie":
            if len(memberships) == 1:
                chosen = memberships[0]
                self.people.set_active_org(sender.channel, sender.external_id, chosen.org.id)
            else:
                if chosen is not None:  # "organisatie": the next message picks again
                    self.people.set_active_org(sender.channel, sender.external_id, None)
                return self._pick(key, memberships, sender, text if chosen is None else None)
        if word == "start" and rest:  # a deep link's payload that is no code
            incoming = TextIn("start")
        answered = self._member_word(word, rest.strip(), chosen, sender, now)
        for handle in self.word_handlers:  # other parts' words (bot.service.followup_words)
            answered = answered or handle(text or "", chosen, now)
        if answered is not None:
            return answered
        self.people.seen(sender, key, now)
        self.people.claim_conversation(key, chosen.org.id, person.id)
        return Admitted(chosen, incoming)

    def settle(self, key: ConversationKey, membership: Membership) -> None:
        """After a step: a conversation row the step created belongs to this member."""
        self.people.claim_conversation(key, membership.org.id, membership.person.id)

    # ------------------------------------------------------------ strangers

    def _refuse(self, sender: Sender, now: datetime) -> Answered:
        counter = "refused:" + sender_hash(sender.channel, sender.external_id)
        if self.people.count(counter, now, REFUSAL_WINDOW) == 1:
            return Answered([Say(REFUSAL)])
        return Answered([])  # one refusal a day is enough

    def _redeem(
        self, key: ConversationKey, code: str, sender: Sender, now: datetime
    ) -> Answered | Admitted:
        counter = "codes:" + sender_hash(sender.channel, sender.external_id)
        if self.people.count(counter, now, CODE_WINDOW, add=0) >= MAX_WRONG_CODES:
            return Answered([Say(TOO_MANY_CODES)])
        redeemed = self.people.redeem(hash_code(code), sender, key, now)
        if redeemed is None:
            wrong = self.people.count(counter, now, CODE_WINDOW)
            return Answered([Say(TOO_MANY_CODES if wrong >= MAX_WRONG_CODES else WRONG_CODE)])
        self.people.reset_count(counter)
        self.people.reset_count("refused:" + sender_hash(sender.channel, sender.external_id))
        if redeemed.kind is CodeKind.LINK:
            return Answered([Say(LINKED.format(name=redeemed.person.name))])
        assert redeemed.org is not None
        membership = next(
            m for m in self.people.memberships(redeemed.person.id) if m.org.id == redeemed.org.id
        )
        self.people.claim_conversation(key, membership.org.id, membership.person.id)
        welcome = JOINED.format(
            org=membership.org.name,
            roles=roles_text(membership.roles),
            name=membership.person.name,
        )
        return Admitted(membership, TextIn("start"), [Say(welcome)])

    # ------------------------------------------------------------ members

    def _pick(
        self,
        key: ConversationKey,
        memberships: list[Membership],
        sender: Sender,
        text: str | None,
    ) -> Admitted | Answered:
        if text:
            wanted = text.strip().lower()
            for number, m in enumerate(memberships, 1):
                if wanted in (str(number), m.org.name.lower()):
                    self.people.set_active_org(sender.channel, sender.external_id, m.org.id)
                    self.people.claim_conversation(key, m.org.id, m.person.id)
                    return Admitted(m, TextIn("start"), [Say(PICKED.format(org=m.org.name))])
        lines = [PICK, *(f"  {n}. {m.org.name}" for n, m in enumerate(memberships, 1)), PICK_HINT]
        return Answered([Say("\n".join(lines))])

    def _member_word(
        self, word: str, rest: str, member: Membership, sender: Sender, now: datetime
    ) -> Answered | None:
        if (said := privacy_word(self.people, word, rest, member, now)) is not None:
            return Answered(said)
        if word == "organisatie":  # a member of one organisation: nothing to pick
            return Answered([Say(ONE_ORGANISATION.format(org=member.org.name))])
        if word == "naam" and len(rest.split()) <= NAME_WORDS:
            if not rest:
                return Answered([Say(NAME_SHOW.format(name=member.person.name))])
            name = self.people.rename(member.person.id, rest)
            return Answered([Say(NAME_SET.format(name=name))])
        if word == "koppel":
            code = new_code()
            self.people.add_code(
                Code(
                    hash=hash_code(code),
                    kind=CodeKind.LINK,
                    uses_left=1,
                    expires_at=now + LINK_VALID,
                    person_id=member.person.id,
                    created_by=member.person.id,
                ),
                now=now,
            )
            return Answered([Say(LINK_CODE.format(code=code))])
        if word in ("uitnodigen", "leden", "audit"):
            if not member.has(Role.BEHEERDER):
                return Answered([Say(ONLY_BEHEERDER.format(org=member.org.name))])
            if word == "leden":
                return Answered([Say(self._members_text(member.org))])
            if word == "audit":
                return Answered([Say(self._audit_text(member.org))])
            role = parse_role(rest) if rest else Role.PROFESSIONAL
            if role is None:
                return Answered([Say(UNKNOWN_ROLE)])
            code = make_invite(self.people, member.org, role, now=now, actor=member.person.id)
            link = deep_link(self.telegram_bot, code)
            return Answered(
                [
                    Say(
                        INVITED.format(
                            org=member.org.name,
                            role=role.value,
                            code=code,
                            uses=1,
                            until=(now + INVITE_VALID).strftime("%d-%m-%Y"),
                            link=f"\nOf open: {link}" if link else "",
                        )
                    )
                ]
            )
        return None

    def _audit_text(self, org: Organisation) -> str:
        """The last lines of the organisation's own audit log (never another's)."""
        entries = self.people.audit(org.id)[-AUDIT_LINES:]
        lines = [AUDIT.format(org=org.name)]
        lines += [
            f"{e.at.strftime('%d-%m %H:%M')} #{e.actor or '-'} {e.action.value} {e.subject or ''}"
            for e in entries
        ]
        return "\n".join(line.rstrip() for line in lines)[:600]

    def _members_text(self, org: Organisation) -> str:
        members = self.people.members(org.id)
        lines = [MEMBERS.format(org=org.name)]
        lines += [f"• {m.person.name} (#{m.person.id}): {roles_text(m.roles)}" for m in members]
        text = "\n".join(lines)
        return text if len(text) <= 600 else text[:590] + "\n…"


DEMO_ORGANISATION = "Demo"
MIGRATED_ORGANISATION = "Standaard"  # made by migration 0002 for older data
CONSOLE = "console"


def console_bootstrap(people: PeopleStore, name: str, now: datetime) -> str | None:
    """The console is the embedded default: make it work with no set-up.

    On a database with no organisation, make "Demo" with the local user as a
    member with every role; on one whose only organisation is the one migration
    0002 made for data from before organisations, with no members yet, make the
    local user its member. Returns
    the one line that says so, or None when nothing was done (then the local
    user must be a member like anyone else).
    """
    orgs = people.organisations()
    if not orgs:
        org = people.create_organisation(DEMO_ORGANISATION, now=now)
    elif [o.name for o in orgs] == [MIGRATED_ORGANISATION] and not people.members(orgs[0].id):
        org = orgs[0]
    else:
        return None
    person = people.enrol(org.id, name, ALL_ROLES, identity=(CONSOLE, name), now=now)
    return (
        f"Organisatie {org.name} klaar voor gebruik: {person.name} is lid met alle rollen "
        "(uitnodigen van collega's: voorkomen invite)."
    )
