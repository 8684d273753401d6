"""The detector is loaded once per test session (deduce takes seconds and a gigabyte),
and the precision and recall of the evaluation are printed at the end of the run."""

from __future__ import annotations

import pytest

from bot.identify import Detector
from bot.identify.paths import default_cache_dir

REPORT: list[str] = []


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector(default_cache_dir())  # built by `make` (python -m bot.identify)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("identifying data: precision and recall")
        for line in REPORT:
            terminalreporter.write_line(line)
