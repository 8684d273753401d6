"""Follow-up: agreed steps become reminders, and an organisation learns from counts.

A vastlegging lists agreed steps ("wat — wie — wanneer"). When a record is
made, :func:`plan_followup` turns every step with a date into a
``PlannedAction`` (a short neutral description made from the flows' option
labels, never free text), and adds a ``RecordIndex`` (so ``mijn
vastleggingen`` finds a person's records) and anonymous ``Fact`` rows (month
and category only) for ``overzicht``. The service hands these to the store
together with the record's audit lines (``StepWrite.audit``), so they are
written in the record's own transaction (``FollowupStore`` writes them).

Reminders: an action is due in the morning of its date in the organisation's
time zone (:func:`reminder_time`: 09:00, moved past weekends unless urgent).
One recurring scheduler job (``REMINDERS``) sends what is due;
the store's conditional claim makes every reminder go out once, also with two
bot processes and after a restart.

The paths of agreed steps follow ``flows/templates/_vastlegging.j2``
(its "AFSPRAKEN convention").

The parts: ``bot.service.followup_port`` (the values and the store port),
``bot.service.agreed_steps`` (reading the steps and facts from a record's
answers) and ``bot.service.reminders`` (when, what and the job that sends);
this module plans a new record's rows and keeps every name importable here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from bot.service.agreed_steps import agreed_steps, partner_label, record_facts
from bot.service.followup_port import (
    CLOSING,
    DILEMMA,
    DONE,
    DROPPED,
    LATE,
    NOT_NEEDED,
    ON_TIME,
    OPEN,
    REFUSED,
    STEP,
    Action,
    CountSource,
    Fact,
    FollowupStore,
    PlannedAction,
    RecordIndex,
)
from bot.service.ports import ConversationKey, NewRecord
from bot.service.reminders import (
    ANSWERS,
    BATCH,
    DATE_WAIT,
    DEFAULT_ZONE,
    EVENING,
    MORNING,
    REMINDER_EVERY,
    REMINDER_JOB,
    REMINDERS,
    URGENT_DELAY,
    WEEKDAYS,
    Sends,
    day_text,
    month_of,
    reminder_notice,
    reminder_time,
    send_due_reminders,
    zone_of,
)

log = logging.getLogger(__name__)


def plan_followup(
    record: NewRecord, record_id: str, settings: Mapping[str, Any]
) -> list[RecordIndex | PlannedAction | Fact]:
    """Everything a new member's record adds to the follow-up tables."""
    if record.org_id is None or record.person_id is None:
        return []
    zone = zone_of(settings)
    made = record.created_at
    if made.tzinfo is None:
        made = made.replace(tzinfo=UTC)
    made_on = made.astimezone(zone).date()
    items: list[RecordIndex | PlannedAction | Fact] = [
        RecordIndex(record_id, record.org_id, record.person_id, record.key, record.flow_id, made)
    ]
    for s in agreed_steps(record.flow_id, record.answers, made_on, settings):
        items.append(
            PlannedAction(
                org_id=record.org_id,
                person_id=record.person_id,
                record_id=record_id,
                case_code=record.case_code,
                description=s.description,
                owner=s.owner,
                due_on=s.due_on,
                urgent=s.urgent,
                remind_at=reminder_time(s.due_on, zone, made, urgent=s.urgent),
            )
        )
    items += record_facts(
        record.org_id, record.flow_id, record.answers, month_of(made, zone), settings
    )
    return items


def followup_audit(
    settings_of: Callable[[int | None], Mapping[str, Any]],
    base: Callable[[ConversationKey, Sequence[NewRecord]], Sequence[object]],
) -> Callable[[ConversationKey, Sequence[NewRecord]], list[object]]:
    """The service's ``audit_for`` with the follow-up rows of each record added.

    The store's audit writer (wrapped by the follow-up store) keeps these rows
    in the step's transaction, with the record.
    """

    def audit_for(key: ConversationKey, records: Sequence[NewRecord]) -> list[object]:
        rows: list[object] = list(base(key, records))
        for record in records:
            if record.record_id is None or record.org_id is None:
                continue
            try:
                settings = settings_of(record.org_id)
            except Exception:
                log.exception("no settings for organisation %s; defaults used", record.org_id)
                settings = {}
            rows += plan_followup(record, record.record_id, settings)
        return rows

    return audit_for


@dataclass(frozen=True)
class StepRows:
    """A step's ``StepWrite.audit`` entries sorted for the follow-up store that
    wraps the audit writer: its own rows by kind, and the audit lines it passes on."""

    records: list[RecordIndex] = field(default_factory=list)
    actions: list[PlannedAction] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    audit: list[object] = field(default_factory=list)

    @classmethod
    def of(cls, entries: Iterable[object]) -> StepRows:
        rows = cls()
        for entry in entries:
            if isinstance(entry, RecordIndex):
                rows.records.append(entry)
            elif isinstance(entry, PlannedAction):
                rows.actions.append(entry)
            elif isinstance(entry, Fact):
                rows.facts.append(entry)
            else:
                rows.audit.append(entry)
        return rows

    def check_writer(self, audit_writer: object | None) -> None:
        """``RuntimeError`` when there are audit lines but no audit writer to keep them."""
        if self.audit and audit_writer is None:
            msg = "audit entries given, but no audit writer is wired to this store"
            raise RuntimeError(msg)


__all__ = [
    "ANSWERS",
    "BATCH",
    "CLOSING",
    "DATE_WAIT",
    "DEFAULT_ZONE",
    "DILEMMA",
    "DONE",
    "DROPPED",
    "EVENING",
    "LATE",
    "MORNING",
    "NOT_NEEDED",
    "ON_TIME",
    "OPEN",
    "REFUSED",
    "REMINDERS",
    "REMINDER_EVERY",
    "REMINDER_JOB",
    "STEP",
    "URGENT_DELAY",
    "WEEKDAYS",
    "Action",
    "CountSource",
    "Fact",
    "FollowupStore",
    "PlannedAction",
    "RecordIndex",
    "Sends",
    "StepRows",
    "agreed_steps",
    "day_text",
    "followup_audit",
    "month_of",
    "partner_label",
    "plan_followup",
    "record_facts",
    "reminder_notice",
    "reminder_time",
    "send_due_reminders",
    "zone_of",
]
