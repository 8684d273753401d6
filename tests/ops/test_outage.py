"""The database goes away mid-conversation: the user is told, the bot stays up,
nothing saved is lost, and it recovers by itself when the database is back.

PostgreSQL is a real server of its own, stopped and started again under a
running Telegram bot process (the emulator peer); the SQLite case is a real
file locked by another connection, as a second process or a backup would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.crypto import MasterKey
from bot.engine import texts
from bot.engine.messages import Ask, ChannelTraits, Say, TextIn
from bot.service.ports import Arrival, ConversationKey
from bot.store.migrate import upgrade
from bot.store.sql import SqlStore
from tests.peers.common import peer_unavailable
from tests.peers.postgres import PeerUnavailableError, PostgresServer, start_postgres
from tests.peers.telegram.fixture import BotProcesses, TelegramUser
from tests.support.service import make_service
from tests.telegram.conftest import flow_set

TRAITS = ChannelTraits("console", end_to_end_encrypted=True)


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test alone (stopping the session's would disturb others)."""
    try:
        server = start_postgres()
    except PeerUnavailableError as err:
        peer_unavailable("PostgreSQL", str(err))
    try:
        yield server
    finally:
        server.stop()


def answers(url: str, key: ConversationKey) -> dict[str, object]:
    store = SqlStore(url, master=MasterKey.from_environment())  # the bots' key
    try:
        state = store.load(key)
    finally:
        store.close()
    assert state is not None
    return {"/".join(e.path): e.value for e in state.log}


@pytest.mark.peer
def test_postgres_stops_mid_conversation_and_the_bot_carries_on(
    own_postgres: PostgresServer,
    telegram_bots: BotProcesses,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    url = own_postgres.create_database()
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    bot = telegram_bots.start(flows, main_flow="gesprek", extra_env={"VOORKOMEN_DATABASE_URL": url})
    user = TelegramUser(bot)
    user.send("/start")
    user.callback_answer(
        user.press(user.expect_question("Waarmee wil je aan de slag?"), "Testgesprek")
    )
    user.expect_question("Wat is je casuscode?")
    user.send("C-77")
    user.expect_question("Wat voor dilemma is het?")

    own_postgres.pause()
    user.send("Informatie delen")
    user.expect("even niet opslaan")
    assert bot.process.poll() is None  # still up

    own_postgres.resume()
    user.send("Informatie delen")  # as the bot asked: send it again
    user.expect_question("Wie moet dit weten?")
    saved = answers(url, ConversationKey("telegram", str(user.chat["id"])))
    assert saved["code"] == "C-77" and saved["soort"] == "delen"


def test_a_locked_sqlite_file_is_an_outage_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    upgrade(f"sqlite:///{path}")
    store = SqlStore(f"sqlite:///{path}?timeout=0.2")  # do not wait long for the lock
    service = make_service(store=store)
    key = ConversationKey("console", "locked")
    service.start_now(Arrival.starting(key, TRAITS))
    service.handle_now(Arrival(key, TextIn("C-5"), TRAITS))

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writes a long time
    try:
        replies = asyncio.run(service.handle(Arrival(key, TextIn("1"), TRAITS)))
        assert replies == [Say(texts.STORE_AWAY)]
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    replies = asyncio.run(service.handle(Arrival(key, TextIn("1"), TRAITS)))
    asks = [r for r in replies if isinstance(r, Ask)]
    assert asks and asks[-1].step != "soort"  # the answer went through now
    state = store.load(key)
    assert state is not None
    assert {"/".join(e.path): e.value for e in state.log}["code"] == "C-5"
    store.close()
