"""Reading an answer: what the user typed for the open question, as a value or a refusal.

One function, :func:`read_answer`, reads typed text the way the question's
kind wants it, top to bottom: a choice (by number, label, age or typo), yes
or no, several choices, a date, or free text (checked for length and for
identifying details). It returns what to do, as a value: :class:`Accept`
(the value to log, with an optional echo of what was understood),
:class:`Select` (a selection to confirm first) or :class:`Refuse` (the
error to show with the question again). It never touches the state;
:mod:`bot.engine.answering` does what the reading says. The word-level
matching (numbers, labels, typos, yes/no words) is :mod:`bot.engine.answers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.dutch_dates import weekday_day_month_year
from bot.engine import texts
from bot.engine.answers import display, normalize, parse_multi, parse_yesno, pick_choice
from bot.engine.context import FindsIdentifiers
from bot.engine.dates import Prefer, read_dutch_date, wrong_side
from bot.engine.messages import ChannelTraits, QuestionKind
from bot.engine.review import DONE_KEY
from bot.engine.state import JSON
from bot.flowspec.graph import AskStep
from bot.identify.findings import describe, redact

ERROR_LIMIT = 300
"""A refusal that quotes the answer back stays phone-sized (the question comes with it)."""


@dataclass(frozen=True)
class Accept:
    """Log ``value`` as the answer; ``echo`` (what was understood) opens the next message."""

    value: JSON
    echo: str = ""


@dataclass(frozen=True)
class Select:
    """Show the question again with ``keys`` selected and ``note`` saying so."""

    keys: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Refuse:
    """Ask again with ``error``; ``redacted`` keeps a cleaned free-text answer for ``vervang``."""

    error: str
    redacted: str | None = None


Reading = Accept | Select | Refuse


@dataclass(frozen=True)
class Asking:
    """What reading an answer needs besides the question and the text."""

    today: date
    traits: ChannelTraits
    identifiers: FindsIdentifiers
    selection: tuple[str, ...] = ()
    """Options toggled so far at a multiple-choice question."""
    redacted: str | None = None
    """This question's refused answer with its identifying details replaced, if any."""


def read_answer(step: AskStep, text: str, asking: Asking) -> Reading:
    """What ``text`` answers to ``step``: a value to accept, a selection, or a refusal."""
    match step.question:
        case QuestionKind.SINGLE:
            return _single(step, text)
        case QuestionKind.YESNO:
            answer = parse_yesno(text)
            return Refuse(texts.ERR_YESNO) if answer is None else Accept(answer)
        case QuestionKind.MULTI:
            return _multi(step, text, asking)
        case QuestionKind.DATE:
            return _date(step, text, asking.today)
        case QuestionKind.TEXT:
            return _free_text(step, text, asking)


def read_selection(step: AskStep, keys: Sequence[str]) -> Reading:
    """A multiple-choice selection (toggled, or typed): the chosen keys in choice order."""
    chosen = set(keys)
    ordered = [c.key for c in step.choices if c.key in chosen]
    if not ordered and not step.optional:
        return Refuse(texts.ERR_MULTI_EMPTY)
    return Accept(ordered)


def _single(step: AskStep, text: str) -> Reading:
    picked = pick_choice(text, step.choices)
    if picked.choice is not None:
        return Accept(picked.choice.key)
    if len(picked.candidates) > 1:
        numbers = {c.key: n for n, c in enumerate(step.choices, start=1)}
        options = [f"{numbers[c.key]}. {c.label}" for c in picked.candidates[:3]]
        return Refuse(texts.ERR_CHOICE_WHICH.format(options=" of ".join(options)))
    return Refuse(texts.ERR_CHOICE)


def _multi(step: AskStep, text: str, asking: Asking) -> Reading:
    traits = asking.traits
    if normalize(text) == DONE_KEY and (traits.confirm_multi or traits.buttons):
        return read_selection(step, asking.selection)
    keys = parse_multi(text, step.choices)
    if keys is None:
        return Refuse(texts.ERR_MULTI)
    if not keys and not step.optional:
        return Refuse(texts.ERR_MULTI_EMPTY)
    if traits.confirm_multi:
        labels = display(QuestionKind.MULTI, keys, step.choices)
        return Select(tuple(keys), texts.SELECTED.format(labels=labels))
    return Accept(keys)


def _date(step: AskStep, text: str, today: date) -> Reading:
    prefer: Prefer = "past" if step.prefer == "past" else "future"
    reading = read_dutch_date(text, today, prefer)
    found = reading.day
    if found is None:
        return Refuse(texts.DATE_PROBLEMS.get(reading.problem or "", texts.ERR_DATE))
    if wrong_side(found, today, prefer):
        wrong = texts.ERR_DATE_NOT_PAST if prefer == "past" else texts.ERR_DATE_NOT_FUTURE
        return Refuse(wrong.format(date=weekday_day_month_year(found)))
    noted = texts.DATE_NOTED.format(date=weekday_day_month_year(found))
    return Accept(found.isoformat(), echo=noted)


def _free_text(step: AskStep, text: str, asking: Asking) -> Reading:
    # Control characters (a NUL from a copy-paste) are never stored.
    cleaned = "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()
    if asking.redacted is not None and cleaned.casefold() == texts.REPLACE_WORD:
        return Accept(asking.redacted)
    if step.optional and cleaned in ("-", ""):
        return Accept(None)
    if not cleaned:
        return Refuse(texts.ERR_TEXT_EMPTY)
    if sum(1 for ch in cleaned if ch.isalnum()) < 2:
        # A single emoji or character is not a description.
        return Refuse(texts.ERR_TEXT_TOO_SHORT)
    if len(cleaned) > step.max_length:
        return Refuse(texts.ERR_TEXT_LONG.format(length=len(cleaned), max=step.max_length))
    findings = asking.identifiers.find(cleaned)
    if not findings:
        return Accept(cleaned)
    redacted = redact(cleaned, findings)
    error = texts.ERR_TEXT_IDENTIFYING.format(
        found=describe(findings), replace_word=texts.REPLACE_WORD, redacted=redacted
    )
    if len(error) > ERROR_LIMIT:  # a long answer: name what was found, not the whole text
        error = texts.ERR_TEXT_IDENTIFYING.format(
            found=describe(findings), replace_word=texts.REPLACE_WORD, redacted="…"
        )
    return Refuse(error, redacted=redacted)
