"""Long polling across a crash: an update offered again is handled once.

The Bot API confirms a polled update only when a later ``getUpdates`` carries
an ``offset`` above its ``update_id``. A bot that handled an update and died
before that next call reached Telegram (a slow network, a retry after a
network error, then kill -9) is offered the same update again when it
restarts. Here the emulator holds back that next call (``/holdPolling``), the
process is killed with SIGKILL after the user saw the answer confirmed, and
a new process on the same database is started: the answer, already applied,
must not be applied a second time (as the next question's answer).
"""

from __future__ import annotations

import time

import pytest

from tests.peers.telegram.fixture import BotProcesses, TelegramUser
from tests.support.kills import kill_hard
from tests.telegram.conftest import flow_set

pytestmark = pytest.mark.peer


def test_a_polled_update_offered_again_after_a_crash_is_handled_once(
    telegram_bots: BotProcesses, tmp_path_factory: pytest.TempPathFactory
) -> None:
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    bot = telegram_bots.start(flows, main_flow="gesprek")
    emulator = bot.emulator
    user = TelegramUser(bot)
    user.send("/start")
    menu = user.expect_question("Waarmee wil je aan de slag?")
    user.callback_answer(user.press(menu, "Testgesprek"))
    user.expect_question("Wat is je casuscode?")

    emulator.call("/holdPolling", {"token": bot.token})  # the confirming poll never arrives
    user.send("K-1")
    soort = user.expect_question("Wat voor dilemma is het?")  # the user saw it confirmed
    kill_hard(bot.process)
    released = emulator.call("/releasePolling", {"token": bot.token})
    assert released["on"], "the bot's confirming getUpdates was not held back"

    again = telegram_bots.start(
        flows,
        main_flow="gesprek",
        extra_env={
            "VOORKOMEN_TELEGRAM_TOKEN": bot.token,
            "VOORKOMEN_DATABASE_URL": bot.database_url,
        },
    )
    deadline = time.monotonic() + 15
    # aiogram logs "Update id=… is (not) handled" once its handler returned, and
    # the handler delivers its replies itself: a wrongly handled duplicate's
    # reply is in the chat by then (no pause needed).
    while "Update id=" not in again.log_text():  # it was offered the update again
        assert time.monotonic() < deadline, again.log_text()[-2000:]
        time.sleep(0.05)
    twice = [m.text[:120] for m in user.new_messages()]
    assert twice == [], f"the code, applied before the crash, was handled again: {twice}"
    user.send("/verder")
    questions = ("Wat voor dilemma is het?", "Wie moet dit weten?")
    new = user.wait_until(
        lambda new: any(q in m.text for m in new for q in questions), "the open question"
    )
    shown = next(m for m in reversed(new) if any(q in m.text for q in questions))
    assert "Wat voor dilemma is het?" in shown.text, (
        f"the conversation moved: {[m.text[:80] for m in user.messages()[-4:]]}"
    )
    user.callback_answer(user.press(shown, "Informatie delen"))
    user.expect_question("Wie moet dit weten?")
    assert soort.message_id < shown.message_id
