"""The review by part: the sections of the answers, the review and section questions.

At the end of a top flow the user sees the parts of their answers (the top
flow's own, then one per called flow, long parts in pages of
:data:`SECTION_SIZE`), opens one, changes an answer in it, or finishes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import texts
from bot.engine.messages import Ask, Choice, QuestionKind
from bot.engine.presenting import Presenter
from bot.engine.state import Mode, State, evolve
from bot.flowspec.graph import CallStep

REVIEW_STEP = "overzicht"
SECTION_STEP = "deel"
SECTION_SIZE = 5
"""Answers per review page: each page is a question of at most 600 characters."""
BACK_KEY = "overzicht"
DONE_KEY = "klaar"


@dataclass(frozen=True)
class Section:
    """One part of the review: a title and the numbers of its answers (1-based)."""

    title: str
    answers: tuple[int, ...]


class Reviewer(Presenter):
    """The review, and the question that is open in any mode (:meth:`prompt`)."""

    def sections(self, state: State) -> list[Section]:
        """The review's parts: the top flow's own answers, then one per called flow
        (its title), in the order they were answered; long parts in pages."""
        top = self.book.blocks[self.book.flows[state.flow or ""].block]
        groups: dict[str, list[int]] = {}
        titles: dict[str, str] = {}
        for n, entry in enumerate(self.answered(state), start=1):
            head = entry.path[0] if len(entry.path) > 1 else ""
            step = top.steps.get(head)
            if not isinstance(step, CallStep):
                head = ""
                titles[head] = texts.REVIEW_GENERAL
            else:
                titles[head] = self.book.flows[step.callee].title
            groups.setdefault(head, []).append(n)
        out: list[Section] = []
        order = ([""] if "" in groups else []) + [g for g in groups if g]
        for head in order:
            numbers = groups[head]
            pages = [numbers[i : i + SECTION_SIZE] for i in range(0, len(numbers), SECTION_SIZE)]
            for p, page in enumerate(pages, start=1):
                count = f"{len(page)}" if len(pages) == 1 else f"{p}/{len(pages)}"
                title = f"{titles[head]} ({count})"
                out.append(Section(title, tuple(page)))
        return out

    def review_ask(self, state: State, error: str = "") -> Ask:
        if state.section:
            return self.section_ask(state, error)
        parts = self.sections(state)
        # Klaar first: what most people do; the parts follow, to look at or change.
        choices = [Choice(DONE_KEY, texts.REVIEW_DONE_LABEL)]
        choices += [
            Choice(f"deel-{n}", _label(part.title)) for n, part in enumerate(parts, start=1)
        ]
        return Ask(
            state.question_id,
            REVIEW_STEP,
            QuestionKind.SINGLE,
            texts.REVIEW_QUESTION,
            tuple(choices),
            hint=texts.REVIEW_HINT,
            error=error,
        )

    def section_ask(self, state: State, error: str = "") -> Ask:
        parts = self.sections(state)
        part = parts[min(state.section, len(parts)) - 1]
        answered = self.answered(state)
        # The lines (question → answer) go in the message; the buttons stay short
        # enough for a phone ("Wijzig 2"), numbered as the lines are.
        choices = []
        lines = []
        for position, n in enumerate(part.answers, start=1):
            question, answer = self.question_and_answer(state, answered[n - 1])
            lines.append(f"{position}. {_short(question, 40)} → {_short(answer, 28)}")
            choices.append(Choice(f"antwoord-{n}", texts.SECTION_CHANGE_LABEL.format(n=position)))
        choices.append(Choice(BACK_KEY, texts.REVIEW_BACK_LABEL))
        title = texts.SECTION_QUESTION.format(title=part.title.rsplit(" (", 1)[0])
        return Ask(
            state.question_id,
            SECTION_STEP,
            QuestionKind.SINGLE,
            "\n".join([title, "", *lines]),
            tuple(choices),
            hint=texts.SECTION_HINT,
            error=error,
        )

    def enter_review(self, state: State) -> State:
        state = evolve(
            state, mode=Mode.REVIEW, replay=None, serial=state.serial + 1, previous={}, section=0
        )
        self.replies.append(self.review_ask(state))
        return state

    def prompt(self, state: State, error: str = "") -> Ask:
        """The question that is open now, whatever the mode."""
        if state.mode is Mode.ASKING and state.stack:
            return self.question(state, error)
        if state.mode is Mode.REVIEW:
            return self.review_ask(state, error)
        if state.mode is Mode.PAUSED:
            return self.paused_ask(state)
        if state.mode is Mode.CONFIRM_RESTART:
            return self.confirm_ask(state)
        return self.menu(state, error)


def _short(text: str, limit: int) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


#: What a phone shows of a button (about 20–25 characters).
LABEL_LIMIT = 24


def _label(title: str) -> str:
    """A part's title as a button: shortened, keeping its count ("Vier ogen (3)")."""
    name, _, count = title.rpartition(" (")
    if not name:
        return _short(title, LABEL_LIMIT)
    suffix = f" ({count}"
    return _short(name, LABEL_LIMIT - len(suffix)) + suffix
