"""Start-up: ``voorkomen chat`` to its first question and ``voorkomen telegram`` to
ready, next to ``import aiogram``.

Issue 15 keeps the console under 1 s on this machine. Each figure is a fresh
process (``sys.executable``), timed from spawning it until the first question
is on its standard output (the console prints the welcome and the first
question in one go), or, for the reference, until ``python -c "import
aiogram"`` has exited. The database is made by one untimed run first (the
migrations and the "Demo" organisation), so the timed runs are a user's
second and later starts.

``voorkomen telegram`` (long polling, as ``python -m bot.cli.telegram`` with
its INFO log) is timed until it logs that it is ready: it has introduced
itself to the Bot API (``getMe``, the command menu, the description) and
polls. The Bot API is the emulator of the end-to-end tests
(``tests/peers/telegram``), started once; each timed run is then stopped by
its PID.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION_MARK = "Kies een nummer"
"""The hint under the start menu's question: the first question is all on screen."""
READY_MARK = "is ready ("
"""In ``bot.channels.telegram.runners.READY_LINE``: the bot polls."""
TOKEN = "700999:bench-start-up"


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


def _read_until(child: subprocess.Popen[bytes], mark: str, started: float, timeout: float) -> None:
    """Read ``child``'s output until ``mark`` shows; raise if it ends or times out first."""
    assert child.stdout is not None
    seen = b""
    while mark.encode() not in seen:
        left = timeout - (time.perf_counter() - started)
        ready, _, _ = select.select([child.stdout], [], [], max(left, 0))
        chunk = os.read(child.stdout.fileno(), 65536) if ready else b""
        if not chunk:
            msg = f"no {mark!r} from the bot: {seen[-800:]!r}"
            raise RuntimeError(msg)
        seen += chunk


def telegram_to_ready(database: Path, api_url: str, timeout: float = 180) -> float:
    """Seconds from spawning ``voorkomen telegram`` (long polling against the Bot
    API at ``api_url``) until it logs that it is ready; then it is stopped."""
    env = _env(database)
    env.update(
        {
            "VOORKOMEN_TELEGRAM_TOKEN": TOKEN,
            "VOORKOMEN_TELEGRAM_API_URL": api_url,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("VOORKOMEN_TELEGRAM_WEBHOOK_URL", None)
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.telegram"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _read_until(child, READY_MARK, started, timeout)
        seconds = time.perf_counter() - started
    finally:
        _stop(child)
    return seconds


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Stop a bot this module started (``stop_process``) and close its output pipe."""
    from tests.peers.common import stop_process

    stop_process(child, "bot")
    if child.stdout is not None:
        child.stdout.close()


@contextmanager
def bot_api_emulator(folder: Path) -> Iterator[str | None]:
    """The Bot API emulator of ``tests/peers/telegram`` (its URL), or None when it
    is not installed (Node.js, ``npm ci``) or does not start."""
    try:
        from tests.peers.telegram.fixture import start_emulator
    except ImportError:
        yield None
        return
    try:
        emulator = start_emulator(folder / "emulator.log")
    except BaseException as err:  # the fixture skips or fails the way pytest does
        if isinstance(err, KeyboardInterrupt | SystemExit):
            raise
        yield None
        return
    try:
        yield emulator.url
    finally:
        _stop(emulator.process)


def import_aiogram() -> float:
    """Seconds for ``python -c "import aiogram"`` in a fresh process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import aiogram"], cwd=ROOT, check=True, timeout=120)
    return time.perf_counter() - started


def prepare(database: Path) -> None:
    """The untimed first run: migrate and make the "Demo" organisation."""
    chat_to_first_question(database)
