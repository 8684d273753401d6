"""The Matrix sender against a real Synapse: a notice queued while the bot was
down arrives in the person's direct chat (encrypted) once the bot is up again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.matrix.sender import MatrixSender
from bot.engine.messages import Choice
from bot.service.notifier import Notifier
from bot.service.ports import ConversationKey, Notice
from bot.store.memory import MemoryStore
from tests.matrix.conftest import DictValues, EchoService, MakeUser, RunBot

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOTICE = Notice("Een collega vraagt je mee te kijken <nu>.", (Choice("bekijk", "Bekijk"),))


class Addresses:
    def __init__(self) -> None:
        self.where: dict[str, ConversationKey] = {}

    def last_address(self, person_id: str) -> ConversationKey | None:
        return self.where.get(person_id)


async def test_a_queued_notice_reaches_the_person_once_the_bot_is_up(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    pro = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=True)
    await pro.expect(room, bot.user_id)  # the greeting
    addresses = Addresses()
    addresses.where["p1"] = ConversationKey("matrix", room)
    await bot.stop()  # the channel is down

    store = MemoryStore()
    down = Notifier(store, addresses, lambda: T0, [MatrixSender(bot.channel)])
    assert await down.send("org-1", "p1", NOTICE) is False
    assert len(store.waiting_messages("p1")) == 1

    bot = await run_bot(service, values)  # up again: a new channel, same account
    up = Notifier(store, addresses, lambda: T0, [MatrixSender(bot.channel)])
    assert await up.deliver_waiting(T0 + timedelta(minutes=1)) == 1
    (received,) = await pro.expect(room, bot.user_id)
    assert received.encrypted
    assert received.body == "Een collega vraagt je mee te kijken <nu>.\n\nTyp: bekijk"
    assert "&lt;nu&gt;" in received.content["formatted_body"]
    assert store.waiting_messages("p1") == []
    assert await up.deliver_waiting(T0 + timedelta(hours=1)) == 0  # once


async def test_a_notice_never_goes_into_an_unencrypted_room_when_encryption_is_required(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    bot = await run_bot(EchoService(), values, require_encryption=True)
    pro = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(room, bot.user_id)  # the refusal
    addresses = Addresses()
    addresses.where["p1"] = ConversationKey("matrix", room)
    store = MemoryStore()
    notifier = Notifier(store, addresses, lambda: T0, [MatrixSender(bot.channel)])
    assert await notifier.send("org-1", "p1", NOTICE) is False
    assert len(store.waiting_messages("p1")) == 1  # kept, not sent in the clear
    assert await pro.settle(room, bot.user_id, quiet=1.0, at_least=0) == []
