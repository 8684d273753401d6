"""Kill -9 at random moments: ``voorkomen matrix`` as its own process, against Synapse.

Two professionals walk the test flow again and again in direct chats with the
bot while a :class:`~tests.support.kills.Killer` thread kills the process with
SIGKILL at random pauses (seeded: the seed is printed, ``VOORKOMEN_KILL_SEED``
replays it), ends the dead process's lease (what an operator does after a
crash they saw; otherwise a restart waits up to 30 s) and starts it again, 10
times. Synapse keeps what the users sent while the bot was down; the bot
resumes from its saved sync token.

Each professional answers and waits for the next question; when it does not
come (the bot died), they wait until it is back and type ``verder``. The
conversation must then be at the question after the last answer they saw
confirmed, or one further (the answer in flight was kept): never earlier,
never later. At the end each finished walk is exactly one record with the
answers given, and each professional is answered once more after the last
restart.

It runs twice: in unencrypted direct chats (``VOORKOMEN_MATRIX_REQUIRE_ENCRYPTION``
off) and in end-to-end encrypted ones (the default). Encrypted, the bot must
also come back as the same device with the same identity keys (its key store,
``VOORKOMEN_MATRIX_STORE_PATH``, survives kill -9), decrypt what was sent while
it was down, and every answer the professionals read arrives encrypted.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.crypto import MasterKey
from bot.service.ports import ConversationKey
from bot.store.sql import SqlStore
from tests.matrix.botprocess import BotProcess
from tests.matrix.conftest import BotAccount, MakeUser
from tests.org.support import enrol
from tests.peers.synapse import MatrixUser, Received, SynapseServer
from tests.support.kills import Killer, kill_seed

pytestmark = [pytest.mark.peer, pytest.mark.timeout(400)]

KILLS = int(os.environ.get("VOORKOMEN_MATRIX_KILLS", "10"))
QUESTIONS = [
    "Waarmee wil je aan de slag?",
    "Wat is je casuscode?",
    "Waar gaat het <dilemma> over?",
    "Heb je het met een collega besproken?",
    "Wie moet dit weten?",
    "Weet School het al?",
    "Welke afspraak maak je?",
    "Klopt alles?",
]
MENU, CODE, SOORT, BESPROKEN, PARTNERS, WEET, AFSPRAAK, REVIEW = range(len(QUESTIONS))
DONE = len(QUESTIONS)
GRACE = 4.0  # after a restart: login, first sync, the backlog handled
LONGEST = 45.0  # no reply while the bot was up this long, without a kill: a failure


def body_of(message: Any) -> str:
    return str(message.content.get("m.new_content", {}).get("body", message.body))


def screen_of(body: str) -> int | None:
    if body.startswith("vastlegging-") or "Dit gesprek is klaar." in body:
        return DONE  # the vastlegging's file came, or the record exists already
    if "Vastlegging:" in body or "Hieronder staat de vastlegging" in body:
        return None
    for index in reversed(range(len(QUESTIONS))):
        if QUESTIONS[index] in body:
            return index
    return None


@dataclass
class Professional:
    pro: MatrixUser
    room: str
    bot: str
    killer: Killer
    number: int
    chance: random.Random
    codes: list[str] = field(default_factory=list)
    recoveries: int = 0
    kept_in_flight: int = 0
    seen: int = 0

    def _new(self) -> list[str]:
        return [body_of(m) for m in self.pro.from_user(self.room, self.bot)[self.seen :]]

    async def _wait(self, wanted: int, generation: int) -> bool:
        started = time.monotonic()
        while True:
            new = self._new()
            if any(screen_of(body) == wanted for body in new):
                return True
            if self.killer.settled_since(generation, GRACE):
                return False
            up_for = time.monotonic() - max(started, self.killer.up_at)
            if self.killer.up.is_set() and up_for > LONGEST:
                raise AssertionError(
                    f"user {self.number}: no question {wanted} while up {LONGEST} s, no kill "
                    f"in between; new: {[b[:60] for b in new]}"
                )
            await asyncio.sleep(0.1)

    async def _screen(self) -> int:
        """Where the conversation is, once the room is quiet."""
        count = -1
        while count != len(self.pro.from_user(self.room, self.bot)):
            count = len(self.pro.from_user(self.room, self.bot))
            await asyncio.sleep(0.7)
        self.seen = count
        for message in reversed(self.pro.from_user(self.room, self.bot)):
            index = screen_of(body_of(message))
            if index is not None:
                return index
        raise AssertionError(f"user {self.number}: no question on screen")

    async def act(self, text: str, here: int, wanted: int) -> int:
        generation = self.killer.generation
        self.seen = len(self.pro.from_user(self.room, self.bot))
        await self.pro.send(self.room, text)
        if await self._wait(wanted, generation):
            return await self._screen()
        self.recoveries += 1
        while True:
            generation = self.killer.generation
            self.seen = len(self.pro.from_user(self.room, self.bot))
            await self.pro.send(self.room, "verder")
            if await self._wait_any(generation):
                break
        index = await self._screen()
        if wanted == DONE and index in (MENU, DONE):
            self.kept_in_flight += 1
            return DONE
        if here == MENU and index == DONE:  # still the last walk's end on screen
            return DONE
        assert index in (here, wanted), (
            f"user {self.number}: answered question {here} (unconfirmed), then verder "
            f"showed question {index}"
        )
        if index == wanted != here:
            self.kept_in_flight += 1
        return index

    async def _wait_any(self, generation: int) -> bool:
        while True:
            if any(screen_of(body) is not None for body in self._new()):
                return True
            if self.killer.settled_since(generation, GRACE):
                return False
            await asyncio.sleep(0.1)

    async def walk(self, number: int) -> None:
        code = f"MK{self.number}-{number}"
        self.codes.append(code)
        answers = {
            MENU: ("Overleg & afspraken", CODE),
            CODE: (code, SOORT),
            SOORT: (self.chance.choice(["Informatie delen", "Iets anders"]), BESPROKEN),
            BESPROKEN: ("ja", PARTNERS),
            WEET: ("ja", AFSPRAAK),
            AFSPRAAK: (f"Afspraak {self.number}-{number}", REVIEW),
            REVIEW: ("klaar", DONE),
        }
        here = DONE
        while here != MENU:  # start: the menu
            here = await self.act("start", MENU, MENU)
        while here != DONE:
            if here == PARTNERS:
                shown = self._partners()
                if "✅ School" in shown:
                    here = await self.act("klaar", PARTNERS, WEET)
                else:
                    here = await self._select()
                continue
            text, wanted = answers[here]
            here = await self.act(text, here, wanted)

    def _partners(self) -> str:
        latest = ""
        for message in self.pro.from_user(self.room, self.bot):
            if body_of(message).startswith("Wie moet dit weten?"):
                latest = body_of(message)
        return latest

    async def _select(self) -> int:
        generation = self.killer.generation
        await self.pro.send(self.room, "2")
        while "✅ School" not in self._partners():
            if self.killer.settled_since(generation, GRACE):
                return await self.act("verder", PARTNERS, PARTNERS)
            await asyncio.sleep(0.1)
        await self._screen()
        return PARTNERS


def bot_device_keys(server: SynapseServer, pro: MatrixUser, bot: str, device: str) -> Any:
    """The bot device's published identity keys, as the professional's client sees them."""
    found = server.request(
        "POST",
        "/_matrix/client/v3/keys/query",
        {"device_keys": {bot: []}},
        token=pro.account.access_token,
    )
    return found["device_keys"].get(bot, {}).get(device, {}).get("keys")


async def answered_after_the_last_restart(person: Professional) -> Received:
    """``start`` once more: the bot reads it (decrypts it, in an encrypted chat) and
    shows the menu (bounded wait)."""
    pro, room, bot = person.pro, person.room, person.bot
    seen = len(pro.from_user(room, bot))
    await pro.send(room, "start")
    async with asyncio.timeout(60):
        while True:
            for message in pro.from_user(room, bot)[seen:]:
                if screen_of(body_of(message)) == MENU:
                    return message
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("encrypted", [False, True], ids=["unencrypted", "encrypted"])
async def test_kill_9_at_random_moments_loses_nothing_confirmed(
    synapse_server: SynapseServer,
    bot_account: BotAccount,
    make_user: MakeUser,
    tmp_path: Path,
    encrypted: bool,
) -> None:
    seed = kill_seed()
    process = BotProcess.on(synapse_server, bot_account, tmp_path, require_encryption=encrypted)
    bot = bot_account.user_id
    people = [await make_user(f"kill{n}") for n in range(2)]
    for pro in people:
        enrol(process.database, "matrix", pro.user_id, name="Kill")
    await asyncio.to_thread(process.start)
    try:
        rooms = [await pro.create_dm(bot, encrypted=encrypted, timeout=60) for pro in people]
        for pro, room in zip(people, rooms, strict=True):
            # Unencrypted: the warning, then the menu. Encrypted: the menu.
            await pro.settle(room, bot, at_least=1 if encrypted else 2, timeout=60)
        device = process.value("device_id")
        assert device is not None
        keys = bot_device_keys(synapse_server, people[0], bot, device)
        assert keys or not encrypted, "the bot published no device keys"
        killer = Killer(seed, KILLS, process.kill, process.start, pause=(0.5, 3.0))
        walkers = [
            Professional(pro, room, bot, killer, n, random.Random(seed + n))
            for n, (pro, room) in enumerate(zip(people, rooms, strict=True))
        ]

        async def keep_walking(person: Professional) -> None:
            number = 0
            while not killer.done.is_set() or number == 0:
                await person.walk(number)
                number += 1

        started = time.monotonic()
        killer.start()
        await asyncio.wait_for(asyncio.gather(*(keep_walking(p) for p in walkers)), 350)
        await asyncio.to_thread(killer.join, 60)
        took = time.monotonic() - started
        last = [await answered_after_the_last_restart(p) for p in walkers]
    finally:
        await asyncio.to_thread(process.stop)
    store = SqlStore(process.database, master=MasterKey.from_environment())
    try:
        for person in walkers:
            records = store.records(ConversationKey("matrix", person.room))
            assert [r.case_code for r in records] == person.codes, person.number
            for record, code in zip(records, person.codes, strict=True):
                assert f"Afspraak {code.removeprefix('MK')}" in record.text
    finally:
        store.close()
    assert killer.generation == KILLS
    # The same device with the same keys after every restart: the key store survived.
    assert process.value("device_id") == device
    assert bot_device_keys(synapse_server, people[0], bot, device) == keys
    for pro, room, answer in zip(people, rooms, last, strict=True):
        assert answer.encrypted == encrypted
        if encrypted:
            assert all(m.encrypted for m in pro.from_user(room, bot)), "a plain answer"
    print(
        f"seed {seed} ({'encrypted' if encrypted else 'unencrypted'}): {KILLS} kills, "
        f"{sum(len(p.codes) for p in walkers)} walks, "
        f"{sum(p.recoveries for p in walkers)} recoveries, "
        f"{sum(p.kept_in_flight for p in walkers)} kept in flight, in {took:.1f} s; "
        f"undecryptable at the professionals: {sum(p.undecryptable for p in people)}"
    )
