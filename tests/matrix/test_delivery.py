"""Every message answered exactly once: restarts, first start, gaps and bursts (real Synapse)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.matrix.conftest import DictValues, EchoService, MakeUser, RunBot, RunningBot
from tests.peers.synapse import MatrixUser

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]


async def _chat(
    run_bot: RunBot, make_user: MakeUser, values: DictValues, service: EchoService
) -> tuple[RunningBot, MatrixUser, str]:
    bot = await run_bot(service, values)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(room, bot.user_id)  # greeting
    return bot, pro, room


async def test_a_message_sent_while_the_bot_is_down_is_answered_once(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot, pro, room = await _chat(run_bot, make_user, values, service)
    await pro.send(room, "een")
    await pro.expect(room, bot.user_id)
    device = bot.channel.device_id
    await bot.stop()

    await pro.send(room, "tijdens")
    bot = await run_bot(service, values)
    (reply,) = await pro.expect(room, bot.user_id)
    assert reply.body == "ontvangen: tijdens"
    await pro.send(room, "daarna")
    (reply,) = await pro.expect(room, bot.user_id)
    assert reply.body == "ontvangen: daarna"
    assert service.texts(room) == ["start", "een", "tijdens", "daarna"]
    assert bot.channel.device_id == device  # same device: its E2E keys were kept
    assert values.get_value(f"matrix:{bot.user_id}:device_id") == device


async def test_first_start_skips_the_backlog(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot, pro, room = await _chat(run_bot, make_user, values, service)
    await bot.stop()
    await pro.send(room, "oud bericht")

    fresh = DictValues()  # a new database: no sync token, no device id
    service = EchoService()
    bot = await run_bot(service, fresh)
    await pro.send(room, "nieuw bericht")
    (reply,) = await pro.expect(room, bot.user_id)
    assert reply.body == "ontvangen: nieuw bericht"
    assert service.texts(room) == ["nieuw bericht"]


async def test_after_a_crash_before_the_token_was_saved_nothing_is_answered_twice(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot, pro, room = await _chat(run_bot, make_user, values, service)
    token_name = f"matrix:{bot.user_id}:next_batch"
    old_token = values.get_value(token_name)
    assert old_token is not None
    await pro.send(room, "a")
    await pro.send(room, "b")
    await pro.expect(room, bot.user_id, count=2)
    await bot.stop()

    values.set_value(token_name, old_token)  # as if the bot died before saving it
    bot = await run_bot(service, values)
    await pro.send(room, "c")
    (reply,) = await pro.expect(room, bot.user_id)
    assert reply.body == "ontvangen: c"
    assert service.texts(room) == ["start", "a", "b", "c"]


async def test_a_limited_timeline_is_filled_from_the_gap(
    run_bot: RunBot, make_user: MakeUser, values: DictValues, caplog: pytest.LogCaptureFixture
) -> None:
    service = EchoService()
    bot = await run_bot(service, values, timeline_limit=3, gap_page_size=4)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(room, bot.user_id)
    await bot.stop()

    sent = [f"bericht {n}" for n in range(1, 21)]
    for text in sent:
        await pro.send(room, text)
    with caplog.at_level(logging.INFO, logger="bot.channels.matrix"):
        bot = await run_bot(service, values, timeline_limit=3, gap_page_size=4)
        replies = await pro.expect(room, bot.user_id, count=20)
    assert [r.body for r in replies] == [f"ontvangen: {t}" for t in sent]
    assert service.texts(room) == ["start", *sent]
    assert any("Filled a gap" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_burst_of_200_messages_from_several_users_is_answered_in_order(
    run_bot: RunBot, make_user: MakeUser, values: DictValues, encrypted: bool
) -> None:
    service = EchoService()
    bot = await run_bot(service, values)
    users: list[MatrixUser] = [await make_user(f"burst{n}") for n in range(4)]
    rooms = [await user.create_dm(bot.user_id, encrypted=encrypted) for user in users]
    for user, room in zip(users, rooms, strict=True):
        await user.expect(room, bot.user_id)  # greeting

    async def burst(user: MatrixUser, room: str) -> list[str]:
        texts = [f"{user.user_id} {n}" for n in range(50)]
        for text in texts:
            await user.send(room, text)
        return texts

    sent = await asyncio.gather(*(burst(u, r) for u, r in zip(users, rooms, strict=True)))
    for user, room, texts in zip(users, rooms, sent, strict=True):
        replies = await user.expect(room, bot.user_id, count=50, timeout=120)
        assert [r.body for r in replies] == [f"ontvangen: {t}" for t in texts]
        assert all(r.encrypted == encrypted for r in replies)
        assert service.texts(room) == ["start", *texts]
    assert len(service.calls) == 4 + 200


async def test_login_with_an_access_token(
    run_bot: RunBot, make_user: MakeUser, values: DictValues
) -> None:
    service = EchoService()
    bot = await run_bot(service, values, use_token=True)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=True)
    await pro.expect(room, bot.user_id)
    await pro.send(room, "via token")
    (reply,) = await pro.expect(room, bot.user_id)
    assert reply.body == "ontvangen: via token"
    assert reply.encrypted
