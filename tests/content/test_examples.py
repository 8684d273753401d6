"""The example conversations of ``flows/examples`` run, and say what they should.

Each example is what a professional types, the clock, and the summary the
vastlegging must hold. Here every example is played through the engine; its
summary is compared field by field (every answer, the advice given, the case
code), lines of the rendered vastlegging are checked, and ``nood`` is typed
at every question to prove it always helps and never loses an answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine.messages import Ask, Say, TextIn
from bot.engine.runner import step
from bot.engine.state import Mode
from tests.content.support import Example, Play, examples, flatten, play, shipped_book

EXAMPLES = examples()
IDS = [e.name for e in EXAMPLES]
FOOTER = "De professional heeft besloten"
_MISSING = object()


def test_every_shipped_flow_has_an_example_that_starts_it() -> None:
    flows = set(shipped_book().flows)
    assert {e.flow for e in EXAMPLES} == flows


def _differences(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    out = []
    for path in sorted(set(actual) | set(expected)):
        got = actual.get(path, _MISSING)
        want = expected.get(path, _MISSING)
        if got != want:
            shown_got = "(missing)" if got is _MISSING else repr(got)
            shown_want = "(not expected)" if want is _MISSING else repr(want)
            out.append(f"{path}: got {shown_got}, expected {shown_want}")
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_the_summary_holds_every_expected_field(example: Example) -> None:
    p = play(example)
    assert p.finished is not None, f"{example.name} did not reach the vastlegging"
    assert p.finished.flow_id == example.flow
    data = p.data()
    assert data["case_code"] == example.case_code
    assert p.finished.case_code == example.case_code
    answers = data["answers"]
    assert isinstance(answers, dict)
    differences = _differences(flatten(answers), example.answers)
    assert not differences, "\n".join(differences)
    advice = data["advice"]
    assert isinstance(advice, list)
    assert [a["text"] for a in advice] == list(example.advice)


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_the_vastlegging_holds_the_expected_lines_in_both_formats(example: Example) -> None:
    p = play(example)
    doc = p.document()
    lines = doc.text.splitlines()
    missing = [line for line in example.vastlegging if line not in lines]
    assert not missing, "missing lines:\n" + "\n".join(missing) + "\n--- got:\n" + doc.text
    version = p.book.flows[example.flow].version
    assert lines[-1] == f"{FOOTER}. Flow: {example.flow}, versie {version}."
    assert doc.markdown.startswith("## Vastlegging: ")
    assert f"_{FOOTER}. Flow: {example.flow}, versie {version}._" in doc.markdown
    if example.case_code:
        assert f"Casus {example.case_code} · " in doc.text
        assert f"Casus **{example.case_code}** · " in doc.markdown
    for text in (doc.text, doc.markdown):
        assert "None" not in text
        assert "Undefined" not in text
    assert "**" not in doc.text and "## " not in doc.text  # plain text pastes cleanly


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_nood_works_at_every_question_and_nothing_is_lost(example: Example) -> None:
    book = shipped_book()
    checked: list[str] = []

    def nood(p: Play) -> None:
        state = p.state
        if state.mode not in (Mode.ASKING, Mode.REVIEW):
            return
        before = p.last_ask
        result = step(book, state, TextIn("nood"), p.ctx)
        assert result.state == state, "nood changed the conversation"
        assert len(result.replies) == 2
        help_, again = result.replies
        assert isinstance(help_, Say)
        for needed in ("112", "0800-2000", book.org.achterwacht):
            assert needed in help_.text
        assert isinstance(again, Ask)
        assert (again.step, again.text, again.question_id) == (
            before.step,
            before.text,
            before.question_id,
        )
        checked.append(before.step)

    p = play(example, before_each=nood)
    # Every line the user typed was answered at a question (or the review).
    assert len(checked) == len(example.lines)
    answers = p.data()["answers"]
    assert isinstance(answers, dict)
    assert not _differences(flatten(answers), example.answers)


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_uitleg_shows_the_article_of_every_question_with_help(example: Example) -> None:
    book = shipped_book()
    shown: list[str] = []

    def uitleg(p: Play) -> None:
        if p.state.mode is not Mode.ASKING:
            return
        ask = p.last_ask
        if ask.help_article is None:
            return
        article = p.ctx.knowledge.get(ask.help_article)
        assert article is not None, ask.help_article
        result = step(book, p.state, TextIn("uitleg"), p.ctx)
        assert result.state == p.state
        first = result.replies[0]
        assert isinstance(first, Say) and first.text.startswith(article.title)
        shown.append(ask.help_article)

    play(example, before_each=uitleg)
    assert shown, "no question in this example has help"


def test_the_examples_stop_at_every_question_of_every_flow() -> None:
    """So the ``nood`` and ``uitleg`` tests above reach every question there is."""
    book = shipped_book()
    questions = {
        (block_id, step_id)
        for block_id, block in book.blocks.items()
        for step_id, s in block.steps.items()
        if s.kind == "ask"
    }
    stopped: set[tuple[str, str]] = set()

    def note(p: Play) -> None:
        if p.state.mode is Mode.ASKING:
            top = p.state.stack[-1]
            stopped.add((top.block, top.step))

    for example in EXAMPLES:
        play(example, before_each=note)
    assert not sorted(questions - stopped)
