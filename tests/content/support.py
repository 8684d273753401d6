"""Play the shipped flows like a professional would, for the content tests.

The example conversations in ``flows/examples/*.yaml`` are data: the lines a
user types, the clock, and the summary the vastlegging must hold. This module
reads them, plays them through the pure engine (so every step's trace and
answer log are visible), and renders the vastlegging with the real renderer.

An example file holds (read with the flows' own YAML reader, so every value
stays text and ``ja``/``nee``/``no`` are never booleans):

- ``title``, ``flow`` (the flow to start) and ``now`` (the clock, ISO 8601);
- ``lines``: what the professional types, in order, ending with ``klaar``;
  universal words (``nood``, ``terug``, ``wijzig 3``) are lines like any other;
- ``expect.case_code``;
- ``expect.answers``: the whole answer tree, flattened to dotted paths
  (``vier_ogen.gedeeld``); skipped questions are ``null``;
- ``expect.advice``: the ``record`` line of every advice shown, in order;
- ``expect.vastlegging``: lines that must appear in the plain-text vastlegging.

Run it to see what an example produces now (handy when writing a new one)::

    .venv/bin/python -m tests.content.support flows/examples/dilemma-veiligheid.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from bot.engine.context import Context
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    Document,
    DocumentRequest,
    EngineReply,
    QuestionKind,
    RecordFinished,
    Say,
    StepResult,
    TextIn,
)
from bot.engine.runner import begin, step
from bot.engine.state import EntryKind, Mode, State
from bot.flowspec.compile import compile_book
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import read_sources
from bot.flowspec.source import read_yaml
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.render.documents import JinjaRenderer

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
EXAMPLES = FLOWS / "examples"
KNOWLEDGE = ROOT / "knowledge"
CONSOLE = ChannelTraits("console", end_to_end_encrypted=True)


@cache
def knowledge() -> KnowledgeBase:
    """The shipped knowledge articles (empty if the folder is not there yet)."""
    return load_knowledge(KNOWLEDGE) if KNOWLEDGE.is_dir() else KnowledgeBase(())


@cache
def shipped_sources() -> Mapping[str, str]:
    return read_sources(FLOWS)


@cache
def shipped_book() -> FlowBook:
    """The shipped flows, checked against the knowledge articles like the bot does."""
    return build_book(shipped_sources())


def build_book(sources: Mapping[str, str]) -> FlowBook:
    articles = knowledge().ids() if KNOWLEDGE.is_dir() else None
    return compile_book(sources, display_root=str(FLOWS), articles=articles)


def with_org(**changes: object) -> FlowBook:
    """The shipped flows with some organisation settings replaced (YAML lines appended)."""
    import yaml

    sources = dict(shipped_sources())
    org = yaml.safe_load(sources["organisatie.yaml"])
    org.update(changes)
    sources["organisatie.yaml"] = yaml.safe_dump(org, allow_unicode=True)
    return build_book(sources)


# ---------------------------------------------------------------- examples


@dataclass(frozen=True)
class Example:
    """One scripted conversation from ``flows/examples``."""

    name: str
    title: str
    flow: str
    now: datetime
    lines: tuple[str, ...]
    case_code: str | None
    answers: dict[str, Any]
    advice: tuple[str, ...]
    vastlegging: tuple[str, ...]


def load_example(path: Path) -> Example:
    data = read_yaml(str(path), path.read_text(encoding="utf-8")).data
    expect = data["expect"]
    return Example(
        name=path.stem,
        title=data["title"],
        flow=data["flow"],
        now=datetime.fromisoformat(data["now"]),
        lines=tuple(data["lines"]),
        case_code=expect.get("case_code"),
        answers=dict(expect["answers"]),
        advice=tuple(expect.get("advice") or ()),
        vastlegging=tuple(expect.get("vastlegging") or ()),
    )


def examples() -> list[Example]:
    return [load_example(p) for p in sorted(EXAMPLES.glob("*.yaml"))]


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; an empty mapping stays a leaf ``{}``."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = dict(value) if isinstance(value, Mapping) else value
    return out


# ---------------------------------------------------------------- playing


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
    traits: ChannelTraits = CONSOLE
    opening: StepResult | None = None
    turns: list[Turn] = field(default_factory=list)
    review: State | None = None
    finished: RecordFinished | None = None

    @property
    def ctx(self) -> Context:
        # trace: the edges walked, for the coverage tests
        return Context(now=self.now, traits=self.traits, knowledge=knowledge(), trace=True)

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
    def last_ask(self) -> Ask:
        for result in reversed(list(self.results)):
            asks = [r for r in result.replies if isinstance(r, Ask)]
            if asks:
                return asks[-1]
        raise AssertionError("no question was asked")

    def document(self) -> Document:
        assert self.finished is not None, "the conversation did not finish"
        return render(self.book, self.finished.document)

    def data(self) -> dict[str, object]:
        assert self.finished is not None, "the conversation did not finish"
        return self.finished.document.data


def render(book: FlowBook, request: DocumentRequest) -> Document:
    return JinjaRenderer().render(request, book.sources)


def play(
    example: Example,
    book: FlowBook | None = None,
    *,
    before_each: Callable[[Play], None] | None = None,
) -> Play:
    """Play ``example``; ``before_each`` runs before every line (e.g. to test ``nood``)."""
    p = Play(book or shipped_book(), example.flow, example.now)
    p.start()
    for line in example.lines:
        if before_each is not None:
            before_each(p)
        p.send(line)
    return p


def says(replies: Sequence[EngineReply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Say)]


def advice_entries(state: State) -> list[tuple[str, str]]:
    """(block, step) of every advice in the answer log."""
    return [(e.stack[-1].block, e.path[-1]) for e in state.log if e.kind is EntryKind.ADVICE]


# ---------------------------------------------------------------- dumping


def _dump(path: Path) -> None:  # pragma: no cover - a helper for authors
    import yaml

    example = load_example(path)
    p = play(example)
    for result in p.results:
        for reply in result.replies:
            if isinstance(reply, Ask):
                print(f"? {reply.text}")
            elif isinstance(reply, Say):
                print(f"  {reply.text}")
    if p.finished is None:
        print("(not finished)")
        return
    data = p.data()
    answers = data["answers"]
    assert isinstance(answers, dict)
    print(yaml.safe_dump({"answers": flatten(answers)}, allow_unicode=True, sort_keys=False))
    print(yaml.safe_dump({"advice": [a["text"] for a in data["advice"]]}, allow_unicode=True))  # type: ignore[attr-defined]
    print(p.document().text)


if __name__ == "__main__":  # pragma: no cover
    for arg in sys.argv[1:]:
        _dump(Path(arg))


# ---------------------------------------------------------------- budget


def question_counts(p: Play) -> tuple[int, int]:
    """(questions answered, of which typed free text) in the log kept at the review.

    The log at the review is what the professional finally answered: a
    question answered, taken back with ``terug`` and answered again counts once.
    """
    state = p.review
    assert state is not None, "the conversation never reached the review"
    questions = typed = 0
    for entry in state.log:
        if not entry.answered:
            continue
        questions += 1
        s = p.book.blocks[entry.stack[-1].block].steps[entry.path[-1]]
        if s.question is QuestionKind.TEXT:
            typed += 1
    return questions, typed
