"""The Telegram sender against the Bot API emulator: a notice queued while
Telegram could not be reached arrives once the channel is up."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.channels.telegram.runners import make_bot
from bot.channels.telegram.sender import TelegramSender
from bot.engine.messages import Choice
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, Notice
from bot.store.memory import MemoryStore
from tests.peers.telegram.fixture import BotProcess, Emulator, TelegramUser

pytestmark = pytest.mark.peer

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKEN = "790001:E2E-sender-token"
NOTICE = Notice("Een collega vraagt je mee te kijken <nu> & snel.", (Choice("bekijk", "Bekijk"),))


class Addresses:
    def __init__(self) -> None:
        self.where: dict[str, ConversationKey] = {}

    def last_address(self, person_id: str) -> ConversationKey | None:
        return self.where.get(person_id)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_queued_notice_reaches_the_person_once_telegram_is_up(
    telegram_emulator: Emulator,
    tmp_path: Path,
) -> None:
    # No bot process polls this token: the notifier's sender is the bot here.
    (tmp_path / "log").write_text("")
    bot = BotProcess(TOKEN, None, tmp_path / "log", telegram_emulator)  # type: ignore[arg-type]
    user = TelegramUser(bot, member=False)  # no bot process: nobody to enrol with
    addresses = Addresses()
    addresses.where["p1"] = ConversationKey("telegram", str(user.chat["id"]))
    store = MemoryStore()

    async def scenario() -> tuple[bool, int, int]:
        down = make_bot(TOKEN, f"http://127.0.0.1:{_closed_port()}")
        up = make_bot(TOKEN, telegram_emulator.url)
        try:
            offline = Notifier(store, addresses, lambda: T0, [TelegramSender(down)])
            sent_now = await offline.send("org-1", "p1", NOTICE)
            still_down = await offline.deliver_waiting(T0 + timedelta(minutes=1))
            online = Notifier(store, addresses, lambda: T0, [TelegramSender(up)])
            delivered = await online.deliver_waiting(T0 + timedelta(minutes=5))
            return sent_now, still_down, delivered
        finally:
            await down.session.close()
            await up.session.close()

    assert asyncio.run(scenario()) == (False, 0, 1)
    (message,) = user.wait_until(lambda new: len(new) == 1, "the notice")
    assert message.text == NOTICE.text  # HTML-escaped on the way, shown as typed
    keyboard = message.raw["reply_markup"]["keyboard"]
    assert [[button["text"] for button in row] for row in keyboard] == [["bekijk"]]
    assert store.waiting_messages("p1") == []
