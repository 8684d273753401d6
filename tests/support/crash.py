"""Environment for a bot process that dies at one precise point (see crashhook/)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol

HOOK_DIR = Path(__file__).resolve().parent / "crashhook"
KILLED = "crash-test: killed at "


def crash_env(point: str, arm: Path) -> dict[str, str]:
    """What a bot process needs to kill itself at ``point`` once ``arm`` exists."""
    path = os.environ.get("PYTHONPATH", "")
    return {
        "PYTHONPATH": os.pathsep.join(p for p in (str(HOOK_DIR), path) if p),
        "CRASH_TEST_AT": point,
        "CRASH_TEST_ARM": str(arm),
    }


class Exits(Protocol):
    def poll(self) -> int | None: ...


def wait_killed_at(process: Exits, log: Path, point: str, timeout: float = 60) -> None:
    """Wait (bounded) until ``process`` killed itself at ``point``."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        assert time.monotonic() < deadline, f"the bot did not die at {point}"
        time.sleep(0.05)
    text = log.read_text(errors="replace")
    assert f"{KILLED}{point}" in text, f"the bot died elsewhere:\n{text[-2000:]}"
