"""Two workers tick the same multiple-choice question; the keyboard ends true.

Two ``TelegramChannel`` + ``ConversationService`` pairs over one store are two
webhook workers over one database: their own locks, their own screen memory.
They share one Telegram (one ``RecordingSession``), whose next keyboard edit
can be held back, as a slow network would: the first worker's edit then lands
*after* the second worker's newer one. Without the check after an edit
(``bot.channels.telegram.settling``) the keyboard would show a tick less than
was saved, or come back on a question answered meanwhile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import EditMessageReplyMarkup, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Message, Update

from bot.channels.telegram import TelegramChannel, make_bot
from bot.store.memory import MemoryStore
from tests.telegram.botapi import TEST_TOKEN, Chat, RecordingSession
from tests.telegram.service import adapter_service


class SlowTelegram(RecordingSession):
    """One Telegram for both workers; ``hold_next_edit`` keeps the next keyboard
    edit on the way until ``release`` (it lands, and is recorded, only then)."""

    def __init__(self) -> None:
        super().__init__()
        self._gate = asyncio.Event()
        self._armed = False
        self.holding = asyncio.Event()

    def hold_next_edit(self) -> None:
        self._gate.clear()
        self._armed = True

    def release(self) -> None:
        assert self.holding.is_set(), "no edit is held"
        self._gate.set()

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        if isinstance(method, EditMessageReplyMarkup) and self._armed:
            self._armed = False
            self.holding.set()
            await self._gate.wait()
        return await super().make_request(bot, method, timeout)


@dataclass
class Worker:
    bot: Bot
    dispatcher: Dispatcher

    async def feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)


@pytest.fixture
def telegram() -> SlowTelegram:
    return SlowTelegram()


@pytest.fixture
def workers(telegram: SlowTelegram) -> tuple[Worker, Worker]:
    store = MemoryStore()  # the one database
    pair = []
    for _ in range(2):
        channel = TelegramChannel(adapter_service(store))
        pair.append(Worker(make_bot(TEST_TOKEN, session=telegram), channel.dispatcher()))
    return pair[0], pair[1]


def ticks(message: Message) -> list[str]:
    assert message.reply_markup is not None, "the keyboard is gone"
    rows = message.reply_markup.inline_keyboard
    return [b.text.removeprefix("✅ ") for row in rows for b in row if b.text.startswith("✅")]


async def multi_question(
    telegram: SlowTelegram, worker: Worker, chat_id: int
) -> tuple[Chat, Message]:
    """A chat on the test flow up to its multiple-choice question (through one
    worker), and the message that asks it."""
    chat = Chat(chat_id)
    await worker.feed(chat.text("/start"))
    await worker.feed(chat.text("1"))
    await worker.feed(chat.press_label(_last_keyboard(telegram), "Ingrijpen"))
    return chat, _last_keyboard(telegram)


def _last_keyboard(telegram: SlowTelegram) -> Message:
    sent = next(m for m in reversed(telegram.sent) if m.reply_markup is not None)
    return telegram.current(sent)


async def slow_tick_then(
    telegram: SlowTelegram, first: Worker, chat: Chat, multi: Message, label: str
) -> asyncio.Task[Any]:
    """The first worker handles a tick of ``label``; its keyboard edit is held."""
    telegram.hold_next_edit()
    task = asyncio.create_task(first.feed(chat.press_label(multi, label)))
    async with asyncio.timeout(5):
        await telegram.holding.wait()  # saved; the edit is on its way
    return task


async def test_a_late_edit_of_an_older_tick_is_put_right(
    telegram: SlowTelegram, workers: tuple[Worker, Worker]
) -> None:
    first, second = workers
    chat, multi = await multi_question(telegram, first, 4242)

    late = await slow_tick_then(telegram, first, chat, multi, "Huisarts")
    await second.feed(chat.press_label(telegram.current(multi), "School"))
    assert ticks(telegram.current(multi)) == ["Huisarts", "School"]
    telegram.release()  # the older edit lands last: only "Huisarts" ticked ...
    await late

    edits = [e for e in telegram.of(EditMessageReplyMarkup) if e.message_id == multi.message_id]
    assert len(edits) == 3  # ... and its worker saw that and edited once more
    assert ticks(telegram.current(multi)) == ["Huisarts", "School"]

    # The keyboard on screen is the saved one: "Klaar" answers with both.
    await second.feed(chat.press_label(telegram.current(multi), "Klaar"))
    assert (telegram.current(multi).text or "").endswith("✔️ Huisarts, School")


async def test_a_late_edit_after_the_answer_loses_its_keyboard_again(
    telegram: SlowTelegram, workers: tuple[Worker, Worker]
) -> None:
    first, second = workers
    chat, multi = await multi_question(telegram, first, 4343)
    await first.feed(chat.press_label(multi, "School"))

    late = await slow_tick_then(telegram, first, chat, telegram.current(multi), "Huisarts")
    await second.feed(chat.press_label(telegram.current(multi), "Klaar"))
    assert telegram.current(multi).reply_markup is None  # answered: no keyboard
    telegram.release()  # the tick's edit lands after the answer, keyboard and all ...
    await late

    now = telegram.current(multi)
    assert now.reply_markup is None  # ... and its worker took the keyboard away again
    assert (now.text or "").endswith("✔️ Huisarts, School")
