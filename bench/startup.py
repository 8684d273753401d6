"""Start-up: ``voorkomen chat`` from command to first question, next to ``import aiogram``.

Issue 15 keeps the console under 1 s on this machine. Each figure is a fresh
process (``sys.executable``), timed from spawning it until the first question
is on its standard output (the console prints the welcome and the first
question in one go), or, for the reference, until ``python -c "import
aiogram"`` has exited. The database is made by one untimed run first (the
migrations and the "Demo" organisation), so the timed runs are a user's
second and later starts.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION_MARK = "Kies een nummer"
"""The hint under the start menu's question: the first question is all on screen."""


def _env(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["VOORKOMEN_DATABASE_URL"] = f"sqlite:///{database}"
    env["VOORKOMEN_NAME_CHECK"] = "off"
    env.pop("VOORKOMEN_ORG_FLOWS", None)
    return env


def chat_to_first_question(database: Path, timeout: float = 60) -> float:
    """Seconds from spawning ``voorkomen chat`` to its first question on stdout."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        cwd=ROOT,
        env=_env(database),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert child.stdout is not None and child.stdin is not None
    seen = b""
    try:
        while QUESTION_MARK.encode() not in seen:
            left = timeout - (time.perf_counter() - started)
            ready, _, _ = select.select([child.stdout], [], [], max(left, 0))
            chunk = os.read(child.stdout.fileno(), 65536) if ready else b""
            if not chunk:
                msg = f"voorkomen chat showed no question: {seen[-500:]!r}"
                raise RuntimeError(msg)
            seen += chunk
        seconds = time.perf_counter() - started
    finally:
        child.stdin.close()  # end of input: the console saves and stops
        child.wait(timeout=timeout)
        child.stdout.close()
    return seconds


def import_aiogram() -> float:
    """Seconds for ``python -c "import aiogram"`` in a fresh process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import aiogram"], cwd=ROOT, check=True, timeout=120)
    return time.perf_counter() - started


def prepare(database: Path) -> None:
    """The untimed first run: migrate and make the "Demo" organisation."""
    chat_to_first_question(database)
