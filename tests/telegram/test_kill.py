"""Kill -9 at random moments: the Telegram bot, in long polling and webhook mode.

One bot process per mode runs on its own SQLite database against the Bot API
emulator, while three professionals per bot walk the test flow again and
again. A :class:`~tests.support.kills.Killer` thread kills the process with
SIGKILL at random pauses (seeded: the seed is printed; ``VOORKOMEN_KILL_SEED``
replays it) and starts it again, 25 times per mode. The emulator behaves as
the Bot API does around a crash: a webhook update the bot did not take is
delivered again, and a polled update is offered again until a later
``getUpdates`` confirms it.

Each professional acts like a person: they answer, and wait for the next
question. When it does not come (the bot died), they wait until it is back
and type ``/verder``. Asserted, every time:

- the conversation resumes at the question after the last answer the user saw
  confirmed (its next question arrived), or one further when the answer in
  flight was kept: never earlier (a confirmed answer lost), never later;
- at the end, each finished walk is exactly one record (none duplicated, none
  missing), holding exactly the answers given; no document is sent twice.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import pytest

from bot.crypto import MasterKey
from bot.service.ports import ConversationKey
from bot.store.sql import SqlStore
from tests.peers.common import free_port
from tests.peers.telegram.fixture import BotMessage, BotProcess, BotProcesses, TelegramUser
from tests.support.kills import Killer, kill_hard, kill_seed
from tests.telegram.conftest import flow_set

pytestmark = [pytest.mark.peer, pytest.mark.timeout(900)]

KILLS_PER_MODE = int(os.environ.get("VOORKOMEN_KILLS_PER_MODE", "25"))
USERS_PER_BOT = 3
QUESTIONS = [
    "Waarmee wil je aan de slag?",
    "Wat is je casuscode?",
    "Wat voor dilemma is het?",
    "Wie moet dit weten?",
    "Heb je het met een collega besproken?",
    "Vertel kort wat er speelt.",
    "Klopt alles?",
]
MENU, CODE, SOORT, WIE, BESPROKEN, SPEELT, REVIEW = range(len(QUESTIONS))
DONE = len(QUESTIONS)  # the vastlegging arrived
FINISHED = "Dit gesprek is klaar."  # the answer to a second Klaar: the record exists
GRACE = 1.5  # after a restart: time for a redelivered update to be handled
LONGEST = 30.0  # no reply while the bot was up this long, without a kill: a failure


def screen_of(message: BotMessage) -> int | None:
    """Which question a bot message shows (None: not a question)."""
    if message.document or FINISHED in message.text:
        return DONE
    if "Casuscode:" in message.text:
        return None
    for index in reversed(range(len(QUESTIONS))):
        if QUESTIONS[index] in message.text:
            return index
    return None


@dataclass
class Walk:
    code: str
    soort: str
    wie: str
    speelt: str
    finished: bool = False


@dataclass
class Professional:
    """One user walking the flow again and again, recovering after each crash."""

    user: TelegramUser
    killer: Killer
    number: int
    chance: random.Random
    bot_log: Callable[[], str]
    walks: list[Walk] = field(default_factory=list)
    recoveries: int = 0
    kept_in_flight: int = 0

    # ------------------------------------------------------------ waiting

    def _wait(self, check: Callable[[list[BotMessage]], bool], generation: int) -> bool:
        """Wait for new bot messages that satisfy ``check``; False when the bot was
        killed after ``generation`` and, restarted, still did not answer."""
        started = time.monotonic()
        while True:
            new = self.user.new_messages()
            if check(new):
                if new:
                    self.user.seen = new[-1].message_id
                return True
            if self.killer.settled_since(generation, GRACE):
                return False
            up_for = time.monotonic() - max(started, self.killer.up_at)
            if self.killer.up.is_set() and up_for > LONGEST:
                raise AssertionError(
                    f"user {self.number}: no answer while up {LONGEST} s and no kill in between; "
                    f"generation {generation} -> {self.killer.generation}, "
                    f"up {self.killer.up.is_set()}"
                    f" since {time.monotonic() - self.killer.up_at:.1f} s, "
                    f"kills: {self.killer.moments}; new: {[m.text[:60] for m in new]}\n"
                    f"screen: {self._latest_screen()[1].text[:300]}\n{self.bot_log()[-3000:]}"
                )
            time.sleep(0.1)

    def _latest_screen(self) -> tuple[int, BotMessage]:
        """The latest question (or the vastlegging) on screen, once the chat is quiet."""
        last = -1
        while (latest := self.user.messages()[-1].message_id) != last:
            last = latest
            time.sleep(0.5)  # a redelivered update may still be answered
        self.user.seen = max(self.user.seen, last)
        for message in reversed(self.user.messages()):
            index = screen_of(message)
            if index is not None:
                return index, message
        raise AssertionError(f"user {self.number}: no question on screen")

    def _act(self, action: Callable[[], None], here: int, wanted: int) -> tuple[int, BotMessage]:
        """Do ``action`` on question ``here``; returns the screen after it (recovering)."""
        generation = self.killer.generation
        action()

        def arrived(new: list[BotMessage]) -> bool:
            return any(screen_of(m) == wanted for m in new)

        if self._wait(arrived, generation):
            return self._latest_screen()
        return self._recover(here, wanted)

    def _recover(self, here: int, wanted: int) -> tuple[int, BotMessage]:
        """The bot died: ``/verder`` until it shows where the conversation is."""
        self.recoveries += 1
        while True:
            generation = self.killer.generation
            self.user.send("/verder")
            if self._wait(lambda new: any(screen_of(m) is not None for m in new), generation):
                break
        index, message = self._latest_screen()
        if wanted == DONE:  # the record was made (the menu) or not (still the review)
            assert index in (REVIEW, MENU, DONE), f"user {self.number}: after Klaar, {index}"
            if index != REVIEW:
                self.kept_in_flight += 1
                return DONE, message
            return index, message
        if here == MENU and index == DONE:
            # The menu choice was lost with the bot: the last walk is still the
            # finished conversation ("Dit gesprek is klaar"), so open the menu again.
            return self._act(lambda: self.user.send("/start"), MENU, MENU)
        assert index in (here, wanted), (
            f"user {self.number}: answered question {here} (unconfirmed), "
            f"then /verder showed question {index}: {message.text[:200]}"
        )
        if index == wanted and wanted != here:
            self.kept_in_flight += 1
        return index, message

    # ------------------------------------------------------------ walking

    def walk(self, number: int) -> Walk:
        walk = Walk(
            code=f"K{self.number}-{number}",
            soort=self.chance.choice(["Ingrijpen of niet", "Informatie delen", "Iets anders"]),
            wie=self.chance.choice(["Huisarts", "School", "Veilig Thuis"]),
            speelt=f"Verhaal {self.number}-{number}",
        )
        self.walks.append(walk)
        user = self.user
        here, screen = self._act(lambda: user.send("/start"), MENU, MENU)
        while here != DONE:
            shown = screen

            def press(label: str, message: BotMessage = shown) -> Callable[[], None]:
                return lambda: self._press(message, label)

            if here == MENU:
                here, screen = self._act(press("Testgesprek"), MENU, CODE)
            elif here == CODE:
                here, screen = self._act(lambda: user.send(walk.code), CODE, SOORT)
            elif here == SOORT:
                here, screen = self._act(press(walk.soort), SOORT, WIE)
            elif here == WIE:
                here, screen = self._tick(walk, shown)
            elif here == BESPROKEN:
                here, screen = self._act(press("Ja"), BESPROKEN, SPEELT)
            elif here == SPEELT:
                here, screen = self._act(lambda: user.send(walk.speelt), SPEELT, REVIEW)
            elif here == REVIEW:
                here, screen = self._act(press("Klaar, maak vastlegging"), REVIEW, DONE)
        walk.finished = True
        return walk

    def _press(self, message: BotMessage, label: str) -> None:
        self.user.press(message, label)

    def _tick(self, walk: Walk, shown: BotMessage) -> tuple[int, BotMessage]:
        """At the multiple-choice question: tick the one answer, then Klaar."""
        user = self.user
        if f"✅ {walk.wie}" in [b.text for b in shown.buttons]:
            return self._act(lambda: self._press(shown, "Klaar"), WIE, BESPROKEN)
        generation = self.killer.generation
        user.press(shown, walk.wie)

        def ticked(_new: list[BotMessage]) -> bool:
            return f"✅ {walk.wie}" in [b.text for b in user.message(shown.message_id).buttons]

        if self._wait(ticked, generation):
            return WIE, user.message(shown.message_id)
        return self._recover(WIE, WIE)


@dataclass
class KilledBot:
    """A bot whose process the killer kills and starts again (same token, database)."""

    bots: BotProcesses
    start: Callable[[], BotProcess]
    current: BotProcess
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kill(self) -> None:
        kill_hard(self.current.process)

    def restart(self) -> None:
        self.current = self.start()


def _started(
    bots: BotProcesses, flows: object, mode: str, port: int, first: BotProcess | None
) -> BotProcess:
    env: dict[str, str] = {}
    if mode == "webhook":
        env["VOORKOMEN_TELEGRAM_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/telegram"
        env["VOORKOMEN_TELEGRAM_WEBHOOK_LISTEN"] = f"127.0.0.1:{port}"
    if first is not None:
        env["VOORKOMEN_TELEGRAM_TOKEN"] = first.token
        env["VOORKOMEN_DATABASE_URL"] = first.database_url
    bot = bots.start(flows, main_flow="gesprek", extra_env=env)  # type: ignore[arg-type]
    return bot if first is None else replace(bot, token=first.token)


@pytest.fixture
def killed_bots(
    telegram_bots: BotProcesses, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, KilledBot]]:
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    made: dict[str, KilledBot] = {}
    try:
        for mode in ("polling", "webhook"):
            port = free_port()
            first = _started(telegram_bots, flows, mode, port, None)
            made[mode] = KilledBot(
                telegram_bots,
                lambda f=first, m=mode, p=port: _started(telegram_bots, flows, m, p, f),
                first,
            )
        yield made
    finally:
        for bot in made.values():
            kill_hard(bot.current.process)


def _records(database_url: str, chat_id: int) -> list[tuple[str | None, str]]:
    store = SqlStore(database_url, master=MasterKey.from_environment())
    try:
        found = store.records(ConversationKey("telegram", str(chat_id)))
    finally:
        store.close()
    return [(record.case_code, record.text) for record in found]


def test_kill_9_at_random_moments_loses_nothing_confirmed_and_duplicates_nothing(
    killed_bots: dict[str, KilledBot],
) -> None:
    seed = kill_seed()
    killers: dict[str, Killer] = {}
    people: list[tuple[str, Professional]] = []
    for offset, (mode, bot) in enumerate(sorted(killed_bots.items())):
        killer = Killer(seed + offset, KILLS_PER_MODE, bot.kill, bot.restart, pause=(0.2, 2.5))
        killers[mode] = killer
        for n in range(USERS_PER_BOT):
            user = TelegramUser(bot.current, first_name=f"Prof{n}")
            chance = random.Random(f"{seed}-{mode}-{n}")
            log = lambda b=bot: b.current.log_text()  # noqa: E731
            people.append((mode, Professional(user, killer, len(people), chance, log)))

    def keep_walking(mode: str, person: Professional) -> None:
        number = 0
        while not killers[mode].done.is_set() or number == 0:
            person.walk(number)
            number += 1

    started = time.monotonic()
    for killer in killers.values():
        killer.start()
    with ThreadPoolExecutor(len(people)) as pool:
        running = [pool.submit(keep_walking, mode, person) for mode, person in people]
        for done in running:
            done.result(timeout=780)  # about 90 s on an idle 2-core machine
    for killer in killers.values():
        killer.join(timeout=60)
    took = time.monotonic() - started

    for mode, person in people:
        bot = killed_bots[mode].current
        records = _records(bot.database_url, int(person.user.chat["id"]))
        codes = [code for code, _text in records]
        finished = [walk for walk in person.walks if walk.finished]
        assert codes == [walk.code for walk in finished], f"{mode} user {person.number}: {codes}"
        for (_code, text), walk in zip(records, finished, strict=True):
            assert f"Wat voor dilemma is het? {walk.soort}" in text
            assert f"Wie moet dit weten? {walk.wie}" in text
            assert "Heb je het met een collega besproken? Ja" in text
            assert f"Vertel kort wat er speelt. {walk.speelt}" in text
        documents = [person.user.document_content(m) for m in person.user.messages() if m.document]
        for walk in finished:
            sent = [d for d in documents if f"Casuscode: {walk.code}\n" in d + "\n"]
            assert len(sent) <= 1, f"{mode}: the vastlegging of {walk.code} sent {len(sent)} times"
    assert all(k.generation == KILLS_PER_MODE for k in killers.values())
    summary = {
        mode: {
            "kills": killers[mode].generation,
            "walks": sum(len(p.walks) for m, p in people if m == mode),
            "recoveries": sum(p.recoveries for m, p in people if m == mode),
            "kept in flight": sum(p.kept_in_flight for m, p in people if m == mode),
        }
        for mode in killers
    }
    print(f"seed {seed}: {summary} in {took:.1f} s")
