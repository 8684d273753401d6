"""The engine: ``step(book, state, incoming, context) -> StepResult``. Pure.

One call handles one user message. Universal words (``terug``, ``stop``,
``nood`` …) work at every question; everything else is an answer to the open
question, a choice in the start menu, or a command at the review. After a
valid answer the engine *advances*: it walks the flow graph, saying texts,
entering sub-flows and ``foreach`` items, skipping questions whose ``when``
does not hold, until it reaches the next question or the end.

After ``wijzig N`` the engine walks again with the earlier answers in a pool
(:class:`~bot.engine.state.Replay`): a question whose answer is in the pool
is kept silently unless it reads an answer that changed, so only dependent
questions are asked again.
"""

from __future__ import annotations

from bot.engine import texts
from bot.engine.answering import answer_text, button, menu_answer
from bot.engine.answers import normalize, parse_yesno
from bot.engine.commands import confirm_answer, review_answer, universal
from bot.engine.context import Context
from bot.engine.messages import (
    ChoiceIn,
    DoneIn,
    Incoming,
    Say,
    Stale,
    StepResult,
    Unsupported,
)
from bot.engine.state import Mode, State
from bot.engine.walker import CONFIRM_STEP, DONE_KEY, MENU_STEP, PAUSED_STEP, REVIEW_STEP, Walker
from bot.flowspec.graph import FlowBook

__all__ = ["CONFIRM_STEP", "DONE_KEY", "MENU_STEP", "PAUSED_STEP", "REVIEW_STEP", "begin", "step"]


def step(book: FlowBook, state: State, incoming: Incoming, ctx: Context) -> StepResult:
    """Handle one incoming message. Never raises for bad input."""
    run = Walker(book, ctx)
    new_state = _dispatch(run, state, incoming)
    return StepResult(new_state, run.replies, run.effects, run.trace)


def _dispatch(run: Walker, state: State, incoming: Incoming) -> State:
    if isinstance(incoming, Unsupported):
        private = run.ctx.traits.end_to_end_encrypted
        run.replies.append(Say(texts.UNSUPPORTED if private else texts.UNSUPPORTED_NOT_ENCRYPTED))
        run.replies.append(run.prompt(state))
        return state
    if isinstance(incoming, ChoiceIn | DoneIn):
        if incoming.question_id != state.question_id:
            run.replies.append(Stale())
            return state
        return button(run, state, incoming)
    text = incoming.text
    word = normalize(text).lstrip("/")
    handled = universal(run, state, word)
    if handled is not None:
        return handled
    if state.mode is Mode.IDLE:
        if state.ended:
            run.replies.append(Say(texts.ENDED))
            return state
        return menu_answer(run, state, text)
    if state.mode is Mode.PAUSED:
        run.replies.append(run.paused_ask(state))
        return state
    if state.mode is Mode.CONFIRM_RESTART:
        return confirm_answer(run, state, parse_yesno(text))
    if state.mode is Mode.REVIEW:
        return review_answer(run, state, word)
    return answer_text(run, state, text)


def begin(book: FlowBook, state: State, flow_id: str, ctx: Context) -> StepResult:
    """Start ``flow_id`` afresh, dropping any conversation in progress."""
    run = Walker(book, ctx)
    if flow_id not in book.flows:
        run.replies.append(run.menu(state))
        return StepResult(state, run.replies, run.effects)
    new_state = run.start_flow(State(serial=state.serial + 1), flow_id)
    return StepResult(new_state, run.replies, run.effects, run.trace)
