"""Play a conversation through the pure engine, keeping every turn visible.

The same engine the bot runs (``begin``/``step``), with a fixed clock; the
vastlegging is rendered with the real renderer. Nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from bot.engine.context import Context, KnowledgeLike, NoKnowledge
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    Document,
    EngineReply,
    RecordFinished,
    StepResult,
    TextIn,
)
from bot.engine.runner import begin, step
from bot.engine.state import Mode, State
from bot.flowspec.graph import FlowBook
from bot.render.documents import JinjaRenderer

CONSOLE = ChannelTraits("console", end_to_end_encrypted=True)


@dataclass
class Turn:
    """One message of the user and what the engine did with it."""

    line: str
    before: State
    result: StepResult


@dataclass
class Play:
    """A conversation played through the engine."""

    book: FlowBook
    flow: str
    now: datetime
    knowledge: KnowledgeLike = field(default_factory=NoKnowledge)
    traits: ChannelTraits = CONSOLE
    opening: StepResult | None = None
    turns: list[Turn] = field(default_factory=list)
    review: State | None = None
    finished: RecordFinished | None = None

    @property
    def ctx(self) -> Context:
        return Context(now=self.now, traits=self.traits, knowledge=self.knowledge)

    @property
    def state(self) -> State:
        if self.turns:
            return self.turns[-1].result.state
        assert self.opening is not None
        return self.opening.state

    @property
    def results(self) -> Iterator[StepResult]:
        if self.opening is not None:
            yield self.opening
        for turn in self.turns:
            yield turn.result

    def start(self) -> StepResult:
        self.opening = begin(self.book, State(), self.flow, self.ctx)
        self._note(self.opening)
        return self.opening

    def send(self, line: str) -> StepResult:
        before = self.state
        result = step(self.book, before, TextIn(line), self.ctx)
        self.turns.append(Turn(line, before, result))
        self._note(result)
        return result

    def _note(self, result: StepResult) -> None:
        if result.state.mode is Mode.REVIEW:
            self.review = result.state
        for effect in result.effects:
            self.finished = effect

    @property
    def open_question(self) -> Ask | None:
        """The question the last reply ended with, if the bot is waiting for an answer."""
        last = list(self.results)[-1] if self.opening else None
        if last is None or last.state.mode not in (Mode.ASKING, Mode.REVIEW):
            return None
        asks = [r for r in last.replies if isinstance(r, Ask)]
        return asks[-1] if asks else None

    def document(self) -> Document:
        assert self.finished is not None, "the conversation did not finish"
        return JinjaRenderer().render(self.finished.document, self.book.sources)

    def data(self) -> dict[str, object]:
        assert self.finished is not None, "the conversation did not finish"
        return self.finished.document.data


def play_lines(
    book: FlowBook,
    flow: str,
    now: datetime,
    lines: tuple[str, ...],
    *,
    knowledge: KnowledgeLike | None = None,
    before_each: Callable[[Play], None] | None = None,
) -> Play:
    """Play ``lines``; ``before_each`` runs before every line (e.g. to try ``nood``)."""
    p = Play(book, flow, now, knowledge or NoKnowledge())
    p.start()
    for line in lines:
        if before_each is not None:
            before_each(p)
        p.send(line)
    return p


def reply_texts(replies: list[EngineReply] | tuple[EngineReply, ...]) -> list[str]:
    """The text of every reply that has one (messages, questions, documents)."""
    return [str(getattr(r, "text", "")) for r in replies if getattr(r, "text", None)]
