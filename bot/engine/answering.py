"""Answering the open question: read what the user typed or pressed, then act on it.

Top to bottom: :func:`answer_text` (typed) and :func:`button` (pressed) find
the open question; :func:`bot.engine.reading.read_answer` reads the text as
that question wants it and says what to do; :func:`take` does it: an answer
that fits is logged and the walker advances (:func:`accept`), a selection is
shown to confirm, one that does not fit gets the error and the question
again, in one message.
"""

from __future__ import annotations

from dataclasses import replace

from bot.engine import texts
from bot.engine.answers import match_choice
from bot.engine.commands import confirm_answer, review_answer, universal
from bot.engine.messages import Ask, ChoiceIn, DoneIn, QuestionKind, Say, Stale
from bot.engine.reading import Accept, Asking, Reading, Refuse, Select, read_answer, read_selection
from bot.engine.state import JSON, EntryKind, Mode, State, evolve
from bot.engine.walker import Walker


def answer_text(run: Walker, state: State, text: str) -> State:
    """Typed text at the open question."""
    step = run.question_step(state.stack[-1])
    asking = Asking(
        today=run.ctx.now.date(),
        traits=run.ctx.traits,
        identifiers=run.ctx.identifiers,
        selection=state.selection,
        redacted=state.redacted if state.redacted_for == state.serial else None,
    )
    return take(run, state, read_answer(step, text, asking))


def take(run: Walker, state: State, reading: Reading) -> State:
    """Do what the reading of an answer says."""
    match reading:
        case Accept():
            return accept(run, state, reading.value, echo=reading.echo)
        case Select():
            new = evolve(state, selection=reading.keys)
            run.replies.append(run.question(new, note=reading.note))
            return new
        case Refuse():
            if reading.redacted is not None:
                state = evolve(state, redacted=reading.redacted, redacted_for=state.serial)
            run.replies.append(run.question(state, reading.error))
            return state


def accept(run: Walker, state: State, value: JSON, *, echo: str = "") -> State:
    """Log ``value`` as the answer and walk on. ``echo`` (what was understood,
    e.g. a date) opens the next message, so it costs no message of its own."""
    frame = state.stack[-1]
    step = run.step_of(frame)
    path = (*frame.ns, step.id)
    state = run.log(state, path, value, EntryKind.ANSWER)
    state = run.mark_changed(state, path, value)
    state = evolve(state, selection=(), previous={}, reading=None, redacted=None)
    state = run.goto_next(state, step)
    first = len(run.replies)
    state = run.advance(state)
    if echo:
        _prepend(run, first, echo)
    return state


def button(run: Walker, state: State, incoming: ChoiceIn | DoneIn) -> State:
    """A button press: toggles an option of a multiple choice, or answers whatever is open."""
    ask = run.prompt(state)
    multi = state.mode is Mode.ASKING and ask.kind is QuestionKind.MULTI
    if isinstance(incoming, ChoiceIn) and multi:
        if incoming.key not in {c.key for c in ask.choices}:
            run.replies.append(Stale())
            return state
        chosen = set(state.selection) ^ {incoming.key}
        new = evolve(state, selection=tuple(c.key for c in ask.choices if c.key in chosen))
        run.replies.append(run.question(new))
        return new
    if isinstance(incoming, DoneIn):
        if not multi:
            run.replies.append(Stale())
            return state
        step = run.question_step(state.stack[-1])
        return take(run, state, read_selection(step, state.selection))
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


def menu_answer(run: Walker, state: State, text: str) -> State:
    """Typed text at the start menu: the flow it names starts."""
    menu = run.menu(state)
    choice = match_choice(text, menu.choices)
    if choice is None:
        run.replies.append(run.menu(state, texts.MENU_PICK.format(n=len(menu.choices))))
        return state
    return run.start_flow(state, choice.key, welcomed=True)


def _prepend(run: Walker, index: int, echo: str) -> None:
    following = run.replies[index] if index < len(run.replies) else None
    if isinstance(following, Say) and not following.article:
        run.replies[index] = replace(following, text=f"{echo}\n{following.text}")
    elif isinstance(following, Ask):
        note = f"{echo} {following.note}".strip()
        run.replies[index] = replace(following, note=note)
    else:
        run.replies.insert(index, Say(echo))
