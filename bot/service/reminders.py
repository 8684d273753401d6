"""Reminders of agreed steps: when they come, what they say, and the job that sends them.

An action is due in the morning of its date in the organisation's time zone
(:func:`reminder_time`: 09:00, moved past weekends unless urgent, never at
night). One recurring scheduler job (:data:`REMINDERS`) sends what
is due through the notifier; the store's conditional claim makes every
reminder go out once, also with two bot processes and after a restart. The
reminder asks "Is dit gebeurd?" with three answers whose words carry the
action's code (``bot.service.followup_words`` takes them).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.engine.messages import Choice
from bot.service.followup_port import Action, FollowupStore
from bot.service.ports import Job, Notice
from bot.service.scheduler import Scheduler

log = logging.getLogger(__name__)

DEFAULT_ZONE = "Europe/Amsterdam"
MORNING = time(9, 0)
"""When a reminder comes, in the organisation's time zone."""
EVENING = time(20, 0)
"""An urgent reminder for today comes no later than this (never at night)."""
URGENT_DELAY = timedelta(hours=1)
REMINDER_JOB = "followup_reminders"
REMINDER_EVERY = timedelta(minutes=5)
DATE_WAIT = timedelta(minutes=30)
"""How long "Nog niet, nieuwe datum" waits for the date."""


# ---------------------------------------------------------------- time


def zone_of(settings: Mapping[str, Any]) -> ZoneInfo:
    """The organisation's time zone (``tijdzone``; Europe/Amsterdam if unknown)."""
    name = str(settings.get("tijdzone") or DEFAULT_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; using %s", name, DEFAULT_ZONE)
        return ZoneInfo(DEFAULT_ZONE)


def reminder_time(day: date, zone: ZoneInfo, now: datetime, *, urgent: bool = False) -> datetime:
    """When to remind of a step due on ``day``: 09:00 there, never at night.

    A morning that has passed moves to the next morning (an urgent step: an
    hour from now if that is before 20:00). Saturdays and Sundays move to
    Monday unless the step is urgent. Returned in UTC.
    """
    local_now = now.astimezone(zone)
    moment = datetime.combine(day, MORNING, zone)
    if moment <= local_now:
        soon = local_now + URGENT_DELAY
        if urgent and MORNING <= soon.time() <= EVENING and soon.date() == local_now.date():
            return soon.astimezone(UTC)
        moment = datetime.combine(local_now.date() + timedelta(days=1), MORNING, zone)
        if local_now.time() < MORNING:
            moment = datetime.combine(local_now.date(), MORNING, zone)
    while not urgent and moment.weekday() >= 5:
        moment = datetime.combine(moment.date() + timedelta(days=1), MORNING, zone)
    return moment.astimezone(UTC)


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    """``YYYY-MM`` of ``moment`` in the organisation's time zone."""
    return moment.astimezone(zone).strftime("%Y-%m")


# ---------------------------------------------------------------- the message and the job

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def day_text(day: date) -> str:
    """``vrijdag 12-12-2026``."""
    return f"{WEEKDAYS[day.weekday()]} {day.strftime('%d-%m-%Y')}"


ANSWERS = "Ja, nog niet (dan kies je een nieuwe datum), of niet meer nodig?"
"""The three answers in words: a channel may show only the words to type."""


def reminder_notice(action: Action) -> Notice:
    """ "Is dit gebeurd?" with the three answers; each word carries the action's code."""
    case = f" (casus {action.case_code})" if action.case_code else ""
    owner = "" if action.owner == "ik" else f" Afgesproken: {action.owner} doet dit."
    text = (
        f"Herinnering: {action.description}{case}, afgesproken voor {day_text(action.due_on)}."
        f"{owner}\nIs dit gebeurd? {ANSWERS}"
    )
    return Notice(
        text[:600],
        (
            Choice(f"ja {action.code}", "Ja"),
            Choice(f"later {action.code}", "Nog niet, nieuwe datum"),
            Choice(f"vervalt {action.code}", "Niet meer nodig"),
        ),
    )


class Sends(Protocol):
    """The notifier's ``send`` (``bot.service.notifier.Notifier``)."""

    async def send(self, org_id: str, person_id: str, notice: Notice) -> bool:
        """Send or queue."""


BATCH = 50
_Due = TypeVar("_Due")


async def send_claimed(
    due: Callable[[int], Sequence[_Due]],
    claim: Callable[[_Due], bool],
    send: Callable[[_Due], Awaitable[object]],
) -> int:
    """Send each due item once (``claim`` decides), batch by batch, until a batch is short.

    How many were sent. The follow-up's and the confirmations' reminders both run so.
    """
    sent = 0
    while True:
        batch = due(BATCH)
        for item in batch:
            if claim(item):
                await send(item)
                sent += 1
        if len(batch) < BATCH:
            return sent


@dataclass(frozen=True)
class ReminderJob:
    """A recurring scheduler job that sends what is due: its name, how often it runs,
    and what it sends (for the log). Agreed steps and confirmations each have one."""

    name: str
    every: timedelta
    what: str

    def schedule(
        self, scheduler: Scheduler, send_due: Callable[[datetime], Awaitable[int]]
    ) -> None:
        """Run ``send_due`` from this job (one process at a time); log the count."""

        async def handler(_job: Job, now: datetime) -> None:
            count = await send_due(now)
            if count:
                log.info("sent %d %s", count, self.what)

        scheduler.on(self.name, handler)
        scheduler.every(self.name, self.name, self.every)


REMINDERS = ReminderJob(REMINDER_JOB, REMINDER_EVERY, "reminder(s)")
"""The agreed steps' reminders: ``REMINDERS.schedule(scheduler, partial(send_due_reminders,
store, notifier))``."""


async def send_due_reminders(store: FollowupStore, notifier: Sends, now: datetime) -> int:
    """Send every reminder that is due; each once (the claim decides). How many."""

    async def send(action: Action) -> None:
        await notifier.send(str(action.org_id), str(action.person_id), reminder_notice(action))

    return await send_claimed(
        lambda size: store.due_actions(now, size),
        lambda action: store.claim_reminder(action.id, action.reminded, now),
        send,
    )
