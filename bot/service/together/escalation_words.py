"""The escalation's chat words, answered by the access gate on every channel.

``AccessGate.word_handlers`` asks :class:`EscalationWords` about every
member's text before the conversation sees it (the follow-up's words are the
model). The words, each with the escalation's short code ("e3"):

- ``opschalen`` (a team lead): the start dialog (``escalation_dialog``);
  anyone else's ``opschalen`` goes on to the conversation (the flow);
- ``opschalen vragen`` (a professional, after a vastlegging that says yes to
  escalating): a request to every team lead of the organisation;
- ``accepteer e3`` / ``weiger e3 <reden>`` (a team lead);
- ``ik doe mee e3`` / ``kan niet e3`` (a member of the team, role ``tcp``);
- ``status e3``, ``datum e3 <datum>`` (the engine's Dutch date reader), and
  ``sluit e3`` (then the outcome and the lessons, one message each).

Notices go through the outbox, so every channel gets them on the notifier's
next round; a meeting's reminder is a one-off scheduler job
(:mod:`bot.service.together.escalation_jobs`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.engine.dates import parse_dutch_date
from bot.org.model import AuditAction, Membership, Role
from bot.service.access import Answered
from bot.service.chat_words import ChatWords, say
from bot.service.followup import zone_of
from bot.service.ports import Notice, StoredRecord
from bot.service.together import escalation_texts as t
from bot.service.together.escalation import (
    CALAMITY_ROUTE,
    CANNOT,
    JOIN,
    OPEN,
    REASONS,
    REQUESTED,
    Escalation,
)
from bot.service.together.escalation_dialog import (
    EscalationParts,
)
from bot.service.together.escalation_jobs import Schedules, plan_reminder

_CODED = re.compile(
    r"^(accepteer|weiger|status|datum|sluit|ik doe mee|kan niet)\s+e(\d{1,9})(?:\s+(.+))?$",
    re.IGNORECASE | re.DOTALL,
)

RecentRecords = Callable[[int, int, datetime], Sequence[StoredRecord]]
"""A member's records made since a moment, newest first (org id, person id, since)."""


@dataclass(eq=False, kw_only=True)
class EscalationWords(EscalationParts, ChatWords):
    """Answers the escalation's words for a member; None for any other text."""

    records: RecentRecords
    schedule: Schedules | None = None

    def answer(self, words: str, text: str, member: Membership, now: datetime) -> Answered | None:
        if words == "opschalen":
            return self.begin(member, now) if member.has(Role.TEAMLEIDER) else None
        if words == "opschalen vragen":
            return self.request(member, now)
        found = _CODED.match(" ".join(text.split()))
        if found:
            word = found.group(1).lower()
            rest = (found.group(3) or "").strip()
            return self._coded(member, word, int(found.group(2)), rest, now)
        return self.continue_dialog(member, text, now)

    def _coded(
        self, member: Membership, word: str, number: int, rest: str, now: datetime
    ) -> Answered:
        e = self.store.escalation(number)
        if e is None or e.org_id != member.org.id:
            return say(t.UNKNOWN)
        if word in ("ik doe mee", "kan niet"):
            if not member.has(Role.TCP):
                return say(t.ONLY_TCP.format(org=member.org.name))
            return self._answer(member, e, JOIN if word == "ik doe mee" else CANNOT, now)
        if not member.has(Role.TEAMLEIDER):
            return say(t.ONLY_LEAD.format(org=member.org.name))
        if word == "accepteer":
            return self._accept(member, e, now)
        if word == "weiger":
            if rest:
                return self.decline(member, e, rest, now)
            asked = self.store.change(
                e.id, (REQUESTED,), lead_id=member.person.id, step="reden", asked_at=now
            )
            return say(t.ASK_DECLINE_REASON if asked else t.UNKNOWN)
        if e.state != OPEN:
            return say(t.UNKNOWN)
        if word == "status":
            return self._status(member, e)
        if word == "datum":
            return self._date(member, e, rest, now)
        return self.close(member, e, now)

    # ------------------------------------------------------------ the request

    def request(self, member: Membership, now: datetime) -> Answered:
        """``opschalen vragen``: the newest record that says yes goes to the team leads."""
        days = int(self.settings_of(member.org.id).get("bewaartermijn_dagen") or 30)
        since = now - timedelta(days=days)
        found = None
        for record in self.records(member.org.id, member.person.id, since):
            found = escalation_answers(record)
            if found is not None:
                break
        if found is None:
            return say(t.NO_RECORD)
        running = self.store.of_requester(member.org.id, member.person.id, (REQUESTED, OPEN))
        same = next((e for e in running if e.case_code == found["case_code"]), None)
        if same is not None:
            return say(t.ALREADY.format(case=same.case_code, code=same.code))
        leads = [
            m
            for m in self.people.members(member.org.id, Role.TEAMLEIDER)
            if m.person.id != member.person.id
        ]
        if not leads:
            return say(t.NO_LEAD.format(org=member.org.name))
        e = self.store.create(member.org.id, REQUESTED, now, requested_by=member.person.id, **found)
        labels = self.labels(member.org.id)
        for lead in leads:
            free = self.free_text_ok(member.org.id, lead.person.id)
            notice = t.asking_notice(t.LEAD_REQUEST, e, member.person.name, labels, free)
            self.queue(member.org.id, lead.person.id, notice, now)
        self.write_audit(member, AuditAction.ESCALATION_REQUESTED, e, now)
        names = ", ".join(m.person.name for m in leads)
        return say(CALAMITY_ROUTE, t.REQUEST_SENT.format(leads=names, code=e.code))

    def _accept(self, member: Membership, e: Escalation, now: datetime) -> Answered:
        if e.state != REQUESTED:
            return say(t.UNKNOWN)
        started = self.start(member, e, (REQUESTED,), now)
        if isinstance(started, str):
            return say(started)
        if started.requested_by is not None:
            text = t.ACCEPTED_PRO.format(
                lead=member.person.name, case=started.case_code, code=started.code
            )
            self.queue(started.org_id, started.requested_by, Notice(text), now)
        count = len(self.people.members(member.org.id, Role.TCP))
        return say(t.STARTED.format(count=t.members_text(count), code=started.code))

    # ------------------------------------------------------------ the team

    def _answer(self, member: Membership, e: Escalation, answer: str, now: datetime) -> Answered:
        if e.state != OPEN:
            return say(t.UNKNOWN)
        self.store.answer(e.id, member.person.id, answer, now)
        self.write_audit(member, AuditAction.ESCALATION_ANSWERED, e, now)
        if answer == CANNOT:
            return say(t.CANNOT.format(code=e.code))
        when = t.WHEN_SET.format(day=t.meeting_day(e.meeting_on)) if e.meeting_on else t.WHEN_LATER
        return say(t.JOINED.format(code=e.code, when=when))

    def _status(self, member: Membership, e: Escalation) -> Answered:
        answers = {a.person_id: a.answer for a in self.store.answers(e.id)}
        team = self.people.members(member.org.id, Role.TCP)
        names = {m.person.id: m.person.name for m in self.people.members(member.org.id)}
        joined = [names.get(p, f"#{p}") for p, a in answers.items() if a == JOIN]
        cannot = [names.get(p, f"#{p}") for p, a in answers.items() if a == CANNOT]
        silent = [m.person.name for m in team if m.person.id not in answers]
        return say(t.status_text(e, joined, cannot, silent))

    def _date(self, member: Membership, e: Escalation, rest: str, now: datetime) -> Answered:
        zone = zone_of(self.settings_of(member.org.id))
        local = now.astimezone(zone)
        day = parse_dutch_date(rest, local, "future") if rest else None
        if day is None:
            return say(t.ASK_DATE.format(code=e.code))
        if day < local.date():
            return say(t.PAST_DATE)
        changed = self.store.change(e.id, (OPEN,), meeting_on=day)
        if changed is None:
            return say(t.UNKNOWN)
        if self.schedule is not None:
            plan_reminder(self.schedule, changed, zone, now)
        notice = Notice(t.DATE_NOTICE.format(code=e.code, case=e.case_code, day=t.meeting_day(day)))
        for a in self.store.answers(e.id):
            if a.answer == JOIN:
                self.queue(e.org_id, a.person_id, notice, now)
        return say(t.DATE_SET.format(code=e.code, day=t.meeting_day(day)))


def escalation_answers(record: StoredRecord) -> dict[str, Any] | None:
    """What a record that says yes to escalating gives the request (None: it does not).

    ``opschalen`` keeps its answers at the top; ``dilemma`` calls it as its step
    ``opschalen`` (``flows/opschalen.yaml``: the yes answers are :data:`REASONS`).
    """
    answers: Mapping[str, Any] = record.answers
    if record.flow_id == "dilemma":
        nested = answers.get("opschalen")
        answers = nested if isinstance(nested, Mapping) else {}
    elif record.flow_id != "opschalen":
        return None
    reason = answers.get("opschalen")
    if reason not in REASONS:
        return None
    disciplines = answers.get("disciplines")
    question = answers.get("vraag")
    return {
        "case_code": record.case_code or str(answers.get("casuscode") or "") or None,
        "question": question if isinstance(question, str) else None,
        "disciplines": tuple(str(d) for d in disciplines) if isinstance(disciplines, list) else (),
        "urgency": str(answers.get("urgentie") or "normaal"),
        "reason": str(reason),
    }
