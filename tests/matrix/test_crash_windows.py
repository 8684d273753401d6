"""A Matrix message whose step committed just before a crash is not applied again.

``voorkomen matrix`` runs as its own process against the real Synapse and
kills itself with SIGKILL right after the step of the professional's answer
committed (the hook in tests/support/crashhook, armed right before the
answer): the room's marker of the last handled event and the batch's sync
token were not written, the reply was not sent. A new process syncs from the
old token and gets the same event again; it must skip it (the step recorded
the event id with the answer), not apply the case code a second time as the
answer to the next question.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from bot.store.sql import create_store
from tests.matrix.botprocess import RUN, expire_leases
from tests.matrix.conftest import FIXTURE_FLOWS, BotAccount, MakeUser
from tests.org.support import enrol
from tests.peers.synapse import SynapseServer
from tests.support.crash import KILLED, crash_env
from tests.support.env import bot_env

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]


async def test_an_answer_killed_after_its_step_committed_is_applied_once(
    synapse_server: SynapseServer, bot_account: BotAccount, make_user: MakeUser, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    env = bot_env(
        DATABASE_URL=database,
        FLOWS_DIR=str(FIXTURE_FLOWS),
        KNOWLEDGE_DIR=str(tmp_path / "no-knowledge"),
        MAIN_FLOW="overleg",
        MATRIX_HOMESERVER=synapse_server.url,
        MATRIX_USER_ID=bot_account.user_id,
        MATRIX_PASSWORD=bot_account.account.password,
        MATRIX_STORE_PATH=str(bot_account.store_path),
        MATRIX_REQUIRE_ENCRYPTION="false",
    )
    token_name = f"matrix:{bot_account.user_id}:next_batch"
    pro = await make_user("anna")
    enrol(database, "matrix", pro.user_id, name="Anna")
    bot = bot_account.user_id
    arm, log = tmp_path / "arm", tmp_path / "bot.log"

    async def start(extra: dict[str, str]) -> asyncio.subprocess.Process:
        with log.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                RUN,
                cwd=PROJECT_ROOT,
                env=env | extra,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )

    def token() -> str | None:
        store = create_store(database)
        try:
            return store.get_value(token_name)
        finally:
            store.close()

    process = await start(crash_env("after-step", arm))
    try:
        room = await pro.create_dm(bot, encrypted=False, timeout=60)
        greeting = await pro.settle(room, bot, at_least=2, timeout=60)
        assert greeting[-1].body.startswith("Waarmee wil je aan de slag?")
        await pro.send(room, "Overleg & afspraken")
        asked = await pro.settle(room, bot, timeout=60)
        assert asked[-1].body.startswith("Wat is je casuscode?")
        before = token()
        assert before

        arm.touch()
        await pro.send(room, "AB-22")
        await asyncio.wait_for(process.wait(), timeout=60)
        assert f"{KILLED}after-step" in log.read_text(errors="replace")
        arm.unlink()
        assert token() == before  # the answer's batch was not finished: it comes again
        expire_leases(database)

        process = await start({})
        async with asyncio.timeout(60):  # bounded: the new process handled that batch
            while token() == before:
                await asyncio.sleep(0.2)
        again = await pro.settle(room, bot, at_least=0, quiet=2.0)
        assert again == [], f"the answer was handled again: {[m.body[:80] for m in again]}"

        await pro.send(room, "verder")
        shown = await pro.settle(room, bot, timeout=60)
        assert "Waar gaat het <dilemma> over?" in shown[-1].body, [m.body[:80] for m in shown]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
