"""``voorkomen matrix`` as a process: configured from the environment, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from bot.store.sql import create_store
from tests.matrix.conftest import FIXTURE_FLOWS, BotAccount, MakeUser
from tests.org.support import enrol
from tests.peers.synapse import SynapseServer
from tests.support.env import bot_env

RUN = 'from bot.cli import main; main(["matrix"])'  # as `voorkomen matrix`


def _env(**values: str) -> dict[str, str]:
    return bot_env(**values)


def test_without_an_account_it_says_what_to_set(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUN],
        env=_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "VOORKOMEN_MATRIX_HOMESERVER" in result.stderr


@pytest.mark.peer
@pytest.mark.timeout(120)
async def test_runs_answers_and_stops_cleanly_on_sigterm(
    synapse_server: SynapseServer, bot_account: BotAccount, make_user: MakeUser, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    pro = await make_user("anna")
    enrol(database, "matrix", pro.user_id, name="Anna")  # only members get an answer
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUN,
        cwd=PROJECT_ROOT,
        env=_env(
            DATABASE_URL=database,
            FLOWS_DIR=str(FIXTURE_FLOWS),
            KNOWLEDGE_DIR=str(tmp_path / "no-knowledge"),
            MAIN_FLOW="overleg",
            MATRIX_HOMESERVER=synapse_server.url,
            MATRIX_USER_ID=bot_account.user_id,
            MATRIX_PASSWORD=bot_account.account.password,
            MATRIX_REQUIRE_ENCRYPTION="true",
        ),
        stderr=subprocess.PIPE,
    )
    try:
        room = await pro.create_dm(bot_account.user_id, encrypted=True, timeout=60)
        greeting = await pro.expect(room, bot_account.user_id, count=2)
        assert greeting[0].body.startswith("Welkom bij Voorkomen")
        assert greeting[1].body.startswith("Waarmee wil je aan de slag?")
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    store = create_store(database)
    try:
        assert store.get_value(f"matrix:{bot_account.user_id}:next_batch")
        assert store.get_value(f"matrix:{bot_account.user_id}:device_id")
    finally:
        store.close()
    # The E2E keys went to the default place: a data dir next to the database.
    assert list((tmp_path / "data" / "matrix-store").glob("*.db"))
