"""A Telegram update whose worker dies around its step is applied exactly once.

The bot runs as its own process, in long polling and in webhook mode, and
kills itself with SIGKILL at a precise point of one update (the hook in
tests/support/crashhook, armed right before the user's answer):

- ``before-commit``: the step was planned but not committed. The update must
  be handled by the restarted bot (Telegram offers it again: the poll that
  would confirm it is held back, the webhook got no answer), not skipped as
  claimed, nor lost because Telegram was answered before handling.
- ``after-step``: the step was committed, its replies not sent. The update
  offered again must not be applied a second time (as the next question's
  answer).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.peers.telegram.fixture import BotProcess, BotProcesses, TelegramUser
from tests.support.crash import crash_env, wait_killed_at
from tests.telegram.conftest import flow_set

pytestmark = [pytest.mark.peer, pytest.mark.timeout(180)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    bots: BotProcesses, flows: Path, mode: str, port: int, env: dict[str, str]
) -> BotProcess:
    if mode == "webhook":
        env = env | {
            "VOORKOMEN_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "VOORKOMEN_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        }
    return bots.start(flows, main_flow="gesprek", extra_env=env)


def _crash_on_the_code(
    bots: BotProcesses, flows: Path, mode: str, point: str, arm: Path
) -> tuple[TelegramUser, BotProcess]:
    """Start a bot, walk to the case code, answer it and let the bot die at ``point``;
    then start it again on the same database and token. The user and the new bot."""
    port = _free_port()
    bot = _start(bots, flows, mode, port, crash_env(point, arm))
    user = TelegramUser(bot)
    user.send("/start")
    menu = user.expect_question("Waarmee wil je aan de slag?")
    user.callback_answer(user.press(menu, "Testgesprek"))
    user.expect_question("Wat is je casuscode?")
    if mode == "polling":
        bot.emulator.call("/holdPolling", {"token": bot.token})  # not confirmed before the kill
    arm.touch()
    user.send("K-1")
    wait_killed_at(bot.process, bot.log, point)
    arm.unlink()
    if mode == "polling":
        bot.emulator.call("/releasePolling", {"token": bot.token})
    again = _start(
        bots,
        flows,
        mode,
        port,
        {"VOORKOMEN_TELEGRAM_TOKEN": bot.token, "VOORKOMEN_DATABASE_URL": bot.database_url},
    )
    return user, again


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_an_update_killed_before_its_step_committed_is_handled_after_the_restart(
    telegram_bots: BotProcesses, tmp_path_factory: pytest.TempPathFactory, mode: str
) -> None:
    tmp = tmp_path_factory.mktemp("crash")
    flows = flow_set(tmp / "flows", free_text=True)
    user, _again = _crash_on_the_code(telegram_bots, flows, mode, "before-commit", tmp / "arm")
    soort = user.expect_question("Wat voor dilemma is het?")  # the code, handled now
    user.callback_answer(user.press(soort, "Informatie delen"))
    user.expect_question("Wie moet dit weten?")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_an_update_killed_after_its_step_committed_is_not_applied_again(
    telegram_bots: BotProcesses, tmp_path_factory: pytest.TempPathFactory, mode: str
) -> None:
    tmp = tmp_path_factory.mktemp("crash")
    flows = flow_set(tmp / "flows", free_text=True)
    user, again = _crash_on_the_code(telegram_bots, flows, mode, "after-step", tmp / "arm")
    deadline = time.monotonic() + 30
    while "Update id=" not in again.log_text():  # offered again, and done with (logged after)
        assert time.monotonic() < deadline, again.log_text()[-2000:]
        time.sleep(0.05)
    twice = [m.text[:120] for m in user.new_messages()]
    assert twice == [], f"the code, applied before the crash, was handled again: {twice}"
    user.send("/verder")  # the code was applied before the crash; its reply was lost
    questions = ("Wat voor dilemma is het?", "Wie moet dit weten?")
    new = user.wait_until(
        lambda new: any(q in m.text for m in new for q in questions), "the open question"
    )
    shown = next(m for m in reversed(new) if any(q in m.text for q in questions))
    assert "Wat voor dilemma is het?" in shown.text, (
        f"the code was applied twice: {[m.text[:80] for m in user.messages()[-4:]]}"
    )
    user.callback_answer(user.press(shown, "Informatie delen"))
    user.expect_question("Wie moet dit weten?")
    assert again.process.poll() is None
