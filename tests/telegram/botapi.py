"""Fakes of the Telegram Bot API for tests and benchmarks (not shipped: they live under tests/).

- ``RecordingSession``: aiogram's own seam. It replaces the HTTP session of a
  ``Bot``, records every Bot API call and answers the way Telegram does (a
  sent message comes back with an id, its HTML parsed into text + entities).
- ``parse_html``: Telegram's HTML parse mode, strict: an unescaped ``<`` or
  ``&``, an unknown tag or an unbalanced tag is an error, as it is for
  Telegram ("can't parse entities"). Returns what the user sees.
- ``Chat``: builds the updates one user produces (text, commands, stickers,
  button presses), for ``Dispatcher.feed_update``.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SetMyCommands,
    SetMyDescription,
    SetMyShortDescription,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Document,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
)
from aiogram.types import (
    Chat as TgChat,
)

from bot.channels.telegram.splitting import TELEGRAM_TEXT_LIMIT, utf16_len

TEST_TOKEN = "123456:TEST-token-for-recording-session"
BOT_USER = User(id=123456, is_bot=True, first_name="Voorkomen", username="VoorkomenTestBot")

M = TypeVar("M", bound=TelegramMethod[Any])


class TelegramHtmlError(ValueError):
    """The text would be refused by Telegram's HTML parser."""


_ENTITY_OF_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
}
_TOKEN = re.compile(
    r"<(?P<close>/)?(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>(?:\s+[a-zA-Z-]+(?:=\"[^\"<>]*\")?)*)\s*>"
    r"|&(?P<ent>lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});"
    r"|(?P<bad>[<>&])"
)


def parse_html(text: str) -> tuple[str, list[MessageEntity]]:
    """Parse Telegram HTML: the visible text and its entities (UTF-16 offsets)."""
    out: list[str] = []
    units = 0
    open_tags: list[tuple[str, int, str | None]] = []
    entities: list[MessageEntity] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        chunk = text[pos : match.start()]
        out.append(chunk)
        units += utf16_len(chunk)
        pos = match.end()
        if match["bad"]:
            around = text[max(0, match.start() - 20) : match.end() + 20]
            msg = f"unescaped {match['bad']!r} at {match.start()}: {around!r}"
            raise TelegramHtmlError(msg)
        if match["ent"]:
            char = html.unescape(f"&{match['ent']};")
            out.append(char)
            units += utf16_len(char)
            continue
        tag = match["tag"].lower()
        if tag not in _ENTITY_OF_TAG:
            msg = f"unsupported tag <{tag}>"
            raise TelegramHtmlError(msg)
        if match["close"]:
            if not open_tags or open_tags[-1][0] != tag:
                msg = f"unexpected </{tag}>"
                raise TelegramHtmlError(msg)
            _, start, url = open_tags.pop()
            if units > start:
                entities.append(
                    MessageEntity(
                        type=_ENTITY_OF_TAG[tag], offset=start, length=units - start, url=url
                    )
                )
        else:
            href = re.search(r'href="([^"]*)"', match["attrs"] or "")
            open_tags.append((tag, units, html.unescape(href[1]) if href else None))
    if open_tags:
        msg = f"unclosed <{open_tags[-1][0]}>"
        raise TelegramHtmlError(msg)
    rest = text[pos:]
    out.append(rest)
    visible = "".join(out)
    if not visible.strip():
        msg = "message text is empty"
        raise TelegramHtmlError(msg)
    if utf16_len(visible) > TELEGRAM_TEXT_LIMIT:
        msg = f"message is too long ({utf16_len(visible)} > {TELEGRAM_TEXT_LIMIT})"
        raise TelegramHtmlError(msg)
    entities.sort(key=lambda e: (e.offset, -e.length))
    return visible, entities


def visible_text(text: str) -> str:
    """What the user sees of an HTML message (raises if Telegram would refuse it)."""
    return parse_html(text)[0]


class OfflineSession(BaseSession):
    """A Bot API session that never touches the network: the base of the test and
    benchmark sessions, which answer every call themselves (``make_request``)."""

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""


class RecordingSession(OfflineSession):
    """A Bot API session that records requests and answers like Telegram.

    ``fail_next(SendMessage, error)`` makes the next call of that method raise
    ``error`` (for testing what the adapter does when Telegram says no).
    """

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.sent: list[Message] = []
        self._by_id: dict[int, Message] = {}
        self._failures: dict[type[TelegramMethod[Any]], list[Exception]] = {}
        self._message_ids = itertools.count(1000)

    def fail_next(self, method: type[TelegramMethod[Any]], error: Exception) -> None:
        self._failures.setdefault(method, []).append(error)

    def of(self, method: type[M]) -> list[M]:
        """The recorded calls of one method, in order."""
        return [r for r in self.requests if isinstance(r, method)]

    def clear(self) -> None:
        self.requests.clear()

    def texts(self) -> list[str]:
        """The visible text of every message sent, in order (HTML checked)."""
        return [visible_text(m.text) for m in self.of(SendMessage)]

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        await asyncio.sleep(0)  # a real session waits for the network: others may run
        self.requests.append(method)
        failures = self._failures.get(type(method))
        if failures:
            raise failures.pop(0)
        result: Any = self._answer(bot, method)
        return result  # type: ignore[no-any-return]

    def _message(self, bot: Bot, chat_id: int | str, **fields: Any) -> Message:
        message = Message(
            message_id=next(self._message_ids),
            date=datetime.now(tz=UTC),
            chat=TgChat(id=int(chat_id), type="private"),
            from_user=BOT_USER,
            **fields,
        ).as_(bot)
        self.sent.append(message)
        self._by_id[message.message_id] = message
        return message

    def current(self, message: Message) -> Message:
        """``message`` as it looks now, after the bot's edits."""
        return self._by_id.get(message.message_id, message)

    def _edit(self, message_id: int | None, **changes: Any) -> None:
        old = self._by_id.get(message_id or -1)
        if old is not None:
            self._by_id[old.message_id] = old.model_copy(update=changes)

    def _answer(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage):
            text, entities = parse_html(method.text)
            return self._message(
                bot,
                method.chat_id,
                text=text,
                entities=entities or None,
                reply_markup=method.reply_markup,
            )
        if isinstance(method, SendDocument):
            document = method.document
            name = document.filename if isinstance(document, BufferedInputFile) else "file"
            if method.caption:
                parse_html(method.caption)
            return self._message(
                bot,
                method.chat_id,
                document=Document(
                    file_id=f"file{len(self.sent)}",
                    file_unique_id=f"u{len(self.sent)}",
                    file_name=name,
                ),
                caption=method.caption,
            )
        if isinstance(method, EditMessageText):
            text, entities = parse_html(method.text or "")
            self._edit(
                method.message_id,
                text=text,
                entities=entities or None,
                reply_markup=method.reply_markup,
            )
            return True
        if isinstance(method, EditMessageReplyMarkup):
            self._edit(method.message_id, reply_markup=method.reply_markup)
            return True
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(
            method,
            AnswerCallbackQuery
            | SetMyCommands
            | SetMyDescription
            | SetMyShortDescription
            | DeleteWebhook
            | SetWebhook,
        ):
            return True
        msg = f"RecordingSession has no answer for {method.__api_method__}"
        raise AssertionError(msg)


class Chat:
    """The updates one Telegram user produces in one chat."""

    _update_ids = itertools.count(1)

    def __init__(self, chat_id: int = 4242, *, chat_type: str = "private") -> None:
        self.chat = TgChat(id=chat_id, type=chat_type)
        self.user = User(id=abs(chat_id), is_bot=False, first_name="Test")
        self._message_ids = itertools.count(1)

    def _update(self, **event: Any) -> Update:
        return Update(update_id=next(self._update_ids), **event)

    def _message(self, **fields: Any) -> Message:
        return Message(
            message_id=next(self._message_ids),
            date=datetime.now(tz=UTC),
            chat=self.chat,
            from_user=self.user,
            **fields,
        )

    def text(self, text: str) -> Update:
        entities = None
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            entities = [MessageEntity(type="bot_command", offset=0, length=length)]
        return self._update(message=self._message(text=text, entities=entities))

    def sticker(self) -> Update:
        sticker = Sticker(
            file_id="s1",
            file_unique_id="s1",
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
        )
        return self._update(message=self._message(sticker=sticker))

    def photo(self) -> Update:
        photo = [PhotoSize(file_id="p1", file_unique_id="p1", width=640, height=480)]
        return self._update(message=self._message(photo=photo))

    def edited(self, text: str) -> Update:
        message = self._message(text=text, edit_date=int(datetime.now(tz=UTC).timestamp()))
        return self._update(edited_message=message)

    def press(self, message: Message, data: str) -> Update:
        """A press on a button of ``message`` (a message the bot sent)."""
        query = CallbackQuery(
            id=f"cb{next(self._update_ids)}",
            from_user=self.user,
            chat_instance=f"ci{self.chat.id}",
            message=message,
            data=data,
        )
        return self._update(callback_query=query)

    def press_label(self, message: Message, label: str) -> Update:
        """A press on the button of ``message`` whose text contains ``label``."""
        markup = message.reply_markup
        if markup is None:
            msg = "message has no keyboard"
            raise AssertionError(msg)
        for row in markup.inline_keyboard:
            for button in row:
                if label in button.text and button.callback_data:
                    return self.press(message, button.callback_data)
        msg = f"no button {label!r} in {[b.text for r in markup.inline_keyboard for b in r]}"
        raise AssertionError(msg)
