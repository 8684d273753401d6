"""A read-only SQLite file is an outage, not a crash; once it is writable, the bot goes on.

A restored backup with the wrong owner, or a disk the kernel remounted
read-only, leaves the bot able to read its database but not write it. SQLite
then opens its connections read-only; the bot must tell the user briefly
(the same reply as a database outage), lose nothing, and go on by itself once
the file is writable again. SQLite keeps its read-only view of a WAL database
(the -shm mapping) for as long as any connection of the process has the file
open, so after an outage the store lets go of all its idle connections
(``ConversationStore.reconnect``); without that, the test fails.

The bot runs as a real ``voorkomen chat`` process. File permissions do not bind
root, so under root the process is started without the capabilities that
override them (``setpriv``), as a service user would run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.crypto import MasterKey
from bot.engine import texts
from bot.service.ports import ConversationKey
from bot.store.sql import SqlStore
from tests.console.test_console import _read_until, chat, env_for

#: The console user of this test.
USER = "tester"

#: Capabilities that let root write a file whatever its mode.
OVERRIDES = "-dac_override,-dac_read_search"


def as_service_user(command: list[str]) -> list[str]:
    """``command`` bound by file permissions, also when the tests run as root."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    return [setpriv, f"--inh-caps={OVERRIDES}", f"--bounding-set={OVERRIDES}", *command]


def saved_answers(db: Path) -> dict[str, object]:
    store = SqlStore(f"sqlite:///{db}", master=MasterKey.from_environment())
    try:
        state = store.load(ConversationKey("console", USER))
    finally:
        store.close()
    assert state is not None
    return {"/".join(entry.path): entry.value for entry in state.log}


def test_a_read_only_sqlite_file_is_an_outage_and_the_bot_recovers(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    # Two answers saved while the file is writable.
    first = chat(["--new", "--as", USER], "C-7\n2\n", db)
    assert first.returncode == 0, first.stderr
    assert saved_answers(db)["code"] == "C-7"

    db.chmod(0o444)
    proc = subprocess.Popen(
        as_service_user([sys.executable, "-m", "bot", "chat", "--as", USER]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env_for(db),
    )
    try:
        assert proc.stdin is not None
        # Resuming needs a write too: the user is told, the process stays up.
        _read_until(proc, texts.STORE_AWAY)
        proc.stdin.write(b"nee\n")
        proc.stdin.flush()
        _read_until(proc, texts.STORE_AWAY)
        assert proc.poll() is None

        # The operator fixes the files (SQLite made its -wal and -shm files with
        # the database's mode); the bot is not restarted and goes on.
        for path in tmp_path.glob(f"{db.name}*"):
            path.chmod(0o644)
        proc.stdin.write(b"nee\n")
        proc.stdin.flush()
        _read_until(proc, "Wanneer ga je het bespreken?")
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0  # a clean stop, not a crash
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    answers = saved_answers(db)
    assert answers["code"] == "C-7"  # nothing saved before the outage is lost
    assert answers["besproken"] == "nee"  # and the answer after it is kept
