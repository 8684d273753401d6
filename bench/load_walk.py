"""A simulated professional of the load test: one chat, through the emulator.

The professional talks to the Bot API emulator's user API (``tests/peers/telegram``)
as the end-to-end tests' ``TelegramUser`` does, but asynchronously, so hundreds
can wait for their replies at once in one process: ``/start``, the main flow
from the menu, every question answered the way ``bench/voorkomen.py`` answers
(the first button; for a multiple choice the first option, then Klaar; a
short text; "vandaag" where a date is asked) until the vastlegging file.

It waits for each reply before the next answer, over the emulator's
``/waitChat`` (the chat's events: updates the emulator accepted, messages and
edits of the bot, each stamped with the emulator's clock), and keeps every
turn's times and every message it saw for the checks (``bench/load_checks.py``).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession

from bench.voorkomen import DATE_HINT, TEXT_ANSWERS
from bot.channels.telegram.keyboards import DONE_LABEL, SELECTED_MARK
from tests.peers.telegram.fixture import BotMessage, as_shown
from tests.telegram.test_e2e_shipped import progress_line

POLL_SECONDS = 10.0
MAX_TURNS = 200


@dataclass
class Turn:
    """One update of a professional and what answered it."""

    kind: str
    """``text`` (typed or a command), ``press`` (a button), ``tick`` (a multiple-choice
    option: answered by an edit of that message, not by a new question)."""
    pressed: int | None = None
    callback_id: str | None = None
    accepted_at: float | None = None
    replied_at: float | None = None

    @property
    def reply_ms(self) -> float | None:
        if self.accepted_at is None or self.replied_at is None:
            return None
        return self.replied_at - self.accepted_at


@dataclass
class Walk:
    """One professional's conversation, as the driver saw it."""

    chat_id: int
    turns: list[Turn] = field(default_factory=list)
    finished: bool = False
    error: str = ""
    questions: dict[int, bool] = field(default_factory=dict)
    """Every message the bot sent, by id: was it a question (or the file) when first seen."""
    texts: dict[int, str] = field(default_factory=dict)
    """Every message the bot sent, by id: its text when first seen."""
    files: set[int] = field(default_factory=set)
    """The messages that carry a file (the vastlegging)."""


def is_question(message: BotMessage) -> bool:
    """A turn's answer: a question (buttons or a progress line) or the vastlegging file."""
    return bool(message.buttons or message.document or progress_line(message) is not None)


class Professional:
    """One professional in one private chat, over the emulator's user API (async)."""

    def __init__(
        self,
        http: ClientSession,
        emulator: str,
        token: str,
        chat_id: int,
        reply_timeout: float,
    ) -> None:
        self.http = http
        self.reply_timeout = reply_timeout
        self.emulator = emulator
        self.token = token
        self.walk = Walk(chat_id)
        self.user = {"id": chat_id, "is_bot": False, "first_name": "Prof", "language_code": "nl"}
        self.chat = {"id": chat_id, "type": "private", "first_name": "Prof"}
        self.events: list[dict[str, Any]] = []
        self.messages: dict[int, BotMessage] = {}

    async def call(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.emulator}{path}", json=body) as response:
            data = await response.json()
        if not data.get("ok"):
            msg = f"emulator {path}: {data}"
            raise AssertionError(msg)
        return data.get("result")

    async def send(self, text: str) -> BotMessage:
        body: dict[str, Any] = {
            "botToken": self.token,
            "from": self.user,
            "chat": self.chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            body["entities"] = [{"offset": 0, "length": len(text), "type": "bot_command"}]
        turn = Turn("text")
        self.walk.turns.append(turn)
        await self.call("/sendCommand" if text.startswith("/") else "/sendMessage", body)
        return await self.reply(turn)

    async def press(self, message: BotMessage, label: str, *, tick: bool = False) -> BotMessage:
        button = message.button(label)
        shown = as_shown(message, self.chat)
        body = {"botToken": self.token, "from": self.user, "message": shown, "data": button.data}
        turn = Turn("tick" if tick else "press", pressed=message.message_id)
        self.walk.turns.append(turn)
        result = await self.call("/sendCallback", body)
        turn.callback_id = str(result["callback_query_id"])
        return await self.reply(turn)

    async def fetch(self, timeout: float) -> list[dict[str, Any]]:
        """The chat's events after those seen, waiting up to ``timeout`` for one."""
        body = {
            "token": self.token,
            "chat_id": self.walk.chat_id,
            "after": len(self.events),
            "timeout": timeout,
        }
        found = await self.call("/waitChat", body)
        for entry in found["messages"]:
            message = BotMessage.from_entry(entry)
            self.messages[message.message_id] = message
            self.walk.questions.setdefault(message.message_id, is_question(message))
            self.walk.texts.setdefault(message.message_id, message.text)
            if message.document:
                self.walk.files.add(message.message_id)
        self.events += found["events"]
        return list(found["events"])

    async def reply(self, turn: Turn) -> BotMessage:
        """Wait until the bot answered ``turn``; stamps its times from the emulator's clock."""
        deadline = time.monotonic() + self.reply_timeout
        mine = sum(1 for e in self.events if e["kind"] == "user")  # this turn's user event
        while True:
            users = [i for i, e in enumerate(self.events) if e["kind"] == "user"]
            if len(users) > mine:
                start = users[mine]
                turn.accepted_at = float(self.events[start]["at"])
                for event in self.events[start + 1 :]:
                    if self._answers(turn, event):
                        turn.replied_at = float(event["at"])
                        return self.messages[int(event["message_id"])]
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"no reply to a {turn.kind} in {self.reply_timeout:.0f} s"
                raise TimeoutError(msg)
            await self.fetch(min(POLL_SECONDS, left))

    def _answers(self, turn: Turn, event: dict[str, Any]) -> bool:
        if turn.kind == "tick":
            return event["kind"] == "edit" and event.get("message_id") == turn.pressed
        return event["kind"] == "sent" and self.walk.questions.get(int(event["message_id"]), False)

    async def walk_flow(self, title: str) -> None:
        """``/start``, the flow from the menu, every question until the file."""
        menu = await self.send("/start")
        question = await self.press(menu, title)
        tries: Counter[str] = Counter()
        for _ in range(MAX_TURNS):
            if question.document:
                self.walk.finished = True
                return
            question = await self.answer(question, tries)
        msg = f"no vastlegging after {MAX_TURNS} turns"
        raise AssertionError(msg)

    async def answer(self, question: BotMessage, tries: Counter[str]) -> BotMessage:
        """The first button (a multiple choice: its first option, then Klaar), else a text."""
        labels = [b.text for b in question.buttons]
        if DONE_LABEL in labels:
            if not any(label.startswith(SELECTED_MARK) for label in labels):
                question = await self.press(question, labels[0], tick=True)
            return await self.press(question, DONE_LABEL)
        if labels:
            choice = next((b for b in labels if b.startswith("Klaar,")), labels[0])
            return await self.press(question, choice)
        attempt = tries[question.text]
        tries[question.text] += 1
        if attempt >= len(TEXT_ANSWERS):
            msg = f"stuck at a question:\n{question.text}"
            raise AssertionError(msg)
        first = "vandaag" if DATE_HINT in question.text else "Test"
        typed = (first, *(a for a in TEXT_ANSWERS if a != first))
        return await self.send(typed[attempt])
