"""Fixtures for the Matrix channel tests: the Synapse peer, users, and a running bot.

``synapse_server`` is the real homeserver (``tests/peers/synapse.py``);
``make_user`` registers a professional with a matrix-nio client of their own;
``run_bot`` starts a :class:`MatrixChannel` as a task on the test's event loop
and stops it at the end. Services here are fakes (``EchoService``) or the
real ``ConversationService`` (``make_app``), never mocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import TIMEZONE, App, create_app
from bot.channels.matrix import MatrixChannel, MatrixConfig, RetryPolicy
from bot.engine.messages import ChannelTraits, Incoming, Reply, Say, TextIn
from bot.service.ports import Arrival, ConversationKey, KeyValueStore
from bot.settings import PROJECT_ROOT, Settings
from tests.peers.synapse import Account, MatrixUser, SynapseServer, synapse_server

__all__ = ["synapse_server"]  # the session fixture, re-exported for these tests

FIXTURE_FLOWS = PROJECT_ROOT / "tests" / "matrix" / "flows"  # our own small flow set


class DictValues:
    """An in-memory ``KeyValueStore`` (a fake, shared by 'restarts' of a bot)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self._lock = threading.Lock()

    def get_value(self, name: str) -> str | None:
        with self._lock:
            return self.values.get(name)

    def set_value(self, name: str, value: str) -> None:
        with self._lock:
            self.values[name] = value


@dataclass
class EchoService:
    """A fake conversation service: answers ``ontvangen: <text>`` and records every call.

    ``script`` maps a text to the replies to give instead; ``fail_on`` makes
    the service raise for that text (to test the channel's error handling).
    """

    script: dict[str, list[Reply]] = field(default_factory=dict)
    fail_on: set[str] = field(default_factory=set)
    calls: list[tuple[ConversationKey, Incoming, ChannelTraits]] = field(default_factory=list)
    delay: float = 0.0

    async def handle(self, arrival: Arrival) -> list[Reply]:
        incoming = arrival.incoming
        self.calls.append((arrival.key, incoming, arrival.traits))
        if self.delay:
            await asyncio.sleep(self.delay)
        text = incoming.text if isinstance(incoming, TextIn) else repr(incoming)
        if text in self.fail_on:
            msg = f"scripted failure on {text!r}"
            raise RuntimeError(msg)
        if text in self.script:
            return list(self.script[text])
        return [Say(f"ontvangen: {text}")]

    def texts(self, chat: str | None = None) -> list[str]:
        return [
            incoming.text
            for key, incoming, _traits in self.calls
            if isinstance(incoming, TextIn) and (chat is None or key.chat == chat)
        ]


@dataclass
class BotAccount:
    """The bot's account and where its E2E keys live (kept across 'restarts')."""

    account: Account
    store_path: Path

    @property
    def user_id(self) -> str:
        return self.account.user_id


@pytest.fixture
def bot_account(synapse_server: SynapseServer, tmp_path: Path) -> BotAccount:
    account = synapse_server.register(synapse_server.unique_localpart("bot"))
    return BotAccount(account, tmp_path / "bot-store")


def bot_config(
    server: SynapseServer, bot: BotAccount, *, use_token: bool = False, **changes: Any
) -> MatrixConfig:
    """The bot's configuration against the test server (password login by default)."""
    config = MatrixConfig(
        homeserver=server.url,
        user_id=bot.user_id,
        password=None if use_token else bot.account.password,
        access_token=bot.account.access_token if use_token else None,
        store_path=bot.store_path,
        require_encryption=False,
        retry=RetryPolicy(retries=5, max_wait=5.0),
        sync_timeout_ms=1_000,
    )
    return replace(config, **changes)


@dataclass
class RunningBot:
    """A bot running as a task on the test's loop."""

    channel: MatrixChannel
    task: asyncio.Task[None]

    @property
    def user_id(self) -> str:
        return self.channel.config.user_id

    async def stop(self) -> None:
        """Stop it the way SIGTERM does, and wait until it is down."""
        self.channel.stop()
        await asyncio.wait_for(self.task, 30)


RunBot = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def run_bot(synapse_server: SynapseServer, bot_account: BotAccount) -> AsyncIterator[RunBot]:
    """Start a bot (``await run_bot(service, kv, **config_changes)``); stopped at the end."""
    running: list[RunningBot] = []

    async def start(service: Any, kv: KeyValueStore, **changes: Any) -> RunningBot:
        channel = MatrixChannel(bot_config(synapse_server, bot_account, **changes), service, kv)
        bot = RunningBot(channel, asyncio.create_task(channel.run()))
        running.append(bot)
        started = asyncio.create_task(channel.started.wait())
        done, _ = await asyncio.wait(
            {bot.task, started}, timeout=60, return_when=asyncio.FIRST_COMPLETED
        )
        if started not in done:
            started.cancel()
            if bot.task in done:
                bot.task.result()  # raises the start-up error
            msg = "the bot did not start within 60 s"
            raise AssertionError(msg)
        return bot

    yield start
    for bot in running:
        if not bot.task.done():
            with contextlib.suppress(Exception):
                await bot.stop()


async def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait (bounded) until ``condition()`` holds: for the state a test asserts next,
    never a bare sleep for the bot to get there."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            msg = f"timed out after {timeout} s waiting for {what}"
            raise AssertionError(msg)
        await asyncio.sleep(0.05)


MakeUser = Callable[..., Awaitable[MatrixUser]]


@pytest.fixture
async def make_user(synapse_server: SynapseServer, tmp_path: Path) -> AsyncIterator[MakeUser]:
    """Register and start a professional's client (``await make_user("anna")``)."""
    users: list[MatrixUser] = []

    async def make(name: str = "pro") -> MatrixUser:
        account = synapse_server.register(synapse_server.unique_localpart(name))
        user = MatrixUser(synapse_server, account, tmp_path / f"store-{account.device_id}")
        await user.start()
        users.append(user)
        return user

    yield make
    for user in users:
        await user.close()


@pytest.fixture
def values() -> DictValues:
    return DictValues()


FIXED_NOW = datetime(2026, 11, 23, 10, 30, tzinfo=TIMEZONE)


def fixed_clock() -> datetime:
    """Both the bot and the test's reference service live at the same moment."""
    return FIXED_NOW


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., App]]:
    """The real app (service, migrated SQLite store, flows); closed at the end.

    ``make_app(flows_dir, db_name)``: the fixture flows by default; the same
    ``db_name`` again is the same database, as after a restart.
    """
    apps: list[App] = []

    def make(flows_dir: Path = FIXTURE_FLOWS, db_name: str = "voorkomen.db") -> App:
        shipped = flows_dir != FIXTURE_FLOWS
        settings = Settings(
            name_check=False,  # the name lists load in tests/identify only
            database_url=f"sqlite:///{tmp_path / db_name}",
            flows_dir=flows_dir,
            knowledge_dir=PROJECT_ROOT / "knowledge" if shipped else tmp_path / "no-knowledge",
            main_flow="dilemma" if shipped else "overleg",
        )
        app = create_app(settings, clock=fixed_clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
