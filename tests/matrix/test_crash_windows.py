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
from pathlib import Path

import pytest

from tests.matrix.botprocess import BotProcess, expire_leases
from tests.matrix.conftest import BotAccount, MakeUser
from tests.org.support import enrol
from tests.peers.synapse import SynapseServer
from tests.support.crash import KILLED, crash_env

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]


async def test_an_answer_killed_after_its_step_committed_is_applied_once(
    synapse_server: SynapseServer, bot_account: BotAccount, make_user: MakeUser, tmp_path: Path
) -> None:
    process = BotProcess.on(synapse_server, bot_account, tmp_path, require_encryption=False)
    plain_env = process.env
    pro = await make_user("anna")
    enrol(process.database, "matrix", pro.user_id, name="Anna")
    bot = bot_account.user_id
    arm = tmp_path / "arm"

    process.env = plain_env | crash_env("after-step", arm)
    await asyncio.to_thread(process.start)
    try:
        room = await pro.create_dm(bot, encrypted=False, timeout=60)
        greeting = await pro.settle(room, bot, at_least=2, timeout=60)
        assert greeting[-1].body.startswith("Waarmee wil je aan de slag?")
        await pro.send(room, "Overleg & afspraken")
        asked = await pro.settle(room, bot, timeout=60)
        assert asked[-1].body.startswith("Wat is je casuscode?")
        before = process.value("next_batch")
        assert before

        arm.touch()
        await pro.send(room, "AB-22")
        assert process.current is not None
        await asyncio.to_thread(process.current.wait, 60)
        assert f"{KILLED}after-step" in process.log_tail(100_000)
        arm.unlink()
        # The answer's batch was not finished: it comes again.
        assert process.value("next_batch") == before
        expire_leases(process.database)

        process.env = plain_env
        await asyncio.to_thread(process.start)
        async with asyncio.timeout(60):  # bounded: the new process handled that batch
            while process.value("next_batch") == before:
                await asyncio.sleep(0.2)
        again = await pro.settle(room, bot, at_least=0, quiet=2.0)
        assert again == [], f"the answer was handled again: {[m.body[:80] for m in again]}"

        await pro.send(room, "verder")
        shown = await pro.settle(room, bot, timeout=60)
        assert "Waar gaat het <dilemma> over?" in shown[-1].body, [m.body[:80] for m in shown]
    finally:
        process.stop()
