"""A simulated Telegram user for benchmarks: raw updates in, the bot's calls out.

The driver builds each update as the JSON Telegram would post (plain dicts),
and times only what a bot process does with it: ``Update.model_validate``
(what a webhook or ``getUpdates`` does with the JSON) and
``Dispatcher.feed_update``. Building the update and reading the bot's answer
are the user's side and are not timed.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bench.session import Call, LocalSession
from tests.telegram.botapi import parse_html


@dataclass
class Timer:
    """Time spent inside the bot and the number of updates it handled."""

    seconds: float = 0.0
    updates: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    """Bot API calls the bot made, by method."""

    def per_update_us(self) -> float:
        return self.seconds / self.updates * 1e6 if self.updates else float("nan")


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button of a message the bot sent."""

    text: str
    data: str


@dataclass
class Shown:
    """The last message of the bot that has inline buttons, as the user sees it."""

    message: dict[str, Any]
    buttons: list[Button] = field(default_factory=list)

    def button(self, label: str | None = None) -> Button:
        """The button whose text contains ``label``, else the first one."""
        if label is not None:
            for button in self.buttons:
                if label in button.text:
                    return button
            msg = f"no button {label!r} in {[b.text for b in self.buttons]}"
            raise AssertionError(msg)
        return self.buttons[0]


class TelegramUser:
    """One user in one private chat with the bot under test."""

    _update_ids = itertools.count(1)

    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, session: LocalSession, chat_id: int, timer: Timer
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session
        self.chat_id = chat_id
        self.timer = timer
        self._message_ids = itertools.count(1)
        self._user = {"id": chat_id, "is_bot": False, "first_name": "Test"}
        self._chat = {"id": chat_id, "type": "private", "first_name": "Test"}
        self.calls: list[Call] = []
        self.shown: Shown | None = None

    async def feed(self, update: dict[str, Any]) -> list[Call]:
        """Hand one update to the bot (timed) and return the calls it made."""
        self.session.outbox.clear()
        bot = self.bot
        start = time.perf_counter()
        parsed = Update.model_validate(update, context={"bot": bot})
        await self.dispatcher.feed_update(bot, parsed)
        self.timer.seconds += time.perf_counter() - start
        self.timer.updates += 1
        self.calls = list(self.session.outbox)
        self.session.outbox.clear()
        self.timer.calls.update(call.method for call in self.calls)
        self._remember_buttons(self.calls)
        return self.calls

    async def send(self, text: str) -> list[Call]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat,
            "from": self._user,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self.feed({"update_id": next(self._update_ids), "message": message})

    async def press(self, label: str | None = None) -> list[Call]:
        """Press a button (by label, else the first) of the last keyboard shown."""
        if self.shown is None:
            msg = "the bot showed no buttons"
            raise AssertionError(msg)
        button = self.shown.button(label)
        query = {
            "id": f"cb{next(self._update_ids)}",
            "from": self._user,
            "chat_instance": f"ci{self.chat_id}",
            "message": self.shown.message,
            "data": button.data,
        }
        return await self.feed({"update_id": next(self._update_ids), "callback_query": query})

    def _remember_buttons(self, calls: Sequence[Call]) -> None:
        for call in calls:
            if call.method not in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
                continue
            result = call.result
            if not isinstance(result, dict):
                continue
            markup = result.get("reply_markup")
            rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
            if not rows:
                if self.shown and self.shown.message["message_id"] == result["message_id"]:
                    self.shown = None  # its keyboard was taken away
                continue
            self.shown = Shown(
                self._as_received(result),
                [Button(b["text"], b["callback_data"]) for row in rows for b in row],
            )

    def _as_received(self, sent: dict[str, Any]) -> dict[str, Any]:
        """The message as Telegram shows it in a callback query: HTML turned into
        text plus entities (the server's work, so done here, untimed)."""
        message = dict(sent)
        text = message.get("text")
        if isinstance(text, str):
            try:
                visible, entities = parse_html(text)
            except ValueError:
                visible, entities = text, []
            message["text"] = visible
            if entities:
                message["entities"] = [e.model_dump(exclude_none=True) for e in entities]
        return message

    def texts(self) -> list[str]:
        """The texts the bot sent or edited in the last update."""
        return [
            str(call.fields.get("text", ""))
            for call in self.calls
            if call.method in ("sendMessage", "editMessageText")
        ]

    def sent(self, method: str) -> bool:
        return any(call.method == method for call in self.calls)
