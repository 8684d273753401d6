"""Telegram flood control and network faults: retried with the server's delay, bounded,
in order per chat.

Unit tests at aiogram's seam (the recording session raising what aiohttp and
Telegram would, a recorded sleep), and end to end against the Bot API
emulator answering 429 (``/floodNext`` in tests/peers/telegram/launch-emulator.js).
"""

from __future__ import annotations

import time

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.channels.telegram import TelegramChannel, make_bot, rendering
from bot.channels.telegram.flood import FloodControl, FloodPolicy
from tests.peers.telegram.fixture import BotProcess, TelegramUser
from tests.telegram.botapi import TEST_TOKEN, Chat, RecordingSession
from tests.telegram.service import SpiedService


def flood(retry_after: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(
        method=SendMessage(chat_id=1, text="x"),
        message=f"Too Many Requests: retry after {retry_after}",
        retry_after=retry_after,
    )


def network() -> TelegramNetworkError:
    return TelegramNetworkError(method=SendMessage(chat_id=1, text="x"), message="reset")


class Harness:
    def __init__(self, policy: FloodPolicy | None = None) -> None:
        self.slept: list[float] = []

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)

        self.session = RecordingSession()
        self.bot = make_bot(TEST_TOKEN, session=self.session, flood=FloodControl(policy, sleep))
        self.service = SpiedService()
        self.dispatcher = TelegramChannel(self.service).dispatcher()
        self.chat = Chat(4343)

    async def say(self, text: str) -> None:
        await self.dispatcher.feed_update(self.bot, self.chat.text(text))

    def delivered(self) -> list[str]:
        """The texts Telegram accepted (refused attempts are recorded too, not sent)."""
        return [m.text or "" for m in self.session.sent]


async def test_a_429_is_waited_out_as_telegram_asks_and_the_reply_arrives() -> None:
    h = Harness()
    h.session.fail_next(SendMessage, flood(3))
    h.session.fail_next(SendMessage, flood(1))
    await h.say("/start")
    assert h.slept == [3.0, 1.0]
    (shown,) = h.delivered()  # sent once, after two refusals
    assert "Waarmee wil je aan de slag?" in shown
    assert len(h.session.of(SendMessage)) == 3  # three attempts


async def test_network_errors_are_retried_with_a_growing_pause() -> None:
    h = Harness(FloodPolicy(network_wait=0.5))
    for _ in range(3):
        h.session.fail_next(SendMessage, network())
    await h.say("/start")
    assert h.slept == [0.5, 1.0, 2.0]
    (shown,) = h.delivered()
    assert "Waarmee wil je aan de slag?" in shown


async def test_retries_are_bounded_and_then_the_user_gets_an_apology() -> None:
    h = Harness(FloodPolicy(attempts=3))
    for _ in range(3):
        h.session.fail_next(SendMessage, flood(1))
    await h.say("/start")
    assert h.slept == [1.0, 1.0]  # three attempts in all
    assert h.delivered() == [rendering.ERROR_TEXT]  # the apology is the next send


async def test_a_wait_longer_than_the_limit_is_not_attempted() -> None:
    h = Harness(FloodPolicy(max_wait=30))
    h.session.fail_next(SendMessage, flood(600))
    await h.say("/start")
    assert h.slept == []
    assert h.delivered() == [rendering.ERROR_TEXT]


# ---------------------------------------------------------------- end to end


@pytest.mark.peer
def test_the_emulator_answering_429_delays_one_chat_in_order_and_not_the_others(
    telegram_bot: BotProcess,
) -> None:
    anna, bram = TelegramUser(telegram_bot), TelegramUser(telegram_bot)
    telegram_bot.emulator.call(
        "/floodNext",
        {"token": telegram_bot.token, "chat_id": anna.chat["id"], "count": 2, "retry_after": 2},
    )
    started = time.monotonic()
    anna.send("/start")
    anna.send("1")  # typed while her first reply is held back
    bram.send("/start")
    bram.expect("Waarmee wil je aan de slag?")  # another chat goes on meanwhile
    bram_done = time.monotonic() - started
    new = anna.wait_until(
        lambda msgs: any("Wat is je casuscode?" in m.text for m in msgs),
        "Anna's first question",
    )
    anna_done = time.monotonic() - started
    texts = [m.text for m in new]
    assert "Waarmee wil je aan de slag?" in texts[0]  # in the order she wrote
    assert "Wat is je casuscode?" in texts[-1]
    assert anna_done >= 4.0  # Telegram's two waits of 2 s were kept
    assert bram_done < anna_done
    served = telegram_bot.emulator.call("/getFloods", {"token": telegram_bot.token})
    assert [f["fault"] for f in served if f["chat_id"] == str(anna.chat["id"])] == ["429", "429"]
    assert "SendMessage failed (TelegramRetryAfter); waiting 2.0 s" in telegram_bot.log_text()


@pytest.mark.peer
def test_a_dropped_connection_is_retried_and_the_reply_arrives_once(
    telegram_bot: BotProcess,
) -> None:
    user = TelegramUser(telegram_bot)
    telegram_bot.emulator.call(
        "/floodNext",
        {"token": telegram_bot.token, "chat_id": user.chat["id"], "count": 1, "fault": "drop"},
    )
    user.send("/start")
    new = user.expect("Waarmee wil je aan de slag?")
    assert sum("Waarmee wil je aan de slag?" in m.text for m in new) == 1
    assert "SendMessage failed (TelegramNetworkError)" in telegram_bot.log_text()
