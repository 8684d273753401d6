"""Report the question budget of the ``dilemma`` examples in the normal pytest output."""

from __future__ import annotations

import pytest

from tests.content.support import BUDGET_REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not BUDGET_REPORT:
        return
    terminalreporter.write_sep("-", "dilemma examples: questions / typed answers (max 15 / 6)")
    width = max(len(name) for name, _, _ in BUDGET_REPORT)
    for name, questions, typed in sorted(set(BUDGET_REPORT)):
        terminalreporter.write_line(f"{name:<{width}}  {questions:>2} vragen  {typed} getypt")
