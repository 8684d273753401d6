"""The follow-up's chat words: answers to reminders, ``mijn acties``,
``mijn vastleggingen`` and ``overzicht``.

The access gate asks :class:`FollowupWords` about every member's text
(``AccessGate.word_handlers``) before the conversation sees it, so a reminder
can be answered in the middle of one's own conversation, on any channel: a
tapped quick reply sends the same words as typing them ("ja a17", "later
a17", "vervalt a17"; the code names the action). "Nog niet, nieuwe datum"
asks for the date; the next message within half an hour that reads as a
date from today on (the engine's Dutch date reader) is taken, anything else
(a past date too: "gisteren" answers the conversation) goes on to the
conversation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.engine.dates import parse_dutch_date
from bot.engine.messages import Document
from bot.org.model import AuditAction, AuditEntry, Membership, Role
from bot.service.access import Answered
from bot.service.chat_words import MAX_TEXT, ChatWords, say
from bot.service.followup import (
    DATE_WAIT,
    DONE,
    DROPPED,
    LATE,
    NOT_NEEDED,
    ON_TIME,
    STEP,
    Action,
    CountSource,
    Fact,
    FollowupStore,
    day_text,
    reminder_time,
    zone_of,
)
from bot.service.overview import overview_rows, overview_text
from bot.service.ports import ConversationKey, StoredRecord

# ---------------------------------------------------------------- texts (B1 Dutch)

DONE_TEXT = "Genoteerd: gedaan op {day}. Dat staat nu bij de vastlegging (typ: mijn vastleggingen)."
DROPPED_TEXT = "Genoteerd: niet meer nodig. Ik herinner je er niet meer aan."
ASK_DATE = "Wanneer dan? Typ een datum, bijvoorbeeld: vrijdag, over een week of 12-12."
POSTPONED = "Genoteerd: nieuwe datum {day}. Ik vraag het je die ochtend opnieuw."
PAST_DATE = "Die datum is al voorbij. Typ een datum vanaf vandaag, bijvoorbeeld: vrijdag."
UNKNOWN_ACTION = "Die afspraak ken ik niet, of die is al afgesloten. Typ: mijn acties."
NO_ACTIONS = "Je hebt geen open afspraken."
ACTIONS_HEAD = "Je open afspraken:"
ACTIONS_HINT = "Gedaan? Typ bijvoorbeeld: ja {code}. Later? later {code}. Vervalt? vervalt {code}."
NO_RECORDS = "Je hebt geen vastleggingen van de laatste {days} dagen."
RECORDS_HEAD = "Je vastleggingen van de laatste {days} dagen:"
RECORDS_HINT = "Nog een keer krijgen? Typ: mijn vastleggingen 1 (of een ander nummer)."
RECORD_GONE = "Die vastlegging is er niet meer. Typ: mijn vastleggingen."
ONLY_LEADS = "Het overzicht is voor een teamleider of beheerder van {org}."
STATUS_HEAD = "STAND VAN DE AFSPRAKEN"
LIST_MAX = 10

_ANSWER = re.compile(r"^(ja|gedaan|later|vervalt)\s+a(\d{1,9})(?:\s+(.+))?$")


class FollowupWords(ChatWords):
    """Answers the follow-up's words for a member; None for any other text."""

    def __init__(
        self,
        store: FollowupStore,
        records: Callable[[ConversationKey], Sequence[StoredRecord]],
        settings_of: Callable[[int | None], Mapping[str, Any]],
        *,
        titles: Mapping[str, str] | None = None,
        sources: Iterable[CountSource] = (),
        audit: Callable[[Sequence[AuditEntry]], None] | None = None,
    ) -> None:
        self.store = store
        self.records = records
        self.settings_of = settings_of
        self.titles = dict(titles or {})
        self.sources = list(sources)
        """Counts of other parts for the overview (escalations, confirmations)."""
        self.audit = audit

    def answer(self, words: str, text: str, member: Membership, now: datetime) -> Answered | None:
        if words == "mijn acties":
            return say(self._actions_text(member))
        if words == "mijn vastleggingen" or words.startswith("mijn vastleggingen "):
            return self._records(member, words.removeprefix("mijn vastleggingen").strip(), now)
        if words == "overzicht":
            return self._overview(member)
        found = _ANSWER.match(words)
        if found:
            return self._answer(member, found.group(1), int(found.group(2)), found.group(3), now)
        return self._date_answer(member, text, now)

    # ------------------------------------------------------------ reminders

    def _answer(
        self, member: Membership, word: str, action_id: int, rest: str | None, now: datetime
    ) -> Answered:
        action = self.store.action(action_id)
        if (
            action is None
            or action.state != "open"
            or action.person_id != member.person.id
            or action.org_id != member.org.id
        ):
            return say(UNKNOWN_ACTION)
        today = now.astimezone(zone_of(self.settings_of(member.org.id))).date()
        if word in ("ja", "gedaan"):
            fact = Fact(
                action.org_id,
                action.due_on.strftime("%Y-%m"),
                STEP,
                ON_TIME if today <= action.due_on else LATE,
            )
            if not self.store.close_action(action.id, DONE, today, fact, now):
                return say(UNKNOWN_ACTION)
            return say(DONE_TEXT.format(day=today.strftime("%d-%m-%Y")))
        if word == "vervalt":
            fact = Fact(action.org_id, action.due_on.strftime("%Y-%m"), STEP, NOT_NEEDED)
            if not self.store.close_action(action.id, DROPPED, today, fact, now):
                return say(UNKNOWN_ACTION)
            return say(DROPPED_TEXT)
        postponed = self._postpone(member, action, rest, now) if rest else None
        if postponed is not None:
            return postponed
        self.store.ask_date(action.id, now)  # the next message that is a date
        return say(ASK_DATE)

    def _date_answer(self, member: Membership, text: str, now: datetime) -> Answered | None:
        waiting = self.store.waiting_for_date(member.org.id, member.person.id, now - DATE_WAIT)
        if waiting is None:
            return None
        answered = self._postpone(member, waiting, text, now, past_is_ours=False)
        if answered is None:  # no future date: the conversation gets it
            self.store.ask_date(waiting.id, None)
        return answered

    def _postpone(
        self,
        member: Membership,
        action: Action,
        text: str,
        now: datetime,
        *,
        past_is_ours: bool = True,
    ) -> Answered | None:
        """A new date for ``action`` from ``text``; None if ``text`` is no date (or,
        unless ``past_is_ours``, a past one: an answer to the conversation)."""
        zone = zone_of(self.settings_of(member.org.id))
        local = now.astimezone(zone)
        day = parse_dutch_date(text, local, "future")
        if day is None or (day < local.date() and not past_is_ours):
            return None
        if day < local.date():
            return say(PAST_DATE)
        remind_at = reminder_time(day, zone, now, urgent=action.urgent)
        if not self.store.postpone(action.id, day, remind_at):
            return say(UNKNOWN_ACTION)
        return say(POSTPONED.format(day=day_text(day)))

    # ------------------------------------------------------------ lists

    def _actions_text(self, member: Membership) -> str:
        actions = self.store.open_actions(member.org.id, member.person.id)
        if not actions:
            return NO_ACTIONS
        lines = [ACTIONS_HEAD]
        for a in actions[:LIST_MAX]:
            case = f" · {a.case_code}" if a.case_code else ""
            owner = "" if a.owner == "ik" else f" ({a.owner})"
            lines.append(f"• {a.description}{owner}{case} · {day_text(a.due_on)} · {a.code}")
        hint = ACTIONS_HINT.format(code=actions[0].code)
        return _fit(lines, hint)

    def _records(self, member: Membership, which: str, now: datetime) -> Answered:
        days = int(self.settings_of(member.org.id).get("bewaartermijn_dagen") or 30)
        found = self.store.records_of(member.org.id, member.person.id, now - timedelta(days=days))
        if not which:
            if not found:
                return say(NO_RECORDS.format(days=days))
            lines = [RECORDS_HEAD.format(days=days)]
            zone = zone_of(self.settings_of(member.org.id))
            for n, r in enumerate(found[:LIST_MAX], 1):
                title = self.titles.get(r.flow_id, r.flow_id)
                when = r.created_at.astimezone(zone).strftime("%d-%m-%Y")
                stored = self._stored(r.key, r.record_id)
                case = f" · {stored.case_code}" if stored and stored.case_code else ""
                lines.append(f"{n}. {when} · {title}{case}")
            return say(_fit(lines, RECORDS_HINT))
        if not which.isdigit() or not 1 <= int(which) <= min(len(found), LIST_MAX):
            return say(RECORD_GONE)
        index = found[int(which) - 1]
        stored = self._stored(index.key, index.record_id)
        if stored is None:
            return say(RECORD_GONE)
        if self.audit is not None:
            self.audit(
                [
                    AuditEntry(
                        member.org.id,
                        AuditAction.RECORD_OPENED,
                        now,
                        actor=member.person.id,
                        subject=stored.id,
                    )
                ]
            )
        return Answered([self._document(stored, index.flow_id)])

    def _stored(self, key: ConversationKey, record_id: str) -> StoredRecord | None:
        return next((r for r in self.records(key) if r.id == record_id), None)

    def _document(self, stored: StoredRecord, flow_id: str) -> Document:
        status = status_lines(self.store.record_actions(stored.id))
        text = stored.text.rstrip("\n")
        if status:
            text += "\n\n" + "\n".join([STATUS_HEAD, *status])
        day = stored.created_at.date().isoformat()
        code = re.sub(r"[^A-Za-z0-9_-]+", "-", stored.case_code or "").strip("-")
        stem = "vastlegging" + (f"-{code}" if code else "") + (f"-{day}" if day else "")
        title = f"Vastlegging: {self.titles.get(flow_id, flow_id)}"
        return Document(
            title=title,
            text=text + "\n",
            markdown=_markdown(text) + "\n",
            filename=f"{stem}.txt",
            final=True,
        )

    # ------------------------------------------------------------ overview

    def _overview(self, member: Membership) -> Answered:
        if not (member.has(Role.TEAMLEIDER) or member.has(Role.BEHEERDER)):
            return say(ONLY_LEADS.format(org=member.org.name))
        rows = overview_rows(member.org.id, self.store, self.sources)
        return say(overview_text(member.org.name, rows))


def status_lines(actions: Sequence[Action]) -> list[str]:
    """How each agreed step of a record stands ("gedaan op …"), for the record."""
    lines = []
    for a in actions:
        done_on = a.done_on.strftime("%d-%m-%Y") if a.done_on else ""
        state = {
            DONE: f"gedaan op {done_on}",
            DROPPED: f"niet meer nodig (op {done_on})",
        }.get(a.state, f"nog open, voor {day_text(a.due_on)}")
        lines.append(f"- {a.description}: {state}")
    return lines


def _fit(lines: list[str], hint: str) -> str:
    """The lines and the hint within 600 characters (lines dropped from the end)."""
    while len(lines) > 1 and len("\n".join([*lines, hint])) > MAX_TEXT:
        lines.pop()
    return "\n".join([*lines, hint])[:MAX_TEXT]


def _markdown(text: str) -> str:
    """Plain text safe to show as Markdown (the stored record has no Markdown copy)."""
    escaped = re.sub(r"([\\*_#`\[\]])", r"\\\1", text)
    return escaped.replace("\n", "  \n")
