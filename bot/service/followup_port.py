"""What follow-up keeps, and the port of the store that keeps it.

An agreed step of a record becomes a ``PlannedAction`` and, once kept, an
``Action`` with its reminder and state; a ``RecordIndex`` row lets ``mijn
vastleggingen`` find a person's records; a ``Fact`` is one anonymous
occurrence (organisation, month, what) for ``overzicht``. The SQL and memory
stores implement ``FollowupStore``; other parts add counts through
``CountSource``. Values only: what makes them is ``bot.service.agreed_steps``
and ``bot.service.followup``, what sends reminders ``bot.service.reminders``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.service.numbered import Numbered
from bot.service.ports import ConversationKey

OPEN, DONE, DROPPED = "open", "done", "dropped"
CLOSING = (DONE, DROPPED)
"""The states ``FollowupStore.close_action`` may set."""

# Metrics of the overview (Dutch: they are shown as they are).
DILEMMA = "dilemma"
REFUSED = "toestemming geweigerd"
STEP = "afgesproken stap"
ON_TIME, LATE, NOT_NEEDED = "op tijd gedaan", "te laat gedaan", "niet meer nodig"


@dataclass(frozen=True)
class StepFields:
    """What an agreed step is, planned (``PlannedAction``) or kept (``Action``)."""

    org_id: int
    person_id: int
    record_id: str
    case_code: str | None
    description: str
    owner: str
    due_on: date
    urgent: bool


@dataclass(frozen=True)
class PlannedAction(StepFields):
    """An agreed step of a new record, to be kept as an action."""

    remind_at: datetime

    def opened(self, action_id: int) -> Action:
        """This step as a new action: open, not yet reminded, its description and
        owner cut to what the tables keep (200 and 64 characters)."""
        return Action(
            id=action_id,
            org_id=self.org_id,
            person_id=self.person_id,
            record_id=self.record_id,
            case_code=self.case_code,
            description=self.description[:200],
            owner=self.owner[:64],
            due_on=self.due_on,
            urgent=self.urgent,
            state=OPEN,
            remind_at=self.remind_at,
            reminded=0,
        )


@dataclass(frozen=True)
class RecordIndex:
    """Where a person's record is (for ``mijn vastleggingen``): ids and times only."""

    record_id: str
    org_id: int
    person_id: int
    key: ConversationKey
    flow_id: str
    created_at: datetime


@dataclass(frozen=True)
class Fact:
    """One anonymous occurrence for the overview: an organisation, a month, what."""

    org_id: int
    month: str
    metric: str
    category: str


@dataclass(frozen=True)
class Action(StepFields, Numbered):
    """An agreed step as kept: its owner's reminder and its state ("ja a17")."""

    LETTER = "a"

    state: str
    remind_at: datetime | None
    """When the next reminder is due (None: sent, or waiting for a new date)."""
    reminded: int
    """How many reminders went out (the claim compares it)."""
    asked_at: datetime | None = None
    """When "Nog niet, nieuwe datum" asked for a date (None: not waiting)."""
    done_on: date | None = None


class FollowupStore(Protocol):
    """Actions, the record index and the overview's facts (SQL and memory)."""

    def write_planned(self, items: Sequence[object]) -> None:
        """Keep planned actions, record index rows and facts (outside a step)."""

    def due_actions(self, now: datetime, limit: int) -> list[Action]:
        """Open actions whose reminder time has come and that wait for no date."""

    def claim_reminder(self, action_id: int, reminded: int, now: datetime) -> bool:
        """Count one more reminder (and clear ``remind_at``) if the action is still
        open at ``reminded``; True for one caller only, across processes."""

    def action(self, action_id: int) -> Action | None:
        """One action."""

    def open_actions(self, org_id: int, person_id: int) -> list[Action]:
        """A person's open actions, soonest first."""

    def record_actions(self, record_id: str) -> list[Action]:
        """The actions of one record, in order."""

    def close_action(
        self, action_id: int, state: str, done_on: date, fact: Fact | None, now: datetime
    ) -> bool:
        """Mark an open action done or dropped (with its fact, in one transaction)."""

    def postpone(self, action_id: int, due_on: date, remind_at: datetime) -> bool:
        """A new date for an open action; it is reminded again then."""

    def ask_date(self, action_id: int, at: datetime | None) -> None:
        """Mark (or, with None, unmark) an action as waiting for a new date."""

    def waiting_for_date(self, org_id: int, person_id: int, since: datetime) -> Action | None:
        """The person's action that asked for a date after ``since``, if any."""

    def records_of(self, org_id: int, person_id: int, since: datetime) -> list[RecordIndex]:
        """The person's records made after ``since``, newest first."""

    def facts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        """(month, metric, category, count) of an organisation, by month."""

    def purge_before(self, cutoff: datetime) -> int:
        """Delete record index rows and closed or orphaned actions older than ``cutoff``."""


class CountSource(Protocol):
    """More counts for the overview (escalations, confirmations: another part)."""

    def monthly_counts(self, org_id: int) -> Iterable[tuple[str, str, str, int]]:
        """(month ``YYYY-MM``, metric, category, count) rows; no free text, no codes."""
