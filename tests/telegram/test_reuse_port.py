"""Two webhook workers sharing one port (``SO_REUSEPORT``), on one PostgreSQL.

``voorkomen telegram --webhook`` with ``VOORKOMEN_TELEGRAM_WEBHOOK_REUSE_PORT``
binds its listen address with ``SO_REUSEPORT``, so a second worker can listen
on the same port and the kernel spreads Telegram's connections over both. The
Bot API emulator posts every update straight to that one port while three
professionals walk the test flow at once (one taps three options of a
multiple-choice question at the same moment).

Asserted: both workers took updates, every update was handled by exactly one
worker (aiogram logs each update it handled), each conversation went through
its questions in order with no error, and each record holds exactly the
answers given. Without the setting, a second worker cannot bind the port.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from aiogram.methods import SetWebhook

from bot.channels.telegram import TelegramChannel, WebhookConfig, make_bot, run_webhook
from tests.peers.common import free_port, stop_processes
from tests.peers.postgres import PostgresServer
from tests.peers.telegram.fixture import BotProcess, BotProcesses
from tests.telegram.botapi import TEST_TOKEN, RecordingSession
from tests.telegram.conftest import flow_set
from tests.telegram.service import SpiedService
from tests.telegram.test_workers import check_walks, walk_three

HANDLED = re.compile(r"Update id=(\d+) is handled")


@pytest.fixture
def workers_on_one_port(
    telegram_bots: BotProcesses,
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[BotProcess, BotProcess]]:
    database = postgres_server.create_database()  # empty: the first worker migrates it
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    port = free_port()
    started: list[BotProcess] = []
    try:
        token = ""
        for _worker in range(2):
            env = {
                "VOORKOMEN_DATABASE_URL": database,
                "VOORKOMEN_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
                "VOORKOMEN_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "VOORKOMEN_TELEGRAM_WEBHOOK_REUSE_PORT": "true",
            }
            if token:  # the second worker runs the same bot, on the same port
                env["VOORKOMEN_TELEGRAM_TOKEN"] = token
            bot = telegram_bots.start(flows, main_flow="gesprek", extra_env=env)
            assert "port shared (SO_REUSEPORT)" in bot.log_text()
            token = token or bot.token
            started.append(replace(bot, token=token))
        yield started[0], started[1]
    finally:
        stop_processes([(bot.process, "webhook worker") for bot in started])
        postgres_server.drop_database(database.rsplit("/", 1)[1])


@pytest.mark.peer
@pytest.mark.timeout(300)
def test_two_workers_on_one_port_handle_each_update_once_and_in_order(
    workers_on_one_port: tuple[BotProcess, BotProcess],
) -> None:
    first, second = workers_on_one_port
    users = walk_three(first, timeout=240)

    check_walks(users)

    per_worker = [Counter(HANDLED.findall(bot.log_text())) for bot in (first, second)]
    assert all(per_worker), f"the kernel gave one worker nothing: {per_worker}"
    handled = per_worker[0] + per_worker[1]
    assert handled and max(handled.values()) == 1, f"updates handled twice: {handled}"
    sent = sum(len(user.sent_texts) + len(user.callbacks) for user in users)
    assert len(handled) == sent, "an update was not handled"


async def _serving(config: WebhookConfig) -> tuple[asyncio.Task[None], asyncio.Event, Any]:
    session = RecordingSession()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_webhook(
            TelegramChannel(SpiedService()),
            make_bot(TEST_TOKEN, session=session),
            config,
            stop=stop,
        )
    )
    async with asyncio.timeout(10):  # registered: it listens, or it failed (bounded wait)
        while not session.of(SetWebhook) and not task.done():
            await asyncio.sleep(0.01)
    return task, stop, session


@pytest.mark.parametrize("reuse_port", [True, False])
async def test_a_second_worker_binds_the_same_port_only_with_reuse_port(
    reuse_port: bool,
) -> None:
    port = free_port()
    config = WebhookConfig(f"http://127.0.0.1:{port}/telegram", "127.0.0.1", port, None, reuse_port)
    first, stop_first, _ = await _serving(config)
    second, stop_second, _ = await _serving(config)
    try:
        assert not first.done()
        if reuse_port:
            assert not second.done()
        else:
            with pytest.raises(OSError, match="address already in use"):
                await second
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.wait_for(first, timeout=10)
        if not second.done():
            await asyncio.wait_for(second, timeout=10)
