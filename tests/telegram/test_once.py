"""An update delivered twice, to one worker or to two, is handled once.

Two webhook workers (real aiohttp servers on 127.0.0.1, each with its own bot
object) share one store and its ledger: the in-memory twins of
``bot.store.seen``'s and the SQL store's (the database's are tested in
tests/store/test_seen.py, tests/store/test_delivery_keys.py and, with real
processes on PostgreSQL, in tests/telegram/test_workers.py). Deliveries that
race past the ledger's look-up meet in the step: the second one's step is
refused and that worker sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiogram.methods import SetWebhook

from bot.channels.telegram import TelegramChannel, WebhookConfig, make_bot, run_webhook
from bot.channels.telegram.webhook_secret import derived_webhook_secret
from bot.engine.messages import TextIn
from bot.service.ports import DeliveryKey
from bot.store.memory import MemoryDeliveryLedger
from tests.peers.common import free_port
from tests.telegram.botapi import TEST_TOKEN, Chat, RecordingSession
from tests.telegram.service import SpiedService

SECRET = {"X-Telegram-Bot-Api-Secret-Token": derived_webhook_secret(TEST_TOKEN)}


class BrokenLedger:
    channel = "telegram"

    def recorded(self, delivery: DeliveryKey) -> bool:
        raise ConnectionError("the database is down")

    def record(self, delivery: DeliveryKey) -> None:
        raise ConnectionError("the database is down")


@asynccontextmanager
async def worker(service: SpiedService, ledger: object) -> AsyncIterator[str]:
    session = RecordingSession()
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_webhook(
            TelegramChannel(service),
            make_bot(TEST_TOKEN, session=session),
            WebhookConfig(url, "127.0.0.1", port, None),
            stop=stop,
            once=ledger,  # type: ignore[arg-type]
        )
    )
    try:
        async with asyncio.timeout(10):  # registered: it listens (bounded wait)
            while not session.of(SetWebhook):
                await asyncio.sleep(0.01)
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


def _update(chat: int, text: str, update_id: int) -> dict[str, Any]:
    update = Chat(chat).text(text).model_dump(mode="json", exclude_none=True)
    update["update_id"] = update_id
    return update


async def _wait_calls(service: SpiedService, count: int) -> None:
    async with asyncio.timeout(10):
        while len(service.calls) < count:
            await asyncio.sleep(0.01)


async def test_the_same_update_to_two_workers_and_twice_to_one_is_handled_once() -> None:
    service = SpiedService()
    ledger = MemoryDeliveryLedger(service.store, "telegram")
    async with worker(service, ledger) as url_a, worker(service, ledger) as url_b:
        async with aiohttp.ClientSession() as client:
            deliveries = [(url_a, 501), (url_b, 501), (url_a, 501), (url_b, 502), (url_b, 502)]
            posts = [
                client.post(url, json=_update(91, f"antwoord {n}", n), headers=SECRET)
                for url, n in deliveries
            ]
            for response in await asyncio.gather(*posts):
                assert response.status == 200  # Telegram must not deliver it yet again
                response.release()
        await _wait_calls(service, 2)
    assert {str(call[1]) for call in service.calls} == {
        str(TextIn("antwoord 501")),
        str(TextIn("antwoord 502")),
    }
    assert len(service.calls) - service.duplicates == 2  # each made one step
    assert service.store.deliveries == {
        DeliveryKey("telegram", "123456:501"),
        DeliveryKey("telegram", "123456:502"),
    }


async def test_an_unreachable_ledger_does_not_drop_the_update() -> None:
    service = SpiedService()
    async with worker(service, BrokenLedger()) as url, aiohttp.ClientSession() as client:
        async with client.post(url, json=_update(92, "hallo", 601), headers=SECRET) as response:
            assert response.status == 200
        await _wait_calls(service, 1)
    assert service.calls[0][1] == TextIn("hallo")
