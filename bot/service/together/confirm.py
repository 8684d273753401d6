"""The colleague confirms the vier-ogen overleg (issue 10): the model, its store
port, the texts people get, and the scheduler's reminder.

A professional who made a vastlegging of ``vier-ogen`` or ``dilemma`` asks a
colleague of the same organisation to confirm its vier-ogen part. A
``Confirmation`` is that request: who asks, for which record, whom (or, on
the coffee-machine path, a short one-time code any colleague may redeem), and
how it ended. When the colleague answers, the record's stored text gets a
line ("Bevestigd door Bram, 24-11-2026"), so ``mijn vastleggingen`` shows it.

Nobody answering within the organisation's ``bevestigen_binnen_werkdagen``
(default 2 working days) reminds the professional once, in the morning of the
next working day (:func:`remind_time`), through one recurring scheduler job
(:data:`REMINDERS`); the store's conditional claim makes it
go out once across processes.

The chat words are in :mod:`bot.service.together.confirm_words`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.engine.messages import Choice
from bot.org.model import Membership
from bot.service.followup import MORNING, Sends
from bot.service.numbered import Numbered
from bot.service.ports import ConversationKey, Notice, StoredRecord
from bot.service.reminders import ReminderJob, send_claimed

#: The flows whose vastlegging holds a vier-ogen part.
FLOWS = ("vier-ogen", "dilemma")

# States of a request.
CODE = "code"  # a code was made; no colleague yet
ASKED = "asked"  # the colleague was asked
REMARK = "remark"  # "Klopt niet helemaal": waiting for the colleague's remark
CONFIRMED = "confirmed"  # "Klopt"
NOT_QUITE = "not_quite"  # "Klopt niet helemaal", with a remark
WITHOUT = "without"  # the professional goes on without
REPLACED = "replaced"  # the professional asked someone else
OPEN_STATES = (CODE, ASKED, REMARK)

DEFAULT_WORKING_DAYS = 2
SETTING = "bevestigen_binnen_werkdagen"
CODE_VALID = timedelta(minutes=15)
REMARK_WAIT = timedelta(minutes=30)
"""How long "Klopt niet helemaal" waits for the remark."""
REMINDER_JOB = "confirm_reminders"
REMINDER_EVERY = timedelta(minutes=5)
# Overview metric and categories (Dutch: shown as they are).
METRIC = "vier-ogen bevestiging"
ASKED_COUNT, GIVEN_COUNT, NOT_QUITE_COUNT = "gevraagd", "bevestigd", "niet helemaal"


@dataclass(frozen=True)
class ConfirmationFields:
    """What a request to confirm is, as the words make it and as it is kept."""

    org_id: int
    asker_id: int
    record_id: str
    key: ConversationKey
    """Where the record is kept (``store.records(key)``)."""
    case_code: str | None
    colleague_id: int | None
    state: str
    asked_at: datetime
    remind_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class Confirmation(ConfirmationFields, Numbered):
    """One request to confirm a record's vier-ogen part, as kept ("klopt b12")."""

    LETTER = "b"
    reminded: int
    answered_at: datetime | None = None
    remark: str | None = None
    code_until: datetime | None = None


@dataclass(frozen=True)
class NewConfirmation(ConfirmationFields):
    """A request as the words make it."""

    code_hash: str | None = None
    code_until: datetime | None = None

    def kept(self, confirmation_id: int) -> Confirmation:
        """This request as kept under ``confirmation_id``: not yet reminded nor answered."""
        shared = {f.name: getattr(self, f.name) for f in fields(ConfirmationFields)}
        return Confirmation(**shared, id=confirmation_id, reminded=0, code_until=self.code_until)


@dataclass(frozen=True)
class Move:
    """A request's change of state, made only from one of ``from_states``.

    ``colleague_id`` and ``remark`` are kept when given; ``remind_at`` counts
    only for ``ASKED``; ``now`` is the answer's time for an answered state.
    """

    confirmation_id: int
    from_states: Sequence[str]
    state: str
    now: datetime
    colleague_id: int | None = None
    remark: str | None = None
    remind_at: datetime | None = None


def new_request(
    member: Membership, record: StoredRecord, now: datetime, state: str
) -> NewConfirmation:
    """``member``'s request, asked ``now``, to confirm ``record``: no colleague, reminder or
    code yet (``dataclasses.replace`` adds them)."""
    return NewConfirmation(
        member.org.id,
        member.person.id,
        record.id,
        record.key,
        record.case_code,
        None,
        state,
        now,
        None,
    )


class ConfirmStore(Protocol):
    """Confirmation requests (SQL and memory), and the line added to a record."""

    def add(self, new: NewConfirmation) -> Confirmation:
        """Keep a new request; any open one of the same record is marked replaced."""

    def get(self, confirmation_id: int) -> Confirmation | None:
        """One request."""

    def by_code(self, code_hash: str, now: datetime) -> Confirmation | None:
        """The request waiting for a colleague with this code, if still valid."""

    def move(self, change: Move) -> bool:
        """Apply ``change`` if the state is one of its ``from_states`` (True for one caller)."""

    def open_for(self, org_id: int, colleague_id: int) -> list[Confirmation]:
        """Requests waiting for this colleague's answer, newest first."""

    def open_of(self, org_id: int, asker_id: int) -> list[Confirmation]:
        """The asker's open requests, newest first."""

    def recent_colleagues(self, org_id: int, asker_id: int) -> list[int]:
        """The people the asker asked before, most recent first."""

    def due_reminders(self, now: datetime, limit: int) -> list[Confirmation]:
        """Asked requests whose reminder time has come (not yet reminded)."""

    def claim_reminder(self, confirmation_id: int, reminded: int) -> bool:
        """Count the reminder if still asked at ``reminded``; True for one caller."""

    def add_record_line(self, record_id: str, line: str) -> str | None:
        """Add ``line`` to the record's stored text (sealed); the new text, or None."""

    def monthly_counts(self, org_id: int) -> list[tuple[str, str, str, int]]:
        """(month, metric, category, count): asked, confirmed, not quite."""


# ---------------------------------------------------------------- time


def working_days(settings: Mapping[str, Any]) -> int:
    """The organisation's ``bevestigen_binnen_werkdagen`` (default 2)."""
    value = settings.get(SETTING)
    return value if isinstance(value, int) and value >= 1 else DEFAULT_WORKING_DAYS


def remind_time(asked_at: datetime, days: int, zone: ZoneInfo) -> datetime:
    """09:00 (the organisation's zone) on the working day after ``days`` whole
    working days following the day it was asked: asked on a Wednesday with 2
    days, Thursday and Friday pass, the reminder comes Monday morning."""
    day = asked_at.astimezone(zone).date()
    passed = 0
    while passed <= days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            passed += 1
    return datetime.combine(day, MORNING, zone)


def day_text(moment: datetime, zone: ZoneInfo) -> str:
    """``24-11-2026`` in the organisation's zone."""
    return moment.astimezone(zone).strftime("%d-%m-%Y")


# ---------------------------------------------------------------- codes


def new_short_code() -> str:
    """A short one-time code, e.g. ``K7QM-2XDA`` (40 random bits, base32)."""
    raw = secrets.token_bytes(5)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    number = int.from_bytes(raw, "big")
    chars = "".join(alphabet[(number >> (5 * i)) & 31] for i in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def hash_short_code(code: str) -> str:
    """The stored form of a short code (SHA-256 of its letters, upper case)."""
    normal = re.sub(r"[^A-Za-z0-9]", "", code).upper()
    return hashlib.sha256(normal.encode("ascii", "replace")).hexdigest()


# ---------------------------------------------------------------- the record's text

_HEADING = "VIER-OGEN OVERLEG"


def _part_span(lines: Sequence[str]) -> tuple[int, int] | None:
    """Where the vier-ogen fields are in a plain-text vastlegging: from after its
    heading (``dilemma``) or the "Casus" line (``vier-ogen`` alone) to the first
    empty line."""
    start = next((i + 1 for i, line in enumerate(lines) if line.strip() == _HEADING), None)
    if start is None:
        start = next((i + 1 for i, line in enumerate(lines) if line.startswith("Casus ")), None)
    if start is None:
        return None
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return start, end


def vier_ogen_part(text: str) -> list[str]:
    """The lines of the record's vier-ogen part (empty if it has none)."""
    lines = text.splitlines()
    span = _part_span(lines)
    return [] if span is None else lines[span[0] : span[1]]


def with_line(text: str, line: str) -> str:
    """``text`` with ``line`` at the end of its vier-ogen part (at the end if none)."""
    lines = text.rstrip("\n").splitlines()
    span = _part_span(lines)
    if span is None:
        return "\n".join([*lines, "", line]) + "\n"
    end = span[1]
    return "\n".join([*lines[:end], line, *lines[end:]]) + "\n"


def confirmed_line(name: str, when: str, remark: str | None) -> str:
    """The line the record gets."""
    if remark is None:
        return f"Bevestigd door {name}, {when}"
    return f"Niet helemaal bevestigd door {name}, {when}: {remark}"


# ---------------------------------------------------------------- notices (B1 Dutch)

MAX_TEXT = 600
ASK_HEAD = "{asker} vraagt je het vier-ogen overleg{case} te bevestigen."
ASK_CLOSED = (
    "Dit kanaal is niet versleuteld, dus de inhoud staat hier niet. "
    "Open een versleuteld gesprek of kijk samen op het scherm."
)
ASK_FOOT = "Klopt dit, of klopt het niet helemaal?"
REMINDER = (
    "{colleague} heeft het vier-ogen overleg{case} nog niet bevestigd. "
    "Wil je iemand anders vragen, of ga je verder zonder bevestiging?"
)
TOLD_CONFIRMED = "{colleague} heeft het vier-ogen overleg{case} bevestigd."
TOLD_NOT_QUITE = "{colleague} vindt dat het vier-ogen overleg{case} niet helemaal klopt."
TOLD_TAIL = "Dit staat nu in je vastlegging (typ: mijn vastleggingen)."


def case_text(case_code: str | None) -> str:
    return f" van casus {case_code}" if case_code else ""


def answer_choices(request: Confirmation) -> tuple[Choice, ...]:
    """ "Klopt" / "Klopt niet helemaal": a tap sends the same words as typing."""
    return (
        Choice(f"klopt {request.code}", "Klopt"),
        Choice(f"klopt niet {request.code}", "Klopt niet helemaal"),
    )


def ask_text(asker: str, request: Confirmation, part: Sequence[str], show: bool) -> str:
    """What the colleague reads: who asks, the case code, the part (when allowed).
    The answer words ("klopt b12") are the notice's quick replies: a channel
    without buttons lists them under the text."""
    head = ASK_HEAD.format(asker=asker, case=case_text(request.case_code))
    foot = ASK_FOOT
    if not show:
        return f"{head}\n{ASK_CLOSED}\n{foot}"[:MAX_TEXT]
    room = MAX_TEXT - len(head) - len(foot) - 4
    body = "\n".join(part) or "(Geen vier-ogen deel gevonden.)"
    if len(body) > room:
        body = body[: room - 1].rstrip() + "…"
    return f"{head}\n\n{body}\n\n{foot}"


def ask_notice(asker: str, request: Confirmation, part: Sequence[str], show: bool) -> Notice:
    return Notice(ask_text(asker, request, part, show), answer_choices(request))


def told_text(colleague: str, request: Confirmation, line: str, show: bool) -> str:
    """What the professional reads when the colleague answered."""
    case = case_text(request.case_code)
    first = (TOLD_CONFIRMED if request.remark is None else TOLD_NOT_QUITE).format(
        colleague=colleague, case=case
    )
    middle = f"\n{line}" if show or request.remark is None else ""
    return f"{first}{middle}\n{TOLD_TAIL}"[:MAX_TEXT]


def reminder_notice(colleague: str, request: Confirmation) -> Notice:
    text = REMINDER.format(colleague=colleague, case=case_text(request.case_code))
    return Notice(
        text[:MAX_TEXT],
        (
            Choice("bevestigen", "Iemand anders vragen"),
            Choice("zonder bevestiging", "Verder zonder"),
        ),
    )


# ---------------------------------------------------------------- counts


class ConfirmCounts:
    """``overzicht``'s counts of confirmations (a ``CountSource``)."""

    def __init__(self, store: ConfirmStore) -> None:
        self.store = store

    def monthly_counts(self, org_id: int) -> Iterable[tuple[str, str, str, int]]:
        return self.store.monthly_counts(org_id)


# ---------------------------------------------------------------- reminders


class Names(Protocol):
    """A person's display name (the people store's memberships)."""

    def __call__(self, org_id: int, person_id: int) -> str: ...


async def send_due_reminders(
    store: ConfirmStore, notifier: Sends, names: Names, now: datetime
) -> int:
    """Remind every professional whose colleague did not answer in time; once each."""

    async def send(request: Confirmation) -> None:
        colleague = names(request.org_id, request.colleague_id or 0)
        await notifier.send(
            str(request.org_id), str(request.asker_id), reminder_notice(colleague, request)
        )

    return await send_claimed(
        lambda size: store.due_reminders(now, size),
        lambda request: store.claim_reminder(request.id, request.reminded),
        send,
    )


REMINDERS = ReminderJob(REMINDER_JOB, REMINDER_EVERY, "confirmation reminder(s)")
"""Reminds askers whose colleague did not answer: ``REMINDERS.schedule(scheduler,
partial(send_due_reminders, store, notifier, names))``."""
