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
One recurring scheduler job (:func:`schedule_reminders`) sends what is due;
the store's conditional claim makes every reminder go out once, also with two
bot processes and after a restart.

The paths of agreed steps follow ``flows/templates/_vastlegging.j2``
(its "AFSPRAKEN convention").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.engine.messages import Choice
from bot.service.ports import ConversationKey, Job, NewRecord, Notice
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

OPEN, DONE, DROPPED = "open", "done", "dropped"

# Metrics of the overview (Dutch: they are shown as they are).
DILEMMA = "dilemma"
REFUSED = "toestemming geweigerd"
STEP = "afgesproken stap"
ON_TIME, LATE, NOT_NEEDED = "op tijd gedaan", "te laat gedaan", "niet meer nodig"

_KINDS = {
    "ingrijpen": "ingrijpen of laten",
    "uithuisplaatsing": "uithuisplaatsing",
    "delen": "informatie delen",
    "veiligheid": "zorgen om veiligheid",
    "anders": "iets anders",
}
_MEET = {
    "teamlid": "een teamlid",
    "leidinggevende": "mijn leidinggevende",
    "aandachtsfunctionaris": "de aandachtsfunctionaris",
    "veilig_thuis": "Veilig Thuis (anoniem advies)",
}
_OWNERS = {
    "ik": "ik",
    "collega": "een collega",
    "leidinggevende": "mijn leidinggevende",
    "aandachtsfunctionaris": "de aandachtsfunctionaris",
    "anders": "iemand anders",
}
_CONSENTS = ("antwoord_kind", "antwoord_jong", "antwoord_volw")
_GIVEN = ("ouders", "voogd", "jongere", "beiden", "client", "vertegenwoordiger")


@dataclass(frozen=True)
class PlannedAction:
    """An agreed step of a new record, to be kept as an action."""

    org_id: int
    person_id: int
    record_id: str
    case_code: str | None
    description: str
    owner: str
    due_on: date
    urgent: bool
    remind_at: datetime


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
class Action:
    """An agreed step as kept: its owner's reminder and its state."""

    id: int
    org_id: int
    person_id: int
    record_id: str
    case_code: str | None
    description: str
    owner: str
    due_on: date
    urgent: bool
    state: str
    remind_at: datetime | None
    """When the next reminder is due (None: sent, or waiting for a new date)."""
    reminded: int
    """How many reminders went out (the claim compares it)."""
    asked_at: datetime | None = None
    """When "Nog niet, nieuwe datum" asked for a date (None: not waiting)."""
    done_on: date | None = None

    @property
    def code(self) -> str:
        """The short code in the reply words ("ja a17")."""
        return f"a{self.id}"


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


# ---------------------------------------------------------------- planning


def _tree(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parts(flow_id: str, answers: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The answers of each part, wherever the flow that ended keeps them."""
    main = flow_id == "dilemma"
    top = answers
    return {
        "calamiteit": _tree(answers.get("calamiteit"))
        if flow_id in ("dilemma", "opschalen")
        else (top if flow_id == "calamiteit" else {}),
        "meldcode": _tree(answers.get("veiligheid"))
        if flow_id in ("dilemma", "toestemming")
        else (top if flow_id == "meldcode" else {}),
        "overleg": _tree(answers.get("overleg"))
        if main
        else (top if flow_id == "vier-ogen" else {}),
        "toestemming": _tree(answers.get("toestemming"))
        if main
        else (top if flow_id == "toestemming" else {}),
    }


def partner_label(key: str, settings: Mapping[str, Any]) -> str:
    """A partner's label from the organisation's list (never the typed "anders")."""
    if key == "anders":
        return "een andere partner"
    partners = _tree(_tree(settings.get("lijsten")).get("partners"))
    return str(partners.get(key) or key.replace("_", " "))


@dataclass(frozen=True)
class _Step:
    description: str
    owner: str
    due_on: date
    urgent: bool = False


def agreed_steps(
    flow_id: str, answers: Mapping[str, Any], made_on: date, settings: Mapping[str, Any]
) -> list[_Step]:
    """The agreed steps with a date, as the vastlegging lists them.

    Described with the flows' option labels, never free text, unless the
    organisation allows free text on every channel (a reminder may reach a
    chat without end-to-end encryption).
    """
    parts = _parts(flow_id, answers)
    steps: list[_Step] = []
    cal, mc, vo, ts = parts["calamiteit"], parts["meldcode"], parts["overleg"], parts["toestemming"]
    if cal.get("leidinggevende") == "nee":
        steps.append(
            _Step("De leidinggevende informeren over wat er gebeurde", "ik", made_on, True)
        )
    if (day := _day(mc.get("stap_wanneer"))) is not None:
        report = mc.get("onveilig") == "ja" or mc.get("hulp") in ("lukt_niet", "weigert")
        what = "Melden bij Veilig Thuis" if report else "Veilig Thuis bellen voor advies"
        steps.append(_Step(what, "ik", day, report))
    if (day := _day(vo.get("plan_wanneer"))) is not None:
        who = _MEET.get(str(vo.get("plan_met")), "een collega")
        steps.append(_Step(f"Het dilemma bespreken met {who}", "ik", day))
    if vo.get("vervolg") and (day := _day(vo.get("vervolg_datum"))) is not None:
        owner = _OWNERS.get(str(vo.get("vervolg_wie") or "ik"), "ik")
        what = "De vervolgstap uit het vier-ogen overleg"
        if settings.get("vrije_tekst_zonder_versleuteling") is True:
            # The organisation allows free text on every channel: the step's own words.
            what = f"Vervolgstap: {vo.get('vervolg')}"[:200]
        steps.append(_Step(what, owner, day))
    chosen = ts.get("partners")
    for p in chosen if isinstance(chosen, list) else []:
        name = partner_label(str(p), settings)
        t = _tree(_tree(ts.get("per_partner")).get(p))
        b = _tree(_tree(ts.get("besluit")).get(p))
        if (day := _day(t.get("informeren_wanneer"))) is not None:
            steps.append(_Step(f"{name} informeren (er is toestemming)", "ik", day))
        if (day := _day(t.get("vragen_wanneer"))) is not None:
            steps.append(_Step(f"Toestemming vragen om {name} te informeren", "ik", day))
        if (day := _day(b.get("vertellen_wanneer"))) is not None:
            steps.append(_Step(f"Vertellen dat ik deel met {name}", "ik", day))
        if (day := _day(b.get("later_wanneer"))) is not None:
            owner = _OWNERS.get(str(b.get("later_wie") or "ik"), "ik")
            steps.append(_Step(f"Besluiten over delen met {name}", owner, day))
    return steps


def record_facts(
    org_id: int, flow_id: str, answers: Mapping[str, Any], month: str, settings: Mapping[str, Any]
) -> list[Fact]:
    """What the overview counts of one record: the kind of dilemma, refused consent."""
    parts = _parts(flow_id, answers)
    facts: list[Fact] = []
    kind = parts["overleg"].get("soort")
    if flow_id in ("dilemma", "vier-ogen"):
        facts.append(Fact(org_id, month, DILEMMA, _KINDS.get(str(kind), "niet gevraagd")))
    ts = parts["toestemming"]
    for p, t in _tree(ts.get("per_partner")).items():
        answer = next((_tree(t).get(k) for k in _CONSENTS if _tree(t).get(k)), None)
        if answer == "geweigerd":
            facts.append(Fact(org_id, month, REFUSED, partner_label(str(p), settings)))
    return facts


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


def is_followup_row(entry: object) -> bool:
    """Is this ``StepWrite.audit`` entry one of ours (not an audit line)?"""
    return isinstance(entry, RecordIndex | PlannedAction | Fact)


# ---------------------------------------------------------------- reminders

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


async def send_due_reminders(store: FollowupStore, notifier: Sends, now: datetime) -> int:
    """Send every reminder that is due; each once (the claim decides). How many."""
    sent = 0
    while True:
        due = store.due_actions(now, BATCH)
        for action in due:
            if store.claim_reminder(action.id, action.reminded, now):
                await notifier.send(
                    str(action.org_id), str(action.person_id), reminder_notice(action)
                )
                sent += 1
        if len(due) < BATCH:
            return sent


def schedule_reminders(
    scheduler: Scheduler,
    store: FollowupStore,
    notifier: Sends,
    interval: timedelta = REMINDER_EVERY,
) -> None:
    """Send due reminders from a recurring scheduler job (one process at a time)."""

    async def handler(job: Job, now: datetime) -> None:
        count = await send_due_reminders(store, notifier, now)
        if count:
            log.info("sent %d reminder(s)", count)

    scheduler.on(REMINDER_JOB, handler)
    scheduler.every(REMINDER_JOB, REMINDER_JOB, interval)
