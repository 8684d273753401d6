"""The Telegram peer: a Bot API emulator and the real bot, as real processes.

``telegram_emulator`` starts ``launch-emulator.js`` (telegram-test-api 4.2.1
with our patches) on 127.0.0.1 and a free port, once per test session;
``BotProcesses`` starts ``python -m bot.cli.telegram --api-url <emulator>``
with its own settings (flows, SQLite file, token) and waits for its ready
line. Both are stopped by PID at the end of the session.

``TelegramUser`` plays the professional: it sends messages and commands,
presses buttons and reads what the bot sent, all over the emulator's plain
JSON user API. Every bot message is checked with Telegram's HTML rules
(``parse_html``), so an escaping mistake fails the test that triggered it.

Without Node.js or the npm package the tests skip with the reason, except
under ``CI=true``, where a missing peer fails the run.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.org.support import enrol
from tests.peers.common import peer_unavailable, stop_process, stop_processes
from tests.support.env import bot_env
from tests.telegram.botapi import parse_html

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[2]
LAUNCHER = HERE / "launch-emulator.js"
PACKAGE = HERE / "node_modules" / "telegram-test-api" / "package.json"
START_TIMEOUT = 60.0
WAIT_TIMEOUT = 15.0
READY_MARK = "is ready ("


def missing_peer(reason: str) -> NoReturn:
    """Skip with the reason; under CI a missing peer is a failure."""
    peer_unavailable("Telegram Bot API emulator", reason)


# ---------------------------------------------------------------- the emulator


@dataclass
class Emulator:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def call(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON to the emulator; returns ``result`` (raises on ``ok: false``)."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            data = json.loads(response.read())
        if not data.get("ok"):
            raise AssertionError(f"emulator {path}: {data}")
        return data.get("result")

    def bot_api(self, token: str, method: str, body: dict[str, Any] | None = None) -> Any:
        """Call a Bot API method as the bot would (for checking what it registered)."""
        return self.call(f"/bot{token}/{method}", body or {})


def start_emulator(log: Path) -> Emulator:
    node = shutil.which("node")
    if node is None:
        missing_peer("Node.js is not installed (Debian: apt-get install nodejs npm)")
    if not PACKAGE.is_file():
        missing_peer(
            "telegram-test-api is not installed: run `npm ci` in tests/peers/telegram "
            "(make test does this)"
        )
    errors = log.open("wb")
    process = subprocess.Popen(
        [node, str(LAUNCHER), "--port", "0"],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=errors,
        stdin=subprocess.DEVNULL,
    )
    errors.close()
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([process.stdout], [], [], max(left, 0))
        if not ready or process.poll() is not None:
            stop_process(process, "emulator")
            pytest.fail(f"the Telegram emulator did not start:\n{log.read_text()}")
        chunk = os.read(process.stdout.fileno(), 1)
        if not chunk:
            stop_process(process, "emulator")
            pytest.fail(f"the Telegram emulator exited:\n{log.read_text()}")
        line += chunk
    word, _, url = line.decode().strip().partition(" ")
    if word != "READY" or not url.startswith("http://127.0.0.1:"):
        stop_process(process, "emulator")
        pytest.fail(f"unexpected first line from the emulator: {line!r}")
    return Emulator(url, process, log)


@pytest.fixture(scope="session")
def telegram_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = start_emulator(tmp_path_factory.mktemp("telegram") / "emulator.log")
    try:
        yield emulator
    finally:
        stop_process(emulator.process, "emulator")
        if emulator.process.stdout is not None:
            emulator.process.stdout.close()


# ---------------------------------------------------------------- bot processes


@dataclass
class BotProcess:
    token: str
    process: subprocess.Popen[bytes]
    log: Path
    emulator: Emulator
    database_url: str = ""
    #: Test users of this bot are members of an organisation "Test" unless they
    #: say otherwise (the access tests start bots where nobody is).
    members_by_default: bool = True

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


_tokens = itertools.count(1)


@dataclass
class BotProcesses:
    """Starts bots against the emulator and stops them all at the end."""

    emulator: Emulator
    workdir: Path
    running: list[BotProcess] = field(default_factory=list)

    def start(
        self,
        flows_dir: Path,
        *,
        main_flow: str,
        knowledge_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        members_by_default: bool = True,
    ) -> BotProcess:
        number = next(_tokens)
        database_url = f"sqlite:///{self.workdir / f'bot-{number}.db'}"
        token = f"{700000 + number}:E2E-token-{number}"
        log = self.workdir / f"bot-{number}.log"
        env = bot_env()
        env.update(
            {
                "VOORKOMEN_TELEGRAM_TOKEN": token,
                "VOORKOMEN_DATABASE_URL": database_url,
                "VOORKOMEN_FLOWS_DIR": str(flows_dir),
                "VOORKOMEN_KNOWLEDGE_DIR": str(knowledge_dir or self.workdir / "no-knowledge"),
                "VOORKOMEN_MAIN_FLOW": main_flow,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra_env or {})
        database_url = env["VOORKOMEN_DATABASE_URL"]
        out = log.open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli.telegram",
                "--api-url",
                self.emulator.url,
                *args,
            ],
            cwd=PROJECT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        out.close()
        bot = BotProcess(token, process, log, self.emulator, database_url, members_by_default)
        self.running.append(bot)
        deadline = time.monotonic() + START_TIMEOUT
        while READY_MARK not in bot.log_text():
            if process.poll() is not None:
                pytest.fail(f"the bot exited with {process.returncode}:\n{bot.log_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the bot did not get ready in {START_TIMEOUT} s:\n{bot.log_text()}")
            time.sleep(0.05)
        return bot

    def stop_all(self) -> None:
        stop_processes([(bot.process, f"bot {bot.token.split(':')[0]}") for bot in self.running])


@pytest.fixture(scope="session")
def telegram_bots(
    telegram_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotProcesses]:
    bots = BotProcesses(telegram_emulator, tmp_path_factory.mktemp("telegram-bots"))
    try:
        yield bots
    finally:
        bots.stop_all()


# ---------------------------------------------------------------- the user


@dataclass(frozen=True)
class Button:
    text: str
    data: str


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as the user's Telegram app shows it now."""

    message_id: int
    html: str
    text: str
    entities: list[dict[str, Any]]
    keyboard: tuple[tuple[Button, ...], ...]
    document: dict[str, Any] | None
    caption: str | None
    raw: dict[str, Any]

    @property
    def buttons(self) -> list[Button]:
        return [b for row in self.keyboard for b in row]

    def button(self, label: str) -> Button:
        for b in self.buttons:
            if label in b.text:
                return b
        raise AssertionError(f"no button {label!r} in {[b.text for b in self.buttons]}")

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> BotMessage:
        """The message of one entry of the emulator's event log."""
        message = entry["message"]
        html = message.get("text") or ""
        text, entities = ("", []) if not html else parse_html(html)  # Telegram's rules
        markup = message.get("reply_markup") or {}
        keyboard = tuple(
            tuple(Button(b["text"], b.get("callback_data", "")) for b in row)
            for row in markup.get("inline_keyboard", [])
        )
        caption = message.get("caption")
        if caption:
            parse_html(caption)
        return cls(
            message_id=int(entry["messageId"]),
            html=html,
            text=text,
            entities=[e.model_dump(exclude_none=True) for e in entities],
            keyboard=keyboard,
            document=message.get("document"),
            caption=caption,
            raw=message,
        )


_chat_ids = itertools.count(5001)


class TelegramUser:
    """One professional in one chat with the bot, through the emulator."""

    def __init__(
        self,
        bot: BotProcess,
        *,
        chat_type: str = "private",
        member: bool | None = None,
        first_name: str = "Prof",
    ) -> None:
        self.bot = bot
        self.emulator = bot.emulator
        number = next(_chat_ids)
        self.user = {
            "id": number,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "nl",
        }
        if bot.members_by_default if member is None else member:
            enrol(bot.database_url, "telegram", str(number), name=first_name)
        chat_id = number if chat_type == "private" else -number
        self.chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            self.chat["first_name"] = "Prof"
        else:
            self.chat["title"] = "Teamoverleg"
        self.seen = 0  # message id of the last bot message read
        self.callbacks: list[str] = []
        self.sent_texts: list[str] = []

    # -------------------------------------------------------- acting

    def _common(self) -> dict[str, Any]:
        return {
            "botToken": self.bot.token,
            "from": self.user,
            "chat": self.chat,
            "date": int(time.time()),
        }

    def send(self, text: str) -> None:
        """Type a message; a leading ``/`` makes it a command, as Telegram marks it."""
        self.sent_texts.append(text)
        body = {**self._common(), "text": text}
        if text.startswith("/"):
            body["entities"] = [
                {"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}
            ]
            self.emulator.call("/sendCommand", body)
        else:
            self.emulator.call("/sendMessage", body)

    def send_text(self, text: str) -> None:
        """Alias of :meth:`send` for typed answers."""
        self.send(text)

    def send_sticker(self) -> None:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "sticker-1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        self.emulator.call("/sendMessage", {**self._common(), "sticker": sticker})

    def press(self, message: BotMessage, label: str) -> str:
        """Tap a button of ``message`` as it was shown; returns the callback query id."""
        button = message.button(label)
        shown = as_shown(message, self.chat)
        body = {
            "botToken": self.bot.token,
            "from": self.user,
            "message": shown,
            "data": button.data,
        }
        result = self.emulator.call("/sendCallback", body)
        callback_id = str(result["callback_query_id"])
        self.callbacks.append(callback_id)
        return callback_id

    # -------------------------------------------------------- reading

    def messages(self) -> list[BotMessage]:
        """Every bot message in this chat, oldest first, as it looks now."""
        history = self.emulator.call("/getUpdatesHistory", {"token": self.bot.token})
        mine = [
            entry
            for entry in history
            if "chat_id" in entry.get("message", {})
            and str(entry["message"]["chat_id"]) == str(self.chat["id"])
        ]
        mine.sort(key=lambda e: int(e["messageId"]))
        return [BotMessage.from_entry(e) for e in mine]

    def message(self, message_id: int) -> BotMessage:
        for m in self.messages():
            if m.message_id == message_id:
                return m
        raise AssertionError(f"no bot message {message_id}")

    def new_messages(self) -> list[BotMessage]:
        return [m for m in self.messages() if m.message_id > self.seen]

    def wait_until(
        self, check: Callable[[list[BotMessage]], bool], what: str, timeout: float = WAIT_TIMEOUT
    ) -> list[BotMessage]:
        """Wait (bounded) until ``check`` holds for the new bot messages; marks them read."""
        deadline = time.monotonic() + timeout
        while True:
            new = self.new_messages()
            if check(new):
                if new:
                    self.seen = new[-1].message_id
                return new
            if time.monotonic() > deadline:
                shown = "\n---\n".join(m.text for m in new)
                raise AssertionError(
                    f"waited {timeout} s for {what}; new bot messages:\n{shown}\n"
                    f"bot log:\n{self.bot.log_text()[-3000:]}"
                )
            time.sleep(0.01)

    def expect(self, text: str, timeout: float = WAIT_TIMEOUT) -> list[BotMessage]:
        """Wait for a new bot message containing ``text``; returns the new messages."""
        return self.wait_until(lambda new: any(text in m.text for m in new), repr(text), timeout)

    def expect_question(self, text: str) -> BotMessage:
        """Wait for a question containing ``text``; returns that message."""
        new = self.expect(text)
        return next(m for m in reversed(new) if text in m.text)

    def callback_answer(self, callback_id: str, timeout: float = WAIT_TIMEOUT) -> dict[str, Any]:
        """The answer the bot gave to a button press (a toast, or empty)."""
        deadline = time.monotonic() + timeout
        while True:
            answers = self.emulator.call("/getCallbackAnswers", {"token": self.bot.token})
            found = [a for a in answers if a["callback_query_id"] == callback_id]
            if found:
                assert len(found) == 1, f"callback {callback_id} answered {len(found)} times"
                return dict(found[0])
            if time.monotonic() > deadline:
                raise AssertionError(f"callback query {callback_id} was never answered")
            time.sleep(0.01)

    def document_content(self, message: BotMessage) -> str:
        assert message.document is not None
        return str(
            self.emulator.call("/getDocumentContent", {"file_id": message.document["file_id"]})
        )


def as_shown(message: BotMessage, chat: dict[str, Any]) -> dict[str, Any]:
    """``message`` as Telegram shows it in a callback query (what a button press carries)."""
    return {
        "message_id": message.message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": {"id": 666, "is_bot": True, "first_name": "Voorkomen (test)"},
        "text": message.text,
        "entities": message.entities,
        "reply_markup": message.raw.get("reply_markup"),
    }
