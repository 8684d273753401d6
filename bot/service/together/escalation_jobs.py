"""The escalation's background parts: the meeting's reminder, records, counts.

Setting a meeting date (``datum e3 …``) adds a one-off scheduler job due at
09:00 the day before, in the organisation's time zone (or at once, when that
moment has passed). When it runs, the store's claim (:meth:`claim_reminder`,
a conditional ``UPDATE``) lets one run send it, so every participant is
reminded once, across processes and restarts; a date that was moved leaves
its old job with nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.service.followup import MORNING, FollowupStore, Sends
from bot.service.ports import ConversationKey, Job, Notice, StoredRecord
from bot.service.scheduler import Scheduler
from bot.service.together import escalation_texts as t
from bot.service.together.escalation import (
    JOIN,
    OPEN,
    PRINCIPLES,
    Escalation,
    EscalationStore,
)

log = logging.getLogger(__name__)

REMINDER_KIND = "escalation_meeting_reminder"


class Schedules(Protocol):
    """The scheduler's ``add``: a one-off job due at a moment."""

    def add(self, kind: str, payload: Mapping[str, Any], due_at: datetime) -> bool:
        """Add a one-off job."""


def reminder_moment(day: date, zone: ZoneInfo, now: datetime) -> datetime:
    """09:00 the day before ``day`` there (UTC); ``now`` if that has passed."""
    moment = datetime.combine(day - timedelta(days=1), time(MORNING.hour, MORNING.minute), zone)
    return max(moment.astimezone(UTC), now.astimezone(UTC))


def plan_reminder(schedule: Schedules, e: Escalation, zone: ZoneInfo, now: datetime) -> None:
    """The one-off job that reminds the participants of ``e``'s meeting."""
    assert e.meeting_on is not None
    payload = {"escalation": e.id, "day": e.meeting_on.isoformat()}
    schedule.add(REMINDER_KIND, payload, reminder_moment(e.meeting_on, zone, now))


def reminder_notice(e: Escalation) -> Notice:
    assert e.meeting_on is not None
    text = t.REMINDER.format(
        day=t.meeting_day(e.meeting_on), code=e.code, case=e.case_code, principles=PRINCIPLES
    )
    return Notice(text[:600])


async def send_meeting_reminder(
    store: EscalationStore, notifier: Sends, escalation_id: int, day: date
) -> int:
    """Remind everyone who joins (and the team lead) of the meeting on ``day``, once."""
    e = store.escalation(escalation_id)
    if e is None or e.state != OPEN or e.meeting_on != day:
        return 0  # closed, or the date was moved: the new date has its own job
    if not store.claim_reminder(escalation_id, day):
        return 0
    people = [a.person_id for a in store.answers(escalation_id) if a.answer == JOIN]
    if e.lead_id is not None and e.lead_id not in people:
        people.append(e.lead_id)
    notice = reminder_notice(e)
    for person in people:
        await notifier.send(str(e.org_id), str(person), notice)
    return len(people)


def schedule_escalation_reminders(
    scheduler: Scheduler, store: EscalationStore, notifier: Sends
) -> None:
    """Handle the meeting reminders' jobs in this process."""

    async def handler(job: Job, now: datetime) -> None:
        escalation_id = int(job.payload["escalation"])
        day = date.fromisoformat(str(job.payload["day"]))
        count = await send_meeting_reminder(store, notifier, escalation_id, day)
        if count:
            log.info("reminded %d participant(s) of an escalation's meeting", count)

    scheduler.on(REMINDER_KIND, handler)


class EscalationCounts:
    """The overview's ``CountSource`` over an escalation store."""

    def __init__(self, store: EscalationStore) -> None:
        self.store = store

    def monthly_counts(self, org_id: int) -> Iterable[tuple[str, str, str, int]]:
        return self.store.monthly_counts(org_id)


def recent_records(
    followup: FollowupStore, records: Callable[[ConversationKey], Sequence[StoredRecord]]
) -> Callable[[int, int, datetime], list[StoredRecord]]:
    """A member's records since a moment, newest first (the follow-up's record index,
    then the conversation store's records at each chat)."""

    def found(org_id: int, person_id: int, since: datetime) -> list[StoredRecord]:
        out: list[StoredRecord] = []
        for index in followup.records_of(org_id, person_id, since):
            stored = next((r for r in records(index.key) if r.id == index.record_id), None)
            if stored is not None:
                out.append(stored)
        return out

    return found
