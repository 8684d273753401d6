"""Odd input at two questions, end to end: the real bot process, the Bot API emulator.

At a free-text question and at a question with buttons the professional
sends what Telegram lets a user send besides an answer: a sticker, a photo
with a caption that names someone, a file, a voice note, a location, an edit
of an earlier message (an ``edited_message`` update, from the emulator
launcher's ``edit_of``), a reply to an old message of the bot, a text of
over 4,000 characters, only emoji, only control characters, a command for
another bot (``/start@otherbot``) and an unknown command. Each time the same
question comes again with a Dutch explanation (for a photo, file or voice
note with the advice to delete it from the chat, as Telegram is not end-to-end
encrypted), and the answers in the bot's database stay as they were (read
with the app's own store). Then the normal answer gets the next question.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.channels.oddities import DELETE_ADVICE, EDITED, OLD_REPLY, explanation
from bot.service.ports import ConversationKey
from bot.settings import Settings
from tests.peers.telegram.fixture import BotMessage, BotProcess, TelegramUser
from tests.support.env import bot_env
from tests.telegram.test_e2e import open_flow

pytestmark = pytest.mark.peer

FLOWS = Path(__file__).parent / "flows"
FILE = {"file_id": "f-1", "file_unique_id": "f-1"}
SECRET = "Jan Jansen"

ODD: list[tuple[str, dict[str, Any]]] = [
    (
        "sticker",
        {
            "sticker": {
                **FILE,
                "type": "regular",
                "width": 9,
                "height": 9,
                "is_animated": False,
                "is_video": False,
            }
        },
    ),
    ("foto", {"photo": [{**FILE, "width": 64, "height": 48}], "caption": SECRET}),
    ("bestand", {"document": {**FILE, "file_name": f"{SECRET}.pdf"}}),
    ("spraakbericht", {"voice": {**FILE, "duration": 2}}),
    ("locatie", {"location": {"latitude": 52.37, "longitude": 4.89}}),
    ("te lang bericht", {"text": "LANG " * 819}),
    ("onleesbare tekens", {"text": "\x07\x1b\u202e"}),
    ("opdracht voor een andere bot", {"text": "/start@otherbot"}),
    ("opdracht voor een andere bot", {"text": "/ban iemand"}),
]


def stored_answers(bot: BotProcess, chat_id: int) -> list[Any]:
    """The answers in the bot's database, read with the app's own (sealing) store."""
    env = bot_env(DATABASE_URL=bot.database_url, FLOWS_DIR=str(FLOWS), MAIN_FLOW="gesprek")
    app = create_app(Settings.from_env(env))
    try:
        state = app.store.load(ConversationKey("telegram", str(chat_id)))
        assert state is not None
        return [entry.to_json() for entry in state.log]
    finally:
        app.close()


def send_raw(user: TelegramUser, fields: dict[str, Any]) -> None:
    body = {**user._common(), **fields}
    text = fields.get("text", "")
    if text.startswith("/"):
        body["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        user.emulator.call("/sendCommand", body)
    else:
        user.emulator.call("/sendMessage", body)


def asked_again(user: TelegramUser, question: str, line: str) -> list[BotMessage]:
    """The new messages: ``line`` and the question again (the question last)."""
    new = user.wait_until(
        lambda msgs: any(question in m.text for m in msgs) and any(line in m.text for m in msgs),
        f"{line!r} and {question!r} again",
    )
    assert question in new[-1].text
    return new


def odd_inputs_at(
    user: TelegramUser, bot: BotProcess, question: str, old: BotMessage
) -> BotMessage:
    """Every odd input at the open ``question``; returns the question as last shown."""
    before = stored_answers(bot, user.chat["id"])
    shown = old
    for what, fields in ODD:
        send_raw(user, fields)
        line = explanation(what, encrypted=False)
        new = asked_again(user, question, line.split("\n\n")[0])
        shown = new[-1]
        with_advice = DELETE_ADVICE in "\n".join(m.text for m in new)
        assert with_advice == (what in ("foto", "bestand", "spraakbericht")), what
    send_raw(user, {"text": "😀🙈"})  # only emoji: the engine says why it is no answer
    shown = user.expect_question(question)
    send_raw(user, {"text": "1", "edit_of": 1})  # an edit of an earlier message
    shown = asked_again(user, question, explanation(EDITED, encrypted=False)[:40])[-1]
    reply_to = {
        "message_id": old.message_id,
        "date": int(time.time()),
        "chat": user.chat,
        "from": {"id": 666, "is_bot": True, "first_name": "Voorkomen (test)"},
        "text": old.text,
    }
    send_raw(user, {"text": "1", "reply_to_message": reply_to})  # a reply to an old message
    shown = asked_again(user, question, explanation(OLD_REPLY, encrypted=False)[:40])[-1]
    assert stored_answers(bot, user.chat["id"]) == before
    return shown


def test_odd_input_at_two_questions_is_explained_and_changes_nothing(
    telegram_bot: BotProcess,
) -> None:
    user = TelegramUser(telegram_bot)
    menu = open_flow(user)
    user.expect_question("Wat is je casuscode?")
    odd_inputs_at(user, telegram_bot, "Wat is je casuscode?", menu)
    user.send("C-12")
    soort = user.expect_question("Wat voor dilemma is het?")
    assert len(stored_answers(telegram_bot, user.chat["id"])) >= 1
    first_question = next(m for m in user.messages() if "Wat is je casuscode?" in m.text)
    soort = odd_inputs_at(user, telegram_bot, "Wat voor dilemma is het?", first_question)
    user.callback_answer(user.press(soort, "Informatie delen"))
    user.expect_question("Wie moet dit weten?")
    log = user.bot.log_text()
    assert "Traceback" not in log
    assert SECRET not in log
