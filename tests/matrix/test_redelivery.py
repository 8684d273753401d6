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
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.settings import PROJECT_ROOT
from bot.store.lease import Lease
from bot.store.sql import create_store, make_engine
from tests.matrix.conftest import FIXTURE_FLOWS, BotAccount, MakeUser
from tests.org.support import enrol
from tests.peers.synapse import SynapseServer
from tests.support.env import bot_env

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]

RUN = 'from bot.cli import main; main(["matrix"])'  # as `voorkomen matrix`


def _expire_leases(database: str) -> None:
    """What an operator does after a crash they saw: the dead process's lease ends now."""
    engine = make_engine(database)
    try:
        with engine.begin() as conn:
            past = datetime.now(UTC) - timedelta(seconds=1)
            conn.execute(update(Lease.__table__).values(expires_at=past))
    finally:
        engine.dispose()


async def test_events_delivered_again_after_a_crash_are_handled_once(
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

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, cwd=PROJECT_ROOT, env=env, stderr=subprocess.DEVNULL
        )

    process = await start()
    try:
        room = await pro.create_dm(bot, encrypted=False, timeout=60)
        greeting = await pro.settle(room, bot, at_least=2, timeout=60)
        assert greeting[-1].body.startswith("Waarmee wil je aan de slag?")
        store = create_store(database)
        try:
            before = store.get_value(token_name)  # a token from before the answers
        finally:
            store.close()
        assert before

        await pro.send(room, "Overleg & afspraken")
        asked = await pro.settle(room, bot, timeout=60)
        assert asked[-1].body.startswith("Wat is je casuscode?")
        await pro.send(room, "AB-22")
        asked = await pro.settle(room, bot, timeout=60)
        assert asked[-1].body.startswith("Waar gaat het <dilemma> over?")

        process.kill()  # SIGKILL
        await process.wait()
        store = create_store(database)
        try:
            assert store.get_value(token_name) != before
            store.set_value(token_name, before)  # the answers' batch as if never saved
        finally:
            store.close()
        _expire_leases(database)

        process = await start()
        # Wait (bounded) until the new process has synced from the old token.
        async with asyncio.timeout(60):
            while True:
                store = create_store(database)
                try:
                    now = store.get_value(token_name)
                finally:
                    store.close()
                if now != before:
                    break
                await asyncio.sleep(0.2)
        again = await pro.settle(room, bot, at_least=0, quiet=2.0)
        assert again == [], f"events handled again: {[m.body[:80] for m in again]}"

        await pro.send(room, "verder")
        shown = await pro.settle(room, bot, timeout=60)
        assert "Waar gaat het <dilemma> over?" in shown[-1].body, [m.body[:80] for m in shown]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
