"""A Bot API session that answers every call locally, for benchmarks.

Every Telegram scenario runs through the same session, so what is measured is
the bot framework and the bot, not the network. It does the client side of a
real call in full: aiogram serialises the method the way its HTTP session does
(``prepare_value``, JSON for keyboards), and the answer comes back as JSON
text that aiogram parses and validates (``check_response``), as it would from
Telegram. Only the server's own work is left out: no HTML parsing, no
storage. The calls are kept in ``outbox`` for the driver, which empties it
after every update, so the session holds nothing between updates (the RSS
measurement relies on that).

``tests.telegram.botapi.RecordingSession`` is the functional fake for
tests; it keeps every message and parses HTML like Telegram, which would be
measured here as if it were the bot's work.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from tests.telegram.botapi import OfflineSession

TOKEN = "123456:BENCH-token-answered-locally"  # a fake token: no call leaves the process
BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Voorkomen",
    "username": "VoorkomenBenchBot",
}
_RETURNS_MESSAGE = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage"})
_RETURNS_EDITED = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
_RETURNS_TRUE = frozenset(
    {
        "answerCallbackQuery",
        "deleteMessage",
        "setMyCommands",
        "setMyDescription",
        "setMyShortDescription",
        "deleteWebhook",
        "setWebhook",
        "sendChatAction",
    }
)


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call as Telegram would receive it: method name and form fields."""

    method: str
    fields: dict[str, Any]
    result: Any


class LocalSession(OfflineSession):
    """Answers Bot API calls in-process, with aiogram's own (de)serialisation."""

    def __init__(self) -> None:
        super().__init__()
        self.outbox: list[Call] = []
        self._message_ids = itertools.count(1)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        # The client half of AiohttpSession.build_form_data: every field prepared,
        # keyboards and other objects dumped to JSON text.
        files: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                fields[key] = prepared
        name = method.__api_method__
        result = self._result(name, fields)
        self.outbox.append(Call(name, fields, result))
        content = self.json_dumps({"ok": True, "result": result})
        response = self.check_response(bot, method, 200, content)
        return response.result  # type: ignore[return-value]

    def _result(self, name: str, fields: dict[str, Any]) -> Any:
        # Telegram answers an edit of a chat message with the edited message.
        edited = name in _RETURNS_EDITED and "chat_id" in fields
        if name in _RETURNS_MESSAGE or edited:
            message: dict[str, Any] = {
                "message_id": (int(fields["message_id"]) if edited else next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": int(fields["chat_id"]), "type": "private"},
                "from": BOT_USER,
            }
            if "text" in fields:
                message["text"] = fields["text"]
            if "caption" in fields:
                message["caption"] = fields["caption"]
            if name == "sendDocument":
                message["document"] = {"file_id": "f", "file_unique_id": "f"}
            if "reply_markup" in fields:
                message["reply_markup"] = json.loads(fields["reply_markup"])
            return message
        if name in _RETURNS_TRUE or name in _RETURNS_EDITED:
            return True
        if name == "getMe":
            return BOT_USER
        msg = f"LocalSession has no answer for {name}"
        raise AssertionError(msg)


def make_bot(session: LocalSession | None = None, *, html: bool = True) -> Bot:
    """A bot on a local session; HTML parse mode like Voorkomen's (and most bots')."""
    default = DefaultBotProperties(parse_mode=ParseMode.HTML if html else None)
    return Bot(TOKEN, session=session or LocalSession(), default=default)
