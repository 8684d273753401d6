"""Fast presses under load: the screen the user ends with is what was saved.

Three professionals at once each tap the options of the multiple-choice
question many times in parallel (every press its own update, racing through
the bot's tasks). Each option's press count is drawn at random, so the
selection that must result is known: the options pressed an odd number of
times. The test waits (bounded) until every press was answered and the
keyboard shows that selection, then presses Klaar: the question's final line
(what was saved) and the vastlegging name the same options.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.peers.telegram.fixture import BotMessage, BotProcess, TelegramUser

pytestmark = pytest.mark.peer

LABELS = ["Huisarts", "School", "Veilig Thuis"]


def _keyboard(user: TelegramUser, message: BotMessage) -> list[str]:
    return [b.text for b in user.message(message.message_id).buttons]


def hammer(user: TelegramUser, number: int, chance: random.Random) -> None:
    user.send("/start")
    menu = user.expect_question("Waarmee wil je aan de slag?")
    user.callback_answer(user.press(menu, "Testgesprek"))
    user.expect_question("Wat is je casuscode?")
    user.send(f"H-{number}")
    soort = user.expect_question("Wat voor dilemma is het?")
    user.callback_answer(user.press(soort, "Informatie delen"))
    wie = user.expect_question("Wie moet dit weten?")

    counts = {label: chance.randint(1, 4) for label in LABELS}
    presses = [label for label, count in counts.items() for _ in range(count)]
    chance.shuffle(presses)
    with ThreadPoolExecutor(len(presses)) as pool:
        taps = list(pool.map(lambda label: user.press(wie, label), presses))
    for tap in taps:
        user.callback_answer(tap)  # each press answered, once
    chosen = [label for label in LABELS if counts[label] % 2 == 1]
    wanted = [f"✅ {label}" if label in chosen else label for label in LABELS] + ["Klaar"]
    deadline = time.monotonic() + 15
    while _keyboard(user, wie) != wanted:  # the last edit may come after the answers
        assert time.monotonic() < deadline, (
            f"user {number}: pressed {counts}; the keyboard shows {_keyboard(user, wie)}"
        )
        time.sleep(0.05)
    user.callback_answer(user.press(user.message(wie.message_id), "Klaar"))
    if not chosen:
        assert _keyboard(user, wie) == wanted  # nothing ticked: Klaar is refused, nothing moves
        return
    user.expect_question("Heb je het met een collega besproken?")
    saved = user.message(wie.message_id).text
    assert saved.endswith("✔️ " + ", ".join(chosen)), f"user {number}: {saved!r} vs {chosen}"


def test_fast_presses_under_load_end_on_the_saved_selection(telegram_bot: BotProcess) -> None:
    seed = random.SystemRandom().randrange(10**9)
    print(f"hammer seed {seed}")
    users = [TelegramUser(telegram_bot, first_name=f"Hamer{n}") for n in range(3)]
    with ThreadPoolExecutor(len(users)) as pool:
        done = [
            pool.submit(hammer, user, n, random.Random(seed + n)) for n, user in enumerate(users)
        ]
        for future in done:
            future.result(timeout=120)
