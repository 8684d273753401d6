"""Walk a flow through the real engine, covering every answer of every question.

Each walk answers the questions by a *policy* (question -> answer); answers
not in the policy take the first option. Whenever a walk meets a question,
every other answer it could give there is scheduled as a new walk (the policy
so far plus that answer), so each reachable (question, answer) is taken at
least once, in the situation that led to it. Walks stop at the review of the
vastlegging, or after a bound.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.engine.context import Context
from bot.engine.messages import Ask, ChoiceIn, DoneIn, Incoming, QuestionKind, StepResult, TextIn
from bot.engine.runner import begin, step
from bot.engine.state import EntryKind, Mode, State
from bot.flowspec.graph import FlowBook

QuestionKey = tuple[str, str]
"""(block, step): the same question wherever the flow is called from."""
Answer = tuple[str, ...]
"""Choice keys (one for a single choice, any number for multi); () for text/date."""

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
_TEXTS = ("Voorbeeld", "V-1")
_DATES = ("vandaag", "morgen", "gisteren", "over een week", "een week geleden")
MAX_WALKS = 150
MAX_TURNS = 120


@dataclass(frozen=True)
class Asked:
    """One question on a walk and the answer given."""

    key: QuestionKey
    text: str
    answer: Answer
    label: str


@dataclass(frozen=True)
class Walk:
    """One path through a flow: the questions in order and the advice given."""

    flow: str
    policy: tuple[tuple[QuestionKey, Answer], ...]
    asked: tuple[Asked, ...]
    advice: tuple[tuple[QuestionKey, int], ...]
    """(advice step, number of questions asked before it)."""
    finished: bool
    stuck: bool = False
    """The engine refused every way this walker had to give an answer (e.g. an
    empty choice where one is required): not a path a professional can take."""

    def answer_of(self, key: QuestionKey) -> Answer | None:
        for item in self.asked:
            if item.key == key:
                return item.answer
        return None


def _options(ask: Ask) -> list[Answer]:
    keys = [c.key for c in ask.choices]
    if ask.kind is QuestionKind.MULTI:
        return [(k,) for k in keys] + [()]
    if ask.kind in (QuestionKind.SINGLE, QuestionKind.YESNO):
        return [(k,) for k in keys]
    return [()]


def _label(ask: Ask, answer: Answer) -> str:
    labels = {c.key: c.label for c in ask.choices}
    if ask.kind in (QuestionKind.TEXT, QuestionKind.DATE):
        return "(een antwoord)"
    if not answer:
        return "(niets gekozen)"
    return " + ".join(labels.get(k, k) for k in answer)


def _inputs(ask: Ask, answer: Answer) -> list[list[Incoming]]:
    """Ways to give ``answer``; the first that the engine accepts is used."""
    if ask.kind is QuestionKind.MULTI:
        return [
            [*(ChoiceIn(ask.question_id, k) for k in answer), DoneIn(ask.question_id)],
            [TextIn("-")],
        ]
    if ask.kind in (QuestionKind.SINGLE, QuestionKind.YESNO):
        return [[ChoiceIn(ask.question_id, answer[0])]]
    words = _DATES if ask.kind is QuestionKind.DATE else _TEXTS
    return [[TextIn(w)] for w in (*words, "-")]


def _open_question(result: StepResult) -> Ask | None:
    if result.state.mode is not Mode.ASKING:
        return None
    asks = [r for r in result.replies if isinstance(r, Ask)]
    return asks[-1] if asks else None


def _advice(state: State) -> list[QuestionKey]:
    return [(e.stack[-1].block, e.path[-1]) for e in state.log if e.kind is EntryKind.ADVICE]


class Walker:
    """Walks one flow of one book."""

    def __init__(self, book: FlowBook, flow: str) -> None:
        self.book = book
        self.flow = flow
        self.ctx = Context(now=NOW)

    def walk(
        self, policy: dict[QuestionKey, Answer]
    ) -> tuple[Walk, list[dict[QuestionKey, Answer]]]:
        """One walk under ``policy``, and the policies it suggests trying next."""
        result = begin(self.book, State(), self.flow, self.ctx)
        asked: list[Asked] = []
        advice: list[tuple[QuestionKey, int]] = []
        seen_advice = 0
        suggestions: list[dict[QuestionKey, Answer]] = []
        so_far: dict[QuestionKey, Answer] = {}
        stuck = False
        for _ in range(MAX_TURNS):
            found = _advice(result.state)
            for key in found[seen_advice:]:
                advice.append((key, len(asked)))
            seen_advice = len(found)
            ask = _open_question(result)
            if ask is None:
                break
            key = (result.state.stack[-1].block, ask.step)
            options = _options(ask)
            answer = policy.get(key, options[0])
            if key not in so_far:
                for other in options:
                    if other != answer:
                        suggestions.append({**so_far, key: other})
            so_far.setdefault(key, answer)
            before = result.state
            for attempt in _inputs(ask, answer):
                result = StepResult(before, [], [])
                for incoming in attempt:
                    result = step(self.book, result.state, incoming, self.ctx)
                after = _open_question(result)
                if after is None or after.step != ask.step or not after.error:
                    break  # accepted (a rejected answer asks the same question again)
            if result.state == before or (
                (after := _open_question(result)) is not None
                and after.step == ask.step
                and after.error
            ):
                stuck = True  # nothing this walker can type is accepted here
                break
            asked.append(Asked(key, ask.text, answer, _label(ask, answer)))
        finished = result.state.mode is Mode.REVIEW
        walk = Walk(self.flow, tuple(policy.items()), tuple(asked), tuple(advice), finished, stuck)
        return walk, suggestions


def walk_all(book: FlowBook, flow: str, limit: int = MAX_WALKS) -> list[Walk]:
    """Walks covering every reachable answer of every question of ``flow`` (bounded)."""
    walker = Walker(book, flow)
    todo: deque[dict[QuestionKey, Answer]] = deque([{}])
    tried: set[tuple[tuple[QuestionKey, Answer], ...]] = set()
    paths: set[tuple[tuple[QuestionKey, Answer], ...]] = set()
    walks: list[Walk] = []
    while todo and len(walks) < limit:
        policy = todo.popleft()
        frozen = tuple(sorted(policy.items()))
        if frozen in tried:
            continue
        tried.add(frozen)
        walk, suggestions = walker.walk(policy)
        path = tuple((a.key, a.answer) for a in walk.asked)
        if walk.stuck or path in paths:
            continue
        paths.add(path)
        walks.append(walk)
        todo.extend(suggestions)
    return walks


def replay(book: FlowBook, walk: Walk) -> Walk:
    """The same answers (by question) on another book: what happens there."""
    policy = {item.key: item.answer for item in walk.asked}
    replayed, _ = Walker(book, walk.flow).walk(policy)
    return replayed
