"""The chat words of the vier-ogen confirmation, for the professional and the colleague.

The access gate asks :class:`ConfirmWords` about every member's text
(``AccessGate.word_handlers``), on every channel, before the conversation
sees it; None lets the text go on. A tapped button sends the same words as
typing them.

- The professional: ``bevestigen`` (up to 5 colleagues of the organisation,
  the ones asked before first, as numbered choices), ``bevestigen 2`` or
  ``bevestigen`` with part of a display name (asks that colleague: the
  notice goes through the outbox to whatever channel they use),
  ``bevestigcode`` (a short one-time code for a colleague next to them) and
  ``zonder bevestiging``.
- The colleague: ``bevestig <code>`` (the confirm question here and now),
  ``klopt b12`` / ``klopt niet b12`` (the code may be left out when one
  request waits), and after "Klopt niet helemaal" the next message within
  half an hour as the remark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.engine.context import FindsIdentifiers
from bot.engine.messages import Choice, Say
from bot.identify.findings import describe
from bot.org.model import AuditAction, AuditEntry, Membership
from bot.service.access import Answered, PeopleStore
from bot.service.chat_words import PATTERNS, ChatWords, say
from bot.service.followup import FollowupStore, zone_of
from bot.service.ports import ConversationKey, Notice, OutboxStore, StoredRecord
from bot.service.together.confirm import (
    ASKED,
    CODE,
    CODE_VALID,
    CONFIRMED,
    FLOWS,
    NOT_QUITE,
    OPEN_STATES,
    REMARK,
    REMARK_WAIT,
    WITHOUT,
    Confirmation,
    ConfirmStore,
    Move,
    answer_choices,
    ask_notice,
    ask_text,
    case_text,
    confirmed_line,
    day_text,
    hash_short_code,
    new_request,
    new_short_code,
    remind_time,
    told_text,
    vier_ogen_part,
    working_days,
)
from bot.service.together.shown import may_show_text

# ---------------------------------------------------------------- texts (B1 Dutch)

NO_RECORD = (
    "Je hebt geen vastlegging van een vier-ogen overleg om te laten bevestigen. "
    "Maak die eerst (kies Vier-ogen overleg in het menu)."
)
PICK_HEAD = "Welke collega bevestigt het vier-ogen overleg{case}?"
PICK_HINT = "Je kunt ook typen: bevestigen en een deel van de naam."
NO_COLLEAGUES = "Er zijn nog geen collega's van {org} bij de bot. Typ: bevestigcode."
UNKNOWN_COLLEAGUE = "Die collega ken ik niet bij {org}. Typ: bevestigen, voor de lijst."
SEVERAL = "Meer collega's passen bij die naam: {names}. Typ meer van de naam."
ASKED_TEXT = (
    "Ik heb {colleague} gevraagd het vier-ogen overleg{case} te bevestigen. "
    "Je hoort het als {colleague} antwoordt."
)
CODE_TEXT = (
    "Je code: {code}\nLaat je collega op de eigen telefoon aan de bot typen: bevestig {code}\n"
    "De code werkt 15 minuten, één keer."
)
WRONG_CODE = "Deze code klopt niet, is al gebruikt of is verlopen. Vraag je collega om een nieuwe."
OWN_CODE = "Dit is je eigen code. Laat een collega die typen op de eigen telefoon."
UNKNOWN_REQUEST = "Dat verzoek ken ik niet, of het is al beantwoord."
MANY_WAITING = "Er wachten meer vragen op je. Typ de code erbij, bijvoorbeeld: klopt {code}."
ASK_REMARK = "Wat klopt er niet helemaal? Schrijf het kort in één bericht, zonder namen."
REMARK_IDENTIFYING = (
    "In je opmerking staat iets waaraan je iemand kunt herkennen ({found}). "
    "Schrijf de opmerking opnieuw, zonder die gegevens."
)
THANKS = "Dank je. {asker} hoort dat het klopt."
THANKS_REMARK = "Dank je. {asker} krijgt je opmerking bij de vastlegging."
WITHOUT_TEXT = "Genoteerd: je gaat verder zonder bevestiging."
NOTHING_OPEN = "Er staat geen vraag om bevestiging open."
LIST_MAX = 5
REMARK_MAX = 300

_ANSWER = re.compile(r"^klopt(?P<not>\s+niet(?:\s+helemaal)?)?(?:\s+b(?P<id>\d{1,9}))?$")
_CODE = re.compile(r"^bevestig\s+([a-z2-7]{4}-?[a-z2-7]{4})$")


@dataclass(eq=False)
class ConfirmWords(ChatWords):
    """Answers the confirmation's words for a member; None for any other text."""

    store: ConfirmStore
    followup: FollowupStore
    records: Callable[[ConversationKey], Sequence[StoredRecord]]
    people: PeopleStore
    outbox: OutboxStore
    settings_of: Callable[[int | None], Mapping[str, Any]]
    _: KW_ONLY
    audit: Callable[[Sequence[AuditEntry]], None] | None = None
    queued: Callable[[str], None] | None = None
    """Called with the receiver's channel after a notice went into the outbox:
    delivery may start now (``bot.app.DeliverSoon``), not at the next round."""
    identifiers: Callable[[], FindsIdentifiers] = lambda: PATTERNS
    """What keeps names, phone numbers and the like out of a remark (the
    service's detector: ``ConversationService.identifiers``)."""

    def answer(self, words: str, text: str, member: Membership, now: datetime) -> Answered | None:
        if words == "bevestigen":
            return self._pick(member, now)
        if words.startswith("bevestigen "):
            return self._ask(member, words.removeprefix("bevestigen ").strip(), now)
        if words == "bevestigcode":
            return self._code(member, now)
        if words == "zonder bevestiging":
            return self._without(member, now)
        if found := _CODE.match(words):
            return self._redeem(member, found.group(1), now)
        if found := _ANSWER.match(words):
            number = found.group("id")
            return self._answer(member, bool(found.group("not")), number, now)
        return self._remark(member, text.strip(), now)

    # ------------------------------------------------------------ the professional

    def _record(self, member: Membership, now: datetime) -> StoredRecord | None:
        """The member's newest vastlegging with a vier-ogen part, within retention."""
        days = int(self.settings_of(member.org.id).get("bewaartermijn_dagen") or 30)
        since = now - timedelta(days=days)
        for index in self.followup.records_of(member.org.id, member.person.id, since):
            if index.flow_id in FLOWS:
                stored = next((r for r in self.records(index.key) if r.id == index.record_id), None)
                if stored is not None:
                    return stored
        return None

    def _colleagues(self, member: Membership) -> list[Membership]:
        """Up to 5 colleagues: the ones asked before, most recent first, then others."""
        others = {
            m.person.id: m
            for m in self.people.members(member.org.id)
            if m.person.id != member.person.id
        }
        recent = [others[p] for p in self.store.recent_colleagues(member.org.id, member.person.id)]
        rest = sorted(
            (m for m in others.values() if m not in recent), key=lambda m: m.person.name.lower()
        )
        seen: list[Membership] = []
        for m in [*recent, *rest]:
            if m not in seen:
                seen.append(m)
        return seen[:LIST_MAX]

    def _pick(self, member: Membership, now: datetime) -> Answered:
        record = self._record(member, now)
        if record is None:
            return say(NO_RECORD)
        colleagues = self._colleagues(member)
        if not colleagues:
            return say(NO_COLLEAGUES.format(org=member.org.name))
        lines = [PICK_HEAD.format(case=case_text(record.case_code))]
        lines += [f"{n}. {m.person.name}" for n, m in enumerate(colleagues, 1)]
        lines.append(PICK_HINT)
        actions = [
            Choice(f"bevestigen {n}", m.person.name[:24]) for n, m in enumerate(colleagues, 1)
        ]
        actions.append(Choice("bevestigcode", "Code voor naast je"))
        return Answered([Say("\n".join(lines)[:600], actions=tuple(actions))])

    def _ask(self, member: Membership, which: str, now: datetime) -> Answered:
        record = self._record(member, now)
        if record is None:
            return say(NO_RECORD)
        colleague: Membership | None
        if which.isdigit():
            listed = self._colleagues(member)
            number = int(which)
            colleague = listed[number - 1] if 1 <= number <= len(listed) else None
        else:
            matches = [
                m
                for m in self.people.members(member.org.id)
                if m.person.id != member.person.id and which in m.person.name.lower()
            ]
            exact = [m for m in matches if m.person.name.lower() == which]
            if len(exact) == 1 or len(matches) == 1:
                colleague = (exact or matches)[0]
            elif len(matches) > 1:
                names = ", ".join(m.person.name for m in matches[:LIST_MAX])
                return say(SEVERAL.format(names=names))
            else:
                colleague = None
        if colleague is None:
            return say(UNKNOWN_COLLEAGUE.format(org=member.org.name))
        settings = self.settings_of(member.org.id)
        remind_at = remind_time(now, working_days(settings), zone_of(settings))
        asked = new_request(member, record, now, ASKED)
        request = self.store.add(
            replace(asked, colleague_id=colleague.person.id, remind_at=remind_at)
        )
        address = self.people.last_address(colleague.person.id)
        show = may_show_text(address.channel if address else None, settings)
        notice = ask_notice(member.person.name, request, vier_ogen_part(record.text), show)
        self._send(colleague.person.id, member.org.id, notice, now)
        self._audit(member, AuditAction.CONFIRMATION_REQUESTED, record.id, now)
        name = colleague.person.name
        return say(ASKED_TEXT.format(colleague=name, case=case_text(record.case_code)))

    def _code(self, member: Membership, now: datetime) -> Answered:
        record = self._record(member, now)
        if record is None:
            return say(NO_RECORD)
        code = new_short_code()
        made = new_request(member, record, now, CODE)
        self.store.add(replace(made, code_hash=hash_short_code(code), code_until=now + CODE_VALID))
        self._audit(member, AuditAction.CONFIRMATION_REQUESTED, record.id, now)
        return say(CODE_TEXT.format(code=code))

    def _without(self, member: Membership, now: datetime) -> Answered:
        closed = [
            r
            for r in self.store.open_of(member.org.id, member.person.id)
            if self.store.move(Move(r.id, OPEN_STATES, WITHOUT, now))
        ]
        return say(WITHOUT_TEXT if closed else NOTHING_OPEN)

    # ------------------------------------------------------------ the colleague

    def _redeem(self, member: Membership, code: str, now: datetime) -> Answered:
        request = self.store.by_code(hash_short_code(code), now)
        if request is None or request.org_id != member.org.id:
            return say(WRONG_CODE)
        if request.asker_id == member.person.id:
            return say(OWN_CODE)
        settings = self.settings_of(member.org.id)
        remind_at = remind_time(now, working_days(settings), zone_of(settings))
        taken = Move(request.id, (CODE,), ASKED, now, member.person.id, remind_at=remind_at)
        if not self.store.move(taken):
            return say(WRONG_CODE)
        stored = next((r for r in self.records(request.key) if r.id == request.record_id), None)
        part = vier_ogen_part(stored.text) if stored is not None else []
        asker = self._name(member.org.id, request.asker_id)
        # Both phones are together: the question comes here, as on any channel.
        show = may_show_text(_channel_of(self.people, member.person.id), settings)
        text = ask_text(asker, request, part, show)
        return Answered([Say(text, actions=answer_choices(request))])

    def _answer(
        self, member: Membership, not_quite: bool, number: str | None, now: datetime
    ) -> Answered | None:
        waiting = [
            r for r in self.store.open_for(member.org.id, member.person.id) if r.state == ASKED
        ]
        if number is None:
            if not waiting:
                return None  # not ours: "klopt" may answer the conversation
            if len(waiting) > 1:
                return say(MANY_WAITING.format(code=waiting[0].code))
            request = waiting[0]
        else:
            found = self.store.get(int(number))
            if (
                found is None
                or found.org_id != member.org.id
                or found.colleague_id != member.person.id
                or found.state != ASKED
            ):
                return say(UNKNOWN_REQUEST)
            request = found
        if not_quite:
            if not self.store.move(Move(request.id, (ASKED,), REMARK, now)):
                return say(UNKNOWN_REQUEST)
            return say(ASK_REMARK)
        return self._finish(member, request, None, now)

    def _remark(self, member: Membership, text: str, now: datetime) -> Answered | None:
        if not text:
            return None
        waiting = [
            r
            for r in self.store.open_for(member.org.id, member.person.id)
            if r.state == REMARK
            and r.answered_at is not None
            and r.answered_at >= now - REMARK_WAIT
        ]
        if not waiting:
            return None
        if found := self.identifiers().find(text):
            return say(REMARK_IDENTIFYING.format(found=describe(found)))
        return self._finish(member, waiting[0], text[:REMARK_MAX], now)

    def _finish(
        self, member: Membership, request: Confirmation, remark: str | None, now: datetime
    ) -> Answered:
        state = CONFIRMED if remark is None else NOT_QUITE
        start = (ASKED,) if remark is None else (REMARK,)
        if not self.store.move(Move(request.id, start, state, now, remark=remark)):
            return say(UNKNOWN_REQUEST)
        settings = self.settings_of(member.org.id)
        line = confirmed_line(member.person.name, day_text(now, zone_of(settings)), remark)
        self.store.add_record_line(request.record_id, line)
        self._audit(member, AuditAction.CONFIRMATION_ANSWERED, request.record_id, now)
        answered = self.store.get(request.id) or request
        show = may_show_text(_channel_of(self.people, request.asker_id), settings)
        told = told_text(member.person.name, answered, line, show)
        self._send(request.asker_id, member.org.id, Notice(told), now)
        asker = self._name(member.org.id, request.asker_id)
        return say((THANKS if remark is None else THANKS_REMARK).format(asker=asker))

    # ------------------------------------------------------------ helpers

    def _name(self, org_id: int, person_id: int) -> str:
        return display_name(self.people, org_id, person_id)

    def _send(self, person_id: int, org_id: int, notice: Notice, now: datetime) -> None:
        """Into the outbox: the next scheduler round delivers it on their channel."""
        self.outbox.queue_message(str(org_id), str(person_id), notice, now)
        channel = _channel_of(self.people, person_id)
        if self.queued is not None and channel is not None:
            self.queued(channel)

    def _audit(
        self, member: Membership, action: AuditAction, record_id: str, now: datetime
    ) -> None:
        if self.audit is not None:
            self.audit([AuditEntry(member.org.id, action, now, member.person.id, record_id)])


def display_name(people: PeopleStore, org_id: int, person_id: int) -> str:
    """A member's display name ("een collega" if they are gone)."""
    found = next((m for m in people.members(org_id) if m.person.id == person_id), None)
    return found.person.name if found is not None else "een collega"


def _channel_of(people: PeopleStore, person_id: int) -> str | None:
    address = people.last_address(person_id)
    return address.channel if address is not None else None
