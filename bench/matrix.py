"""Matrix: the reply round trip of Voorkomen's bot next to a bare matrix-nio echo bot.

Issue 15: on the test Synapse (``tests/peers/synapse.py``, imported, not
copied), in the same run, plain and end-to-end encrypted, Voorkomen's round
trip may be at most 1.2× the echo's. Both bots run on this process's event
loop, each with its own account; the echo bot is what matrix-nio's own
examples make: one ``AsyncClient`` with encryption on, ``sync_forever``, join
on invite, answer every text with the same text. Voorkomen is the real app
(``bot.app.create_app`` on SQLite, the shipped flows, the name check off as
in the other rows) behind its ``MatrixChannel``.

One user per bot and mode (a ``MatrixUser`` of the tests: a matrix-nio
client with its own E2E store, as Element would be) opens a direct chat
(encrypted or not) and warms it up (keys shared, the flow started). Then each
round sends ``messages`` lines to each of the four (the order rotates per
round): timed from sending until the bot's first reply arrives at the user;
untimed, the user then waits until the bot has been quiet for a moment (a
Voorkomen turn may be a text and a question: two messages). Voorkomen's user
answers "1" every time: the first option of a question, a short text for a
typed one, and at the end of the flow the first flow of the menu again.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stats import Figure
from bot.app import App, create_app
from bot.channels.matrix import MatrixChannel, MatrixConfig
from bot.org.model import Role
from bot.service.people_port import Enrolment
from bot.settings import Settings
from tests.peers.synapse import SyncingClient

KEYS = ("voorkomen plain", "echo plain", "voorkomen e2e", "echo e2e")
"""What is measured: the bot, and whether the direct chat is encrypted."""
ANSWER = "1"
QUIET = 0.3
"""Seconds without a message that end a bot's turn (untimed)."""
WAIT = 60.0
"""The longest a reply may take before the run fails (a busy machine)."""


@dataclass
class MatrixResults:
    """Round-trip milliseconds per key (``KEYS``): per round, the median of its messages."""

    figures: dict[str, Figure] = field(default_factory=lambda: {k: Figure("ms") for k in KEYS})
    messages: int = 0
    """Timed messages per key per round."""


class EchoBot(SyncingClient):
    """A bare matrix-nio echo bot: join on invite, answer each text with itself."""

    async def start(self) -> None:
        from nio import InviteMemberEvent, RoomMessageText

        callbacks = [(self._on_invite, InviteMemberEvent), (self._on_text, RoomMessageText)]
        await self.start_syncing(callbacks, timeout=30_000)

    async def _on_invite(self, room: Any, event: Any) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def _on_text(self, room: Any, event: Any) -> None:
        if event.sender == self.user_id:
            return
        await self.client.room_send(
            room.room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": event.body},
            ignore_unverified_devices=True,
        )


@dataclass
class Chat:
    """One user's direct chat with one bot."""

    user: Any  # tests.peers.synapse.MatrixUser
    room_id: str
    bot_id: str

    async def round_trip(self, text: str) -> float:
        """Milliseconds from sending ``text`` to the bot's first reply; then waits
        (untimed, bounded) until the bot has been quiet for ``QUIET`` seconds."""
        started = time.perf_counter()
        await self.user.send(self.room_id, text)
        await self.user.expect(self.room_id, self.bot_id, 1, timeout=WAIT)
        seconds = time.perf_counter() - started
        await self.user.settle(self.room_id, self.bot_id, QUIET, at_least=0, timeout=WAIT)
        return seconds * 1000


def _voorkomen_app(folder: Path) -> App:
    settings = Settings.from_env({}).model_copy(
        update={"database_url": f"sqlite:///{folder / 'matrix.db'}", "name_check": False}
    )
    return create_app(settings)


def _admit(app: App, user_id: str) -> None:
    """Only members get past the access gate: enrol the user as a beheerder would."""
    people, now = app.people, datetime.now(UTC)
    org = people.organisation("Bench") or people.create_organisation("Bench", now=now)
    people.enrol(
        Enrolment(org.id, "Bench", frozenset({Role.PROFESSIONAL}), identity=("matrix", user_id)),
        now=now,
    )


@contextlib.contextmanager
def synapse() -> Iterator[tuple[Any, str]]:
    """The test Synapse, or None and the reason it is not there."""
    from tests.peers.synapse import PeerUnavailableError, start_synapse

    try:
        server = start_synapse()
    except (PeerUnavailableError, OSError) as err:
        yield None, f"Synapse not available: {err}"
        return
    try:
        yield server, ""
    finally:
        server.stop()


async def measure(
    server: Any, folder: Path, *, rounds: int, messages: int, warm_up: int = 3
) -> MatrixResults:
    """The four round trips, ``rounds`` interleaved rounds of ``messages`` each."""
    from tests.peers.synapse import MatrixUser

    results = MatrixResults(messages=messages)
    app = _voorkomen_app(folder)
    voorkomen_account = server.register(server.unique_localpart("voorkomen"))
    channel = MatrixChannel(
        MatrixConfig(
            homeserver=server.url,
            user_id=voorkomen_account.user_id,
            password=voorkomen_account.password,
            store_path=folder / "voorkomen-store",
            require_encryption=False,  # plain direct chats are measured too
        ),
        app.service,
        app.kv,
    )
    echo = EchoBot(server.url, server.register(server.unique_localpart("echo")), folder / "echo")
    users: list[Any] = []
    bot_task = asyncio.create_task(channel.run())
    try:
        await _started(channel, bot_task)
        await echo.start()
        chats: dict[str, Chat] = {}
        for key in KEYS:
            account = server.register(server.unique_localpart("pro"))
            user = MatrixUser(server, account, folder / f"user-{account.device_id}")
            await user.start()
            users.append(user)
            bot_id = voorkomen_account.user_id if key.startswith("voorkomen") else echo.user_id
            if key.startswith("voorkomen"):
                _admit(app, account.user_id)
            room = await user.create_dm(bot_id, encrypted=key.endswith("e2e"), timeout=WAIT)
            chats[key] = Chat(user, room, bot_id)
            for _ in range(warm_up):  # keys shared, the conversation started
                await chats[key].round_trip(ANSWER)
        for round_no in range(rounds):
            shift = round_no % len(KEYS)
            for key in KEYS[shift:] + KEYS[:shift]:
                times = [await chats[key].round_trip(ANSWER) for _ in range(messages)]
                results.figures[key].add(statistics.median(times))
    finally:
        for user in users:
            await user.close()
        await echo.close()
        channel.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot_task, 30)
        app.close()
    return results


async def _started(channel: MatrixChannel, task: asyncio.Task[None]) -> None:
    started = asyncio.create_task(channel.started.wait())
    done, _ = await asyncio.wait({task, started}, timeout=WAIT, return_when="FIRST_COMPLETED")
    if started not in done:
        started.cancel()
        if task in done:
            task.result()  # raises the start-up error
        msg = f"Voorkomen's Matrix bot did not start within {WAIT} s"
        raise RuntimeError(msg)
