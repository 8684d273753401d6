"""The team lead's short dialogs of an escalation: starting one, and closing one.

``opschalen`` shows the calamity route first (a possible calamity never waits
on the team), then asks one question per message: the case code, the
question for the team, the disciplines (numbers from the organisation's
list ``lijsten.disciplines``, else typed), the urgency, and whether to send.
``sluit eN`` asks the outcome and then the lessons. Where the dialog is, is
kept on the escalation (``step``, ``asked_at``), so a restart between two
messages loses nothing; a message more than :data:`DIALOG_WAIT` after the
question goes on to the conversation instead.

:class:`EscalationParts` also holds what the words share: queueing notices
(the outbox; the notifier delivers them on its next round), whether a
person's chat may hold free text, audit lines, and starting an escalation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.engine.context import FindsIdentifiers
from bot.identify import describe
from bot.org.model import AuditAction, AuditEntry, Membership, Role
from bot.service.access import Answered
from bot.service.chat_words import PATTERNS, say
from bot.service.ports import AddressBook, Notice
from bot.service.together import escalation_texts as t
from bot.service.together.escalation import (
    CALAMITY_ROUTE,
    CANCELLED,
    CLOSED,
    DRAFT,
    NOT_HERE,
    OPEN,
    OUTCOMES,
    REQUESTED,
    STEP_CASE,
    STEP_DISCIPLINES,
    STEP_LESSONS,
    STEP_OUTCOME,
    STEP_QUESTION,
    STEP_SEND,
    STEP_URGENCY,
    Escalation,
    EscalationStore,
    fit,
)
from bot.service.together.shown import may_show_text

DIALOG_WAIT = timedelta(hours=1)
"""How long a question of the dialog waits for its answer."""
CASE_MAX, TEXT_MAX, DISCIPLINES_MAX = 20, 200, 100


class Members(Protocol):
    """The people store's ``members`` (``bot.service.access.PeopleStore``)."""

    def members(self, org_id: int, role: Role | None = None) -> list[Membership]:
        """An organisation's members (with ``role`` only, when given)."""


class Queues(Protocol):
    """The outbox's ``queue_message`` (``OutboxStore``): a notice to deliver soon."""

    def queue_message(self, org_id: str, person_id: str, notice: Notice, now: datetime) -> int:
        """Keep ``notice`` for ``person_id``."""


@dataclass(eq=False)
class EscalationParts:
    """What the escalation words share (see the module doc), and the lead's dialogs."""

    store: EscalationStore
    people: Members
    outbox: Queues
    settings_of: Callable[[int | None], Mapping[str, Any]]
    _: KW_ONLY
    addresses: AddressBook | None = None
    audit: Callable[[Sequence[AuditEntry]], None] | None = None
    identifiers: Callable[[], FindsIdentifiers] = lambda: PATTERNS
    """The conversation's name check once it is loaded (``service.identifiers``)."""

    # ------------------------------------------------------------ shared

    def queue(self, org_id: int, person_id: int, notice: Notice, now: datetime) -> None:
        self.outbox.queue_message(str(org_id), str(person_id), notice, now)

    def free_text_ok(self, org_id: int, person_id: int) -> bool:
        """May a notice to this person hold free text (the question, a note)?"""
        address = None if self.addresses is None else self.addresses.last_address(str(person_id))
        return may_show_text(None if address is None else address.channel, self.settings_of(org_id))

    def labels(self, org_id: int) -> Mapping[str, Any]:
        """The organisation's disciplines (key -> label); empty if it has no list."""
        lists = self.settings_of(org_id).get("lijsten")
        found = lists.get("disciplines") if isinstance(lists, Mapping) else None
        return found if isinstance(found, Mapping) else {}

    def name_of(self, org_id: int, person_id: int | None) -> str:
        found = next((m for m in self.people.members(org_id) if m.person.id == person_id), None)
        return found.person.name if found is not None else "je teamleider"

    def write_audit(
        self, member: Membership, action: AuditAction, e: Escalation, now: datetime
    ) -> None:
        if self.audit is not None:
            entry = AuditEntry(member.org.id, action, now, member.person.id, f"escalation:{e.id}")
            self.audit([entry])

    def check_text(self, text: str, limit: int) -> str | None:
        """Why ``text`` cannot be kept (too long, too short, identifying), or None."""
        if len(text) > limit:
            return t.TOO_LONG.format(length=len(text), max=limit)
        if sum(1 for ch in text if ch.isalnum()) < 2:
            return t.TOO_SHORT
        findings = self.identifiers().find(text)
        return t.IDENTIFYING.format(found=describe(findings)) if findings else None

    def start(
        self, member: Membership, e: Escalation, states: Sequence[str], now: datetime
    ) -> Escalation | str:
        """Send ``e`` to every tcp member; the started escalation, or why not (a text)."""
        team = [m for m in self.people.members(member.org.id, Role.TCP)]
        if not team:
            again = "ja" if e.state == DRAFT else f"accepteer {e.code}"
            return t.NO_TCP.format(org=member.org.name, again=again)
        started = self.store.change(
            e.id, states, state=OPEN, lead_id=member.person.id, step=None, started_at=now
        )
        if started is None:
            return t.UNKNOWN
        labels = self.labels(member.org.id)
        for m in team:
            free = self.free_text_ok(member.org.id, m.person.id)
            self.queue(
                member.org.id,
                m.person.id,
                t.asking_notice(t.TCP_CALL, started, member.person.name, labels, free),
                now,
            )
        self.write_audit(member, AuditAction.ESCALATION_STARTED, started, now)
        return started

    # ------------------------------------------------------------ the start dialog

    def begin(self, member: Membership, now: datetime) -> Answered:
        """``opschalen`` by a team lead: the calamity route, then the first question."""
        for old in self.store.of_lead(member.org.id, member.person.id, (DRAFT,)):
            self.store.change(old.id, (DRAFT,), state=CANCELLED, step=None)
        self.store.create(
            member.org.id,
            DRAFT,
            now,
            lead_id=member.person.id,
            step=STEP_CASE,
            asked_at=now,
        )
        return say(CALAMITY_ROUTE, t.ASK_CASE)

    def continue_dialog(self, member: Membership, text: str, now: datetime) -> Answered | None:
        """The answer to the dialog's waiting question, if one waits."""
        e = self.store.waiting_step(member.org.id, member.person.id, now - DIALOG_WAIT)
        if e is None or e.step is None:
            return None
        words = " ".join(text.lower().split())
        if words == "stop":
            if e.state == DRAFT:
                self.store.change(e.id, (DRAFT,), state=CANCELLED, step=None)
            else:
                self.store.change(e.id, (e.state,), step=None)
            return say(t.CANCELLED_TEXT if e.state == DRAFT else "Gestopt.")
        clean = " ".join(text.split())
        if e.step in (STEP_OUTCOME, STEP_LESSONS):
            return self._closing(member, e, clean, now)
        if e.step == "reden":
            return self.decline(member, e, clean, now)
        return self._drafting(member, e, clean, now)

    def _ask(self, e: Escalation, step: str, now: datetime, **fields: Any) -> Escalation | None:
        return self.store.change(e.id, (e.state,), step=step, asked_at=now, **fields)

    def _drafting(self, member: Membership, e: Escalation, text: str, now: datetime) -> Answered:
        labels = self.labels(member.org.id)
        if e.step == STEP_CASE:
            problem = self.check_text(text, CASE_MAX)
            if problem:
                return say(problem)
            if self.free_text_ok(member.org.id, member.person.id):
                self._ask(e, STEP_QUESTION, now, case_code=text)
                return say(t.ASK_QUESTION)
            # Like the flows' case descriptions: no free text on a chat without
            # end-to-end encryption, unless the organisation allows it.
            self._ask(e, STEP_DISCIPLINES, now, case_code=text)
            return say(t.NO_QUESTION_HERE, self._disciplines_question(labels))
        if e.step == STEP_QUESTION:
            problem = self.check_text(text, TEXT_MAX)
            if problem:
                return say(problem)
            self._ask(e, STEP_DISCIPLINES, now, question=text)
            return say(self._disciplines_question(labels))
        if e.step == STEP_DISCIPLINES:
            chosen = _disciplines(text, labels)
            if chosen is None:
                return say(t.WRONG_NUMBERS)
            if not labels and (problem := self.check_text(text, DISCIPLINES_MAX)):
                return say(problem)
            self._ask(e, STEP_URGENCY, now, disciplines=chosen)
            return say(t.ASK_URGENCY)
        if e.step == STEP_URGENCY:
            urgency = {"1": "normaal", "normaal": "normaal", "2": "spoed", "spoed": "spoed"}
            key = urgency.get(text.lower())
            if key is None:
                return say(t.ASK_AGAIN_URGENCY)
            asked = self._ask(e, STEP_SEND, now, urgency=key)
            assert asked is not None
            return say(t.ASK_SEND.format(summary=t.summary(asked, labels)))
        # STEP_SEND
        answer = text.lower()
        if answer in ("nee", "n", "stoppen"):
            self.store.change(e.id, (DRAFT,), state=CANCELLED, step=None)
            return say(t.CANCELLED_TEXT)
        if answer not in ("ja", "j", "versturen"):
            return say(t.ASK_AGAIN_SEND)
        started = self.start(member, e, (DRAFT,), now)
        if isinstance(started, str):
            return say(started)
        count = len(self.people.members(member.org.id, Role.TCP))
        return say(t.STARTED.format(count=t.members_text(count), code=started.code))

    @staticmethod
    def _disciplines_question(labels: Mapping[str, Any]) -> str:
        if labels:
            options = [str(v) for v in labels.values()]
            return f"{t.ASK_DISCIPLINES_LIST}\n{t.numbered(options)}"
        return t.ASK_DISCIPLINES_FREE

    # ------------------------------------------------------------ closing

    def close(self, member: Membership, e: Escalation, now: datetime) -> Answered:
        """``sluit eN``: ask the outcome (the lessons come next)."""
        asked = self.store.change(
            e.id, (OPEN,), step=STEP_OUTCOME, asked_at=now, lead_id=member.person.id
        )
        if asked is None:
            return say(t.UNKNOWN)
        return say(t.ASK_OUTCOME.format(code=e.code, choices=t.outcome_choices()))

    def _closing(self, member: Membership, e: Escalation, text: str, now: datetime) -> Answered:
        if e.step == STEP_OUTCOME:
            found = re.match(r"^\s*(\d)\b[\s.:,-]*(.*)$", text)
            keys = list(OUTCOMES)
            if found is None or not 1 <= int(found.group(1)) <= len(keys):
                return say(t.ASK_AGAIN_OUTCOME)
            note = found.group(2).strip() or None
            if note and (problem := self.check_text(note, TEXT_MAX)):
                return say(problem)
            self._ask(
                e, STEP_LESSONS, now, outcome=keys[int(found.group(1)) - 1], outcome_note=note
            )
            return say(t.ASK_LESSONS)
        lessons = None if text in ("-", "") else text
        if lessons and (problem := self.check_text(lessons, TEXT_MAX * 2)):
            return say(problem)
        closed = self.store.change(
            e.id, (OPEN,), state=CLOSED, step=None, closed_at=now, lessons=lessons
        )
        if closed is None:
            return say(t.UNKNOWN)
        self.write_audit(member, AuditAction.ESCALATION_CLOSED, closed, now)
        told = ""
        if closed.requested_by is not None:
            free = self.free_text_ok(closed.org_id, closed.requested_by)
            notice = t.outcome_notice(closed, member.person.name, free)
            self.queue(closed.org_id, closed.requested_by, notice, now)
            told = t.TOLD
        return say(t.CLOSED.format(code=closed.code, told=told))

    # ------------------------------------------------------------ declining

    def decline(self, member: Membership, e: Escalation, reason: str, now: datetime) -> Answered:
        """``weiger eN <reden>`` (or the reason asked for after ``weiger eN``)."""
        problem = self.check_text(reason, TEXT_MAX)
        if problem:
            return say(problem)
        declined = self.store.change(
            e.id,
            (REQUESTED,),
            state="declined",
            lead_id=member.person.id,
            step=None,
            decline_reason=reason,
            closed_at=now,
        )
        if declined is None:
            return say(t.UNKNOWN)
        self.write_audit(member, AuditAction.ESCALATION_DECLINED, declined, now)
        asker = declined.requested_by
        if asker is not None:
            free = self.free_text_ok(declined.org_id, asker)
            text = fit(
                t.DECLINED_PRO.format(
                    lead=member.person.name,
                    case=declined.case_code,
                    code=declined.code,
                    reason="{part}",
                ),
                reason if free else NOT_HERE,
            )
            self.queue(declined.org_id, asker, Notice(text), now)
        return say(t.DECLINED_LEAD.format(name=self.name_of(member.org.id, asker)))


def _disciplines(text: str, labels: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The chosen keys (numbers or words from the list), or the typed words; None: wrong."""
    if not labels:
        return tuple(w.strip() for w in text.split(",") if w.strip())[:6]
    keys = list(labels)
    chosen: list[str] = []
    for word in re.split(r"[\s,]+", text.lower()):
        if not word:
            continue
        if word.isdigit() and 1 <= int(word) <= len(keys):
            key = keys[int(word) - 1]
        else:
            key = next((k for k in keys if word in (k, str(labels[k]).lower())), "")
        if not key:
            return None
        if key not in chosen:
            chosen.append(key)
    return tuple(chosen) or None
