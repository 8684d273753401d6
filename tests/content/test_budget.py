"""Five minutes between appointments: every shipped ``dilemma`` example is short.

A professional on a phone between two appointments answers at most 15
questions, of which at most 6 typed (free text); everything else is asked
only when it matters, or offered with "Wil je meer vastleggen?". Each
example's counts are reported in the normal pytest output (see
``tests/reporting.py``), so a growing flow is visible before it breaks the limit.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.content.support import Example, examples, play, question_counts
from tests.reporting import Report

MAX_QUESTIONS = 15
MAX_TYPED = 6
DILEMMA = [e for e in examples() if e.flow == "dilemma"]


def test_there_is_a_dilemma_example_per_kind_of_situation() -> None:
    # baby, care stopping while people disagree, a death, a placement, refused, 14 alone
    assert len(DILEMMA) >= 6


@pytest.mark.parametrize("example", DILEMMA, ids=[e.name for e in DILEMMA])
def test_a_dilemma_example_stays_within_the_budget(
    example: Example, record_property: Callable[[str, object], None], report: Report
) -> None:
    p = play(example)
    questions, typed = question_counts(p)
    record_property("questions", questions)
    record_property("typed", typed)
    report(
        f"dilemma examples: questions / typed answers (max {MAX_QUESTIONS} / {MAX_TYPED})",
        f"{example.name:<34} {questions:>2} vragen  {typed} getypt",
        sort=True,
    )
    assert questions <= MAX_QUESTIONS, f"{example.name}: {questions} questions"
    assert typed <= MAX_TYPED, f"{example.name}: {typed} typed answers"
    # The count is real: every line but the commands answered a question.
    commands = {"nood", "terug", "klaar"}
    assert questions == sum(1 for line in example.lines if line not in commands) - sum(
        1 for line in example.lines if line == "terug"
    )
