"""The same Matrix event delivered twice, across a crash, is handled once.

``voorkomen matrix`` runs as its own process against the real Synapse. The
professional answers two questions; then the process is killed with SIGKILL,
its saved sync token is rolled back to one from before those answers (as
after a crash between handling a batch and saving its token), and a new
process starts on the same database and key store. Synapse delivers the same
events (the same event ids) again; the channel's per-room marker of the last
handled event must skip them: no reply, no answer applied twice, and the
conversation goes on at the question it was at.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.matrix.botprocess import BotProcess
from tests.matrix.conftest import BotAccount, MakeUser
from tests.org.support import enrol
from tests.peers.synapse import SynapseServer

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]


async def test_events_delivered_again_after_a_crash_are_handled_once(
    synapse_server: SynapseServer, bot_account: BotAccount, make_user: MakeUser, tmp_path: Path
) -> None:
    bot_process = BotProcess.on(synapse_server, bot_account, tmp_path, require_encryption=False)
    pro = await make_user("anna")
    enrol(bot_process.database, "matrix", pro.user_id, name="Anna")
    bot = bot_account.user_id

    await asyncio.to_thread(bot_process.start)
    try:
        room = await pro.create_dm(bot, encrypted=False, timeout=60)
        menu = "Waarmee wil je aan de slag?"
        greeting = await pro.settle(room, bot, at_least=2, timeout=60, until=menu)
        assert greeting[-1].body.startswith(menu)
        before = bot_process.value("next_batch")  # a token from before the answers
        assert before

        await pro.send(room, "Overleg & afspraken")
        asked = await pro.settle(room, bot, timeout=60, until="Wat is je casuscode?")
        assert asked[-1].body.startswith("Wat is je casuscode?")
        await pro.send(room, "AB-22")
        asked = await pro.settle(room, bot, timeout=60, until="Waar gaat het <dilemma> over?")
        assert asked[-1].body.startswith("Waar gaat het <dilemma> over?")

        await asyncio.to_thread(bot_process.kill)  # SIGKILL; its lease ended
        assert bot_process.value("next_batch") != before
        bot_process.set_value("next_batch", before)  # the answers' batch as if never saved

        await asyncio.to_thread(bot_process.start)
        # Wait (bounded) until the new process has synced from the old token.
        async with asyncio.timeout(60):
            while bot_process.value("next_batch") == before:
                await asyncio.sleep(0.2)
        again = await pro.settle(room, bot, at_least=0, quiet=2.0)
        assert again == [], f"events handled again: {[m.body[:80] for m in again]}"

        await pro.send(room, "verder")
        shown = await pro.settle(room, bot, timeout=60, until="Waar gaat het")
        assert "Waar gaat het <dilemma> over?" in shown[-1].body, [m.body[:80] for m in shown]
    finally:
        await asyncio.to_thread(bot_process.stop)
