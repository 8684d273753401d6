"""HTTP 429 handling: against a real Synapse that limits the bot's messages, and the pure helpers.

The test homeserver raises every ``rc_*`` limit, so these tests give the bot
account a tiny message limit of its own through Synapse's admin API
(``override_ratelimit``: one message per second, burst of one) — Synapse's
real rate limiter answers, not a hand-written fake.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from nio import ErrorResponse, RoomSendError

from bot.channels.matrix import RetryPolicy
from bot.channels.matrix.ratelimit import is_rate_limited, retry_after, retry_rate_limited
from bot.engine.messages import Reply, Say
from tests.matrix.conftest import BotAccount, DictValues, EchoService, MakeUser, RunBot
from tests.peers.synapse import MatrixUser, SynapseServer


@pytest.fixture
def limited_bot(synapse_server: SynapseServer, bot_account: BotAccount) -> BotAccount:
    admin = synapse_server.register(synapse_server.unique_localpart("admin"), admin=True)
    synapse_server.override_ratelimit(
        admin, bot_account.user_id, messages_per_second=1, burst_count=1
    )
    return bot_account


LINES: list[Reply] = [Say(f"regel {n}") for n in range(1, 5)]


@pytest.mark.peer
@pytest.mark.timeout(120)
async def test_rate_limited_replies_wait_as_the_server_asks_and_all_arrive(
    limited_bot: BotAccount,
    run_bot: RunBot,
    make_user: MakeUser,
    values: DictValues,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = EchoService(script={"veel": LINES})
    bot = await run_bot(service, values)
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await pro.expect(room, bot.user_id)
    with caplog.at_level(logging.WARNING, logger="bot.channels.matrix"):
        await pro.send(room, "veel")
        replies = await pro.expect(room, bot.user_id, count=4)
    assert [r.body for r in replies] == ["regel 1", "regel 2", "regel 3", "regel 4"]
    waits = [r for r in caplog.records if r.getMessage().startswith("Rate limited on room_send")]
    assert waits, "Synapse should have answered 429 at least once"
    assert all("retry_after_ms=" in r.getMessage() for r in waits)
    assert not any("giving up" in r.getMessage() for r in caplog.records)


@pytest.mark.peer
@pytest.mark.timeout(120)
async def test_retries_are_bounded_and_the_give_up_is_logged(
    limited_bot: BotAccount,
    run_bot: RunBot,
    make_user: MakeUser,
    values: DictValues,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = EchoService(script={"veel": LINES, "start": []})  # no greeting
    bot = await run_bot(service, values, retry=RetryPolicy(retries=1, max_wait=0.05))
    pro: MatrixUser = await make_user()
    room = await pro.create_dm(bot.user_id, encrypted=False)
    await asyncio.sleep(1.5)  # let the bucket refill after the bot's join
    with caplog.at_level(logging.WARNING, logger="bot.channels.matrix"):
        started = time.monotonic()
        await pro.send(room, "veel")
        (first,) = await pro.expect(room, bot.user_id)
        settled = await pro.settle(room, bot.user_id, quiet=1.5)
    assert first.body == "regel 1"
    assert len(settled) < 3, "with 50 ms waits most lines must be given up"
    gave_up = [r for r in caplog.records if "giving up after 1 retries" in r.getMessage()]
    assert gave_up
    assert all(r.levelno == logging.ERROR for r in gave_up)
    assert time.monotonic() - started < 10


# ------------------------------------------------------------ the pure parts


def _limited(retry_after_ms: int | None) -> ErrorResponse:
    return RoomSendError.from_dict(
        {
            "errcode": "M_LIMIT_EXCEEDED",
            "error": "Too Many Requests",
            **({"retry_after_ms": retry_after_ms} if retry_after_ms is not None else {}),
        },
        "!room:localhost",
    )


def test_the_wait_is_the_servers_but_capped() -> None:
    policy = RetryPolicy(retries=3, max_wait=2.0, default_wait=0.5)
    assert is_rate_limited(_limited(300))
    assert retry_after(_limited(300), policy) == pytest.approx(0.3)
    assert retry_after(_limited(60_000), policy) == 2.0
    assert retry_after(_limited(None), policy) == 0.5
    forbidden = RoomSendError.from_dict({"errcode": "M_FORBIDDEN", "error": "no"}, "!r:localhost")
    assert not is_rate_limited(forbidden)


async def test_retry_stops_after_the_limit_and_returns_the_last_answer() -> None:
    answers = [_limited(100), _limited(100), _limited(100)]
    slept: list[float] = []

    async def call() -> ErrorResponse:
        return answers.pop(0)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = await retry_rate_limited(call, RetryPolicy(retries=2), "test", sleep=sleep)
    assert is_rate_limited(result)
    assert slept == [0.1, 0.1]
    assert answers == []
