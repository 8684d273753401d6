"""Figures some tests print in the normal pytest output (the question budget of
the examples, the precision and recall of the identifying-data detector).

A test asks for the ``report`` fixture and hands it lines for a section; they
travel as the test report's ``user_properties``, so they reach the summary the
same way whether the tests run in one process or spread over pytest-xdist
workers (a module-level list would stay behind in the worker).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

PREFIX = "report:"
SORTED = "report-sorted:"

_sections: dict[str, list[str]] = {}
_sorted: set[str] = set()

Report = Callable[..., None]


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Report:
    """``report(section, *lines, sort=False)``: print ``lines`` under ``section``
    at the end of the run (``sort``: the section's lines in alphabetical order)."""
    node = request.node

    def add(section: str, *lines: str, sort: bool = False) -> None:
        prefix = SORTED if sort else PREFIX
        node.user_properties.extend((prefix + section, line) for line in lines)

    return add


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        for prefix in (PREFIX, SORTED):
            if name.startswith(prefix):
                section = name.removeprefix(prefix)
                _sections.setdefault(section, []).append(str(value))
                if prefix == SORTED:
                    _sorted.add(section)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for section, lines in _sections.items():
        terminalreporter.section(section)
        for line in sorted(set(lines)) if section in _sorted else lines:
            terminalreporter.write_line(line)
