"""The engine alone: what one ``step`` costs, without a channel or a store.

``EngineUser`` walks a flow through ``bot.engine.runner`` the way a Telegram
user would (buttons for choices and yes/no, an option and Klaar for
multiple choice, typed text and dates), timing only ``begin`` and ``step``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.engine.context import Context, KnowledgeLike, NoKnowledge
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    ChoiceIn,
    DocumentRequest,
    DoneIn,
    Incoming,
    QuestionKind,
    StepResult,
    TextIn,
)
from bot.engine.runner import begin, step
from bot.engine.state import State
from bot.flowspec.graph import FlowBook

TRAITS = ChannelTraits(name="telegram", buttons=True)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
MAX_STEPS = 400


@dataclass
class StepTimer:
    seconds: float = 0.0
    steps: int = 0

    def per_step_us(self) -> float:
        return self.seconds / self.steps * 1e6 if self.steps else float("nan")


def answer_for(ask: Ask) -> Incoming:
    """What a Telegram user does with ``ask``: a button, or typed text."""
    if ask.kind is QuestionKind.MULTI:
        if ask.selected:
            return DoneIn(ask.question_id)
        return ChoiceIn(ask.question_id, ask.choices[0].key)
    if ask.choices:
        return ChoiceIn(ask.question_id, ask.choices[0].key)
    if ask.kind is QuestionKind.DATE:
        return TextIn("vandaag")  # fits a question about the past and one about the future
    return TextIn("Test")


def walk(
    book: FlowBook,
    flow_id: str,
    timer: StepTimer,
    *,
    knowledge: KnowledgeLike | None = None,
) -> int:
    """Walk ``flow_id`` from its start to the vastlegging; returns the steps taken."""
    ctx = Context(now=NOW, traits=TRAITS, knowledge=knowledge or NoKnowledge())
    start = time.perf_counter()
    result: StepResult = begin(book, State(), flow_id, ctx)
    timer.seconds += time.perf_counter() - start
    timer.steps += 1
    steps = 1
    for _ in range(MAX_STEPS):
        if any(isinstance(r, DocumentRequest) and r.final for r in result.replies):
            return steps
        asks = [r for r in result.replies if isinstance(r, Ask)]
        if not asks:
            msg = f"{flow_id}: no question and no vastlegging after step {steps}"
            raise AssertionError(msg)
        incoming = answer_for(asks[-1])
        start = time.perf_counter()
        result = step(book, result.state, incoming, ctx)
        timer.seconds += time.perf_counter() - start
        timer.steps += 1
        steps += 1
    msg = f"{flow_id}: no vastlegging after {MAX_STEPS} steps"
    raise AssertionError(msg)


def startable_flows(book: FlowBook) -> list[str]:
    """The flows of the menu, the main flow ``dilemma`` first if it is there."""
    ids = [flow.id for flow in book.menu()]
    return sorted(ids, key=lambda f: (f != "dilemma", ids.index(f)))
