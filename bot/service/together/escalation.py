"""Escalation to the Team complexe problematiek: the values, the store port, the texts.

A team lead (``teamleider``) starts an escalation with ``opschalen``, or a
professional asks their team lead for one (``opschalen vragen``, after a
vastlegging that says yes to escalating) and the team lead accepts or
declines. Starting it tells every ``tcp`` member of the organisation; each
answers "Ik doe mee" or "Kan niet"; the team lead sees who answered, sets the
meeting date (everyone who joins is reminded the day before) and closes it
with its outcome and the lessons; the professional who asked hears the
outcome. The words live in :mod:`bot.service.together.escalation_words`.

A possible calamity never waits on the team: the calamity route
(:data:`CALAMITY_ROUTE`, from ``flows/calamiteit.yaml``) is shown before any
escalation is sent. Free text (the question, a note, the lessons) is sealed
at rest by the store and reaches a chat without end-to-end encryption only
when the organisation allows it (``vrije_tekst_zonder_versleuteling``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

from bot.service.numbered import Numbered

# ---------------------------------------------------------------- states and steps

DRAFT = "draft"
"""The team lead is still answering the start dialog."""
REQUESTED = "requested"
"""A professional asked; a team lead has not answered yet."""
DECLINED = "declined"
OPEN = "open"
"""Sent to the team: answers, a date, then the close."""
CLOSED = "closed"
CANCELLED = "cancelled"
ENDED = (CLOSED, DECLINED, CANCELLED)
"""Over: the texts are blanked once retention has passed."""
BLANKED = (
    "case_code",
    "question",
    "disciplines",
    "decline_reason",
    "outcome_note",
    "lessons",
    "requested_by",
    "lead_id",
    "step",
)
"""What an ended escalation loses once retention has passed (what is counted stays)."""

# What the team lead's next message answers (``Escalation.step``).
STEP_CASE, STEP_QUESTION, STEP_DISCIPLINES, STEP_URGENCY, STEP_SEND = (
    "casus",
    "vraag",
    "disciplines",
    "urgentie",
    "versturen",
)
STEP_OUTCOME, STEP_LESSONS = "uitkomst", "lessen"

JOIN, CANNOT = "mee", "niet"

URGENCIES: Mapping[str, str] = {
    "normaal": "normaal",
    "spoed": "spoed",
    # From the opschalen flow's answer (a professional's request):
    "week": "spoed (deze week)",
    "twee_weken": "binnen twee weken",
    "maand": "binnen een maand",
    "gewoon": "in het gewone overleg",
}
URGENT = frozenset({"spoed", "week"})

REASONS: Mapping[str, str] = {
    "vast": "de casus loopt vast",
    "oneens": "we zijn het oneens",
    "zorgen": "zorgen blijven",
    "incident": "na een incident",
    "leren": "om te leren",
}
"""The opschalen flow's answers that say yes to escalating (``flows/opschalen.yaml``)."""

OUTCOMES: Mapping[str, str] = {
    "plan": "Plan met afspraken",
    "advies": "Advies aan de professional",
    "onderzoek": "Verder onderzoek nodig",
    "geen": "Geen actie nodig",
}

# Metrics of the overview (Dutch: shown as they are).
STARTED = "opschaling gestart"
CLOSED_METRIC = "opschaling afgesloten"
REQUEST_METRIC = "verzoek om op te schalen"
BY_LEAD, BY_REQUEST = "door teamleider", "op verzoek van professional"
ACCEPTED, DECLINED_CATEGORY = "geaccepteerd", "geweigerd"


@dataclass(frozen=True)
class Escalation(Numbered):
    """One escalation as kept (texts opened; "accepteer e3")."""

    LETTER = "e"
    org_id: int
    state: str
    created_at: datetime
    case_code: str | None = None
    question: str | None = None
    disciplines: tuple[str, ...] = ()
    urgency: str | None = None
    reason: str | None = None
    requested_by: int | None = None
    lead_id: int | None = None
    step: str | None = None
    asked_at: datetime | None = None
    meeting_on: date | None = None
    reminded_for: date | None = None
    decline_reason: str | None = None
    outcome: str | None = None
    outcome_note: str | None = None
    lessons: str | None = None
    started_at: datetime | None = None
    closed_at: datetime | None = None

    def reminder_due(self, day: date) -> bool:
        """Is the meeting on ``day`` still to be reminded of (open, not yet for that day)?"""
        return self.state == OPEN and self.meeting_on == day and self.reminded_for != day

    def past_retention(self, cutoff: datetime) -> bool:
        """Ended before ``cutoff`` and still holding what retention blanks."""
        ended_at = self.closed_at or self.created_at
        held = self.case_code or self.question or self.lead_id
        return self.state in ENDED and ended_at < cutoff and bool(held)

    def blanked(self) -> Escalation:
        """This escalation without what retention blanks (``BLANKED``)."""
        blank: dict[str, Any] = {n: () if n == "disciplines" else None for n in BLANKED}
        return replace(self, **blank)


@dataclass(frozen=True)
class Participation:
    """A team member's answer: ``JOIN`` or ``CANNOT``."""

    escalation_id: int
    person_id: int
    answer: str
    at: datetime


#: The fields :meth:`EscalationStore.change` may set.
FIELDS = frozenset(
    {
        "state",
        "case_code",
        "question",
        "disciplines",
        "urgency",
        "reason",
        "requested_by",
        "lead_id",
        "step",
        "asked_at",
        "meeting_on",
        "reminded_for",
        "decline_reason",
        "outcome",
        "outcome_note",
        "lessons",
        "started_at",
        "closed_at",
    }
)


def checked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` if ``EscalationStore.change`` may set each of them; else ``ValueError``."""
    unknown = set(fields) - FIELDS
    if unknown:
        msg = f"unknown escalation fields: {sorted(unknown)}"
        raise ValueError(msg)
    return fields


class EscalationStore(Protocol):
    """Escalations and their answers (SQL: ``bot.store.escalations``; memory twin)."""

    def create(self, org_id: int, state: str, now: datetime, **fields: Any) -> Escalation:
        """A new escalation in ``state`` with the given fields."""

    def escalation(self, escalation_id: int) -> Escalation | None:
        """One escalation."""

    def change(self, escalation_id: int, states: Sequence[str], **fields: Any) -> Escalation | None:
        """Set ``fields`` if the escalation is in one of ``states`` (one caller wins,
        across processes); the changed escalation, or None."""

    def waiting_step(self, org_id: int, person_id: int, since: datetime) -> Escalation | None:
        """The person's escalation whose question they were asked after ``since``."""

    def of_lead(self, org_id: int, person_id: int, states: Sequence[str]) -> list[Escalation]:
        """The escalations the person leads, in ``states``, newest first."""

    def of_requester(self, org_id: int, person_id: int, states: Sequence[str]) -> list[Escalation]:
        """The escalations the person asked for, in ``states``, newest first."""

    def answer(self, escalation_id: int, person_id: int, answer: str, now: datetime) -> None:
        """Keep (or change) a team member's answer."""

    def answers(self, escalation_id: int) -> list[Participation]:
        """Every answer to one escalation, in the order given."""

    def claim_reminder(self, escalation_id: int, day: date) -> bool:
        """Mark the reminder for a meeting on ``day`` sent, if it was not and that is
        still the date of the open escalation; True for one caller only."""

    def monthly_counts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        """(month, metric, category, count): started, closed (by outcome), requests."""


# ---------------------------------------------------------------- texts (B1 Dutch)

CALAMITY_ROUTE = (
    "Eerst dit. Is er iemand overleden, ernstig geschaad, of was er geweld in de hulp? "
    "Dan wacht je niet op het team: vertel het vandaag nog je verantwoordelijke "
    "leidinggevende. De organisatie meldt een calamiteit of geweld onverwijld bij de "
    "Inspectie (IGJ): binnen 3 werkdagen. Een leerreview van het team vervangt die melding nooit."
)
"""The calamity route, shown before any escalation is sent (``flows/calamiteit.yaml``)."""

PRINCIPLES = (
    "Zo werken we, zoals bij een leerreview: het is veilig om te vertellen wat je deed "
    "en dacht; niemand zoekt een schuldige; er is tijd om rustig na te denken."
)
NOT_HERE = "niet hier (chat niet versleuteld)"
NO_QUESTION = "volgt in het overleg"
MAX_TEXT = 600


def label_list(keys: Sequence[str], labels: Mapping[str, Any]) -> str:
    """Disciplines as people read them: the organisation's labels, else the words."""
    return ", ".join(str(labels.get(k) or k) for k in keys) or "niet gekozen"


def urgency_text(key: str | None) -> str:
    return URGENCIES.get(key or "", "normaal")


def fit(text: str, long_part: str, placeholder: str = "{part}") -> str:
    """``text`` with ``long_part`` in ``placeholder``, the part cut so all fits 600."""
    room = MAX_TEXT - len(text.replace(placeholder, ""))
    part = long_part if len(long_part) <= room else long_part[: max(room - 1, 0)] + "…"
    return text.replace(placeholder, part)[:MAX_TEXT]


def escalation_counts(rows: Iterable[Escalation]) -> list[tuple[str, str, str, int]]:
    """The overview's cells of an organisation's escalations (months in UTC):
    started (by urgency), closed (by outcome), and requests (accepted or declined).
    Counts only: no text, no case code, no person."""
    counts: dict[tuple[str, str, str], int] = {}

    def add(moment: datetime, metric: str, category: str) -> None:
        cell = (moment.astimezone(UTC).strftime("%Y-%m"), metric, category)
        counts[cell] = counts.get(cell, 0) + 1

    for r in rows:
        if r.started_at is not None:
            add(r.started_at, STARTED, "spoed" if r.urgency in URGENT else "normaal")
        if r.closed_at is not None and r.state == CLOSED:
            add(r.closed_at, CLOSED_METRIC, OUTCOMES.get(r.outcome or "", "onbekend"))
        if r.reason is not None and (r.started_at is not None or r.state == DECLINED):
            add(r.created_at, REQUEST_METRIC, ACCEPTED if r.started_at else DECLINED_CATEGORY)
    return [(*cell, n) for cell, n in sorted(counts.items())]
