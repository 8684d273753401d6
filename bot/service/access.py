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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.engine.messages import Incoming, Reply, Say, TextIn
from bot.org.codes import CodeKind, hash_code, normalise, sender_hash
from bot.org.model import (
    Membership,
    roles_text,
)
from bot.service import access_texts as t
from bot.service.console_bootstrap import (
    CONSOLE,
    DEMO_ORGANISATION,
    MIGRATED_ORGANISATION,
    console_bootstrap,
)
from bot.service.member_words import (
    Answered,
    deep_link,
    make_invite,
    member_word,
)
from bot.service.people_port import PeopleStore, Redeemed, parked_chat
from bot.service.ports import ConversationKey, Sender

#: Wrong codes allowed per sender per hour; strangers are refused once a day.
MAX_WRONG_CODES = 5
CODE_WINDOW = timedelta(hours=1)
REFUSAL_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Admitted:
    """A member's message, to go on to the conversation."""

    membership: Membership
    incoming: Incoming
    prefix: list[Reply] = field(default_factory=list)


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
        found = self.people.identity_memberships(sender.channel, sender.external_id)
        if found is None or not found[2]:
            return self._refuse(sender, now)
        person, active, memberships = found
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
        answered = member_word(
            self.people, word, rest.strip(), chosen, now, telegram_bot=self.telegram_bot
        )
        for handle in self.word_handlers:  # other parts' words (bot.service.followup_words)
            answered = answered or handle(text or "", chosen, now)
        if answered is not None:
            return answered
        self.people.arrived(sender, key, chosen.org.id, person.id, now)
        return Admitted(chosen, incoming)

    def settle(self, key: ConversationKey, membership: Membership) -> None:
        """After a step: a conversation row the step created belongs to this member."""
        self.people.claim_conversation(key, membership.org.id, membership.person.id)

    # ------------------------------------------------------------ strangers

    def _refuse(self, sender: Sender, now: datetime) -> Answered:
        counter = "refused:" + sender_hash(sender.channel, sender.external_id)
        if self.people.count(counter, now, REFUSAL_WINDOW) == 1:
            return Answered([Say(t.REFUSAL)])
        return Answered([])  # one refusal a day is enough

    def _redeem(
        self, key: ConversationKey, code: str, sender: Sender, now: datetime
    ) -> Answered | Admitted:
        counter = "codes:" + sender_hash(sender.channel, sender.external_id)
        if self.people.count(counter, now, CODE_WINDOW, add=0) >= MAX_WRONG_CODES:
            return Answered([Say(t.TOO_MANY_CODES)])
        redeemed = self.people.redeem(hash_code(code), sender, key, now)
        if redeemed is None:
            wrong = self.people.count(counter, now, CODE_WINDOW)
            return Answered([Say(t.TOO_MANY_CODES if wrong >= MAX_WRONG_CODES else t.WRONG_CODE)])
        self.people.reset_count(counter)
        self.people.reset_count("refused:" + sender_hash(sender.channel, sender.external_id))
        if redeemed.kind is CodeKind.LINK:
            return Answered([Say(t.LINKED.format(name=redeemed.person.name))])
        assert redeemed.org is not None
        membership = next(
            m for m in self.people.memberships(redeemed.person.id) if m.org.id == redeemed.org.id
        )
        self.people.claim_conversation(key, membership.org.id, membership.person.id)
        welcome = t.JOINED.format(
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
                    return Admitted(m, TextIn("start"), [Say(t.PICKED.format(org=m.org.name))])
        lines = [
            t.PICK,
            *(f"  {n}. {m.org.name}" for n, m in enumerate(memberships, 1)),
            t.PICK_HINT,
        ]
        return Answered([Say("\n".join(lines))])


__all__ = [
    "CODE_WINDOW",
    "CONSOLE",
    "DEMO_ORGANISATION",
    "MAX_WRONG_CODES",
    "MIGRATED_ORGANISATION",
    "REFUSAL_WINDOW",
    "AccessGate",
    "Admitted",
    "Answered",
    "PeopleStore",
    "Redeemed",
    "console_bootstrap",
    "deep_link",
    "make_invite",
    "parked_chat",
]
