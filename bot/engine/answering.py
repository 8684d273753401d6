"""Turning what the user typed or pressed into an answer, or a friendly error.

An answer that fits is logged and the walker advances; one that does not
gets the error and the question again, in one message.
"""

from __future__ import annotations

from dataclasses import replace

from bot.dutch_dates import weekday_day_month_year
from bot.engine import texts
from bot.engine.answers import (
    display,
    match_choice,
    normalize,
    parse_multi,
    parse_yesno,
    pick_choice,
)
from bot.engine.commands import confirm_answer, review_answer, universal
from bot.engine.dates import Prefer, read_dutch_date, wrong_side
from bot.engine.messages import Ask, ChoiceIn, DoneIn, QuestionKind, Say, Stale
from bot.engine.state import JSON, EntryKind, Mode, State
from bot.engine.walker import DONE_KEY, Walker
from bot.identify.findings import describe, redact

#: A refusal that quotes the answer back stays phone-sized (the question comes with it).
ERROR_LIMIT = 300


def menu_answer(run: Walker, state: State, text: str) -> State:
    menu = run.menu(state)
    choice = match_choice(text, menu.choices)
    if choice is None:
        run.replies.append(run.menu(state, texts.MENU_PICK.format(n=len(menu.choices))))
        return state
    return run.start_flow(state, choice.key, welcomed=True)


def button(run: Walker, state: State, incoming: ChoiceIn | DoneIn) -> State:
    ask = run.prompt(state)
    if (
        isinstance(incoming, ChoiceIn)
        and state.mode is Mode.ASKING
        and ask.kind is QuestionKind.MULTI
    ):
        if incoming.key not in {c.key for c in ask.choices}:
            run.replies.append(Stale())
            return state
        chosen = set(state.selection) ^ {incoming.key}
        new = replace(state, selection=tuple(c.key for c in ask.choices if c.key in chosen))
        run.replies.append(run.question(new))
        return new
    if isinstance(incoming, DoneIn):
        if state.mode is not Mode.ASKING or ask.kind is not QuestionKind.MULTI:
            run.replies.append(Stale())
            return state
        return accept_multi(run, state, list(state.selection))
    choice = next((c for c in ask.choices if c.key == incoming.key), None)
    if choice is None:
        run.replies.append(Stale())
        return state
    if state.mode is Mode.ASKING:
        return accept(run, state, choice.key)
    if state.mode is Mode.IDLE:
        return run.start_flow(state, choice.key, welcomed=True)
    if state.mode is Mode.REVIEW:
        return review_answer(run, state, choice.key)
    if state.mode is Mode.PAUSED:
        return universal(run, state, choice.key) or state
    return confirm_answer(run, state, choice.key)


def accept_multi(run: Walker, state: State, keys: list[str]) -> State:
    step = run.question_step(state.stack[-1])
    valid = {c.key for c in step.choices}
    keys = [c.key for c in step.choices if c.key in set(keys) & valid]
    if not keys and not step.optional:
        run.replies.append(run.question(state, texts.ERR_MULTI_EMPTY))
        return state
    return accept(run, state, keys)


def answer_text(run: Walker, state: State, text: str) -> State:
    frame = state.stack[-1]
    step = run.question_step(frame)
    kind = step.question
    word = normalize(text)
    if kind is QuestionKind.SINGLE:
        picked = pick_choice(text, step.choices)
        if picked.choice is None:
            error = texts.ERR_CHOICE
            if len(picked.candidates) > 1:
                numbers = {c.key: n for n, c in enumerate(step.choices, start=1)}
                options = [f"{numbers[c.key]}. {c.label}" for c in picked.candidates[:3]]
                error = texts.ERR_CHOICE_WHICH.format(options=" of ".join(options))
            run.replies.append(run.question(state, error))
            return state
        return accept(run, state, picked.choice.key)
    if kind is QuestionKind.YESNO:
        yn = parse_yesno(text)
        if yn is None:
            run.replies.append(run.question(state, texts.ERR_YESNO))
            return state
        return accept(run, state, yn)
    if kind is QuestionKind.MULTI:
        if word == DONE_KEY and run.ctx.traits.confirm_multi | run.ctx.traits.buttons:
            return accept_multi(run, state, list(state.selection))
        keys = parse_multi(text, step.choices)
        if keys is None:
            run.replies.append(run.question(state, texts.ERR_MULTI))
            return state
        if not keys and not step.optional:
            run.replies.append(run.question(state, texts.ERR_MULTI_EMPTY))
            return state
        if run.ctx.traits.confirm_multi:
            new = replace(state, selection=tuple(keys))
            labels = display(QuestionKind.MULTI, keys, step.choices)
            run.replies.append(run.question(new, note=texts.SELECTED.format(labels=labels)))
            return new
        return accept(run, state, keys)
    if kind is QuestionKind.DATE:
        today = run.ctx.now.date()
        prefer: Prefer = "past" if step.prefer == "past" else "future"
        reading = read_dutch_date(text, today, prefer)
        found = reading.day
        if found is None:
            error = texts.DATE_PROBLEMS.get(reading.problem or "", texts.ERR_DATE)
            run.replies.append(run.question(state, error))
            return state
        if wrong_side(found, today, prefer):
            wrong = texts.ERR_DATE_NOT_PAST if prefer == "past" else texts.ERR_DATE_NOT_FUTURE
            error = wrong.format(date=weekday_day_month_year(found))
            run.replies.append(run.question(state, error))
            return state
        noted = texts.DATE_NOTED.format(date=weekday_day_month_year(found))
        return accept(run, state, found.isoformat(), echo=noted)
    # free text
    # Control characters (a NUL from a copy-paste) are never stored.
    cleaned = "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()
    if (
        state.redacted is not None
        and state.redacted_for == state.serial
        and cleaned.casefold() == texts.REPLACE_WORD
    ):
        return accept(run, state, state.redacted)
    if step.optional and cleaned in ("-", ""):
        return accept(run, state, None)
    if not cleaned:
        run.replies.append(run.question(state, texts.ERR_TEXT_EMPTY))
        return state
    if sum(1 for ch in cleaned if ch.isalnum()) < 2:
        # A single emoji or character is not a description.
        run.replies.append(run.question(state, texts.ERR_TEXT_TOO_SHORT))
        return state
    if len(cleaned) > step.max_length:
        error = texts.ERR_TEXT_LONG.format(length=len(cleaned), max=step.max_length)
        run.replies.append(run.question(state, error))
        return state
    findings = run.ctx.identifiers.find(cleaned)
    if findings:
        redacted = redact(cleaned, findings)
        error = texts.ERR_TEXT_IDENTIFYING.format(
            found=describe(findings), replace_word=texts.REPLACE_WORD, redacted=redacted
        )
        if len(error) > ERROR_LIMIT:  # a long answer: name what was found, not the whole text
            error = texts.ERR_TEXT_IDENTIFYING.format(
                found=describe(findings), replace_word=texts.REPLACE_WORD, redacted="…"
            )
        state = replace(state, redacted=redacted, redacted_for=state.serial)
        run.replies.append(run.question(state, error))
        return state
    return accept(run, state, cleaned)


def accept(run: Walker, state: State, value: JSON, *, echo: str = "") -> State:
    """Log ``value`` as the answer and walk on. ``echo`` (what was understood,
    e.g. a date) opens the next message, so it costs no message of its own."""
    frame = state.stack[-1]
    step = run.step_of(frame)
    path = (*frame.ns, step.id)
    state = run.log(state, path, value, EntryKind.ANSWER)
    state = run.mark_changed(state, path, value)
    state = replace(state, selection=(), previous={}, reading=None, redacted=None)
    state = run.goto_next(state, step)
    first = len(run.replies)
    state = run.advance(state)
    if echo:
        _prepend(run, first, echo)
    return state


def _prepend(run: Walker, index: int, echo: str) -> None:
    nxt = run.replies[index] if index < len(run.replies) else None
    if isinstance(nxt, Say) and not nxt.article:
        run.replies[index] = replace(nxt, text=f"{echo}\n{nxt.text}")
    elif isinstance(nxt, Ask):
        note = f"{echo} {nxt.note}".strip()
        run.replies[index] = replace(nxt, note=note)
    else:
        run.replies.insert(index, Say(echo))
