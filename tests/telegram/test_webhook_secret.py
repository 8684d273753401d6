"""Without a configured secret, every webhook worker derives the same one from the token.

Two workers (two real aiohttp servers on 127.0.0.1, each with its own bot
object, as two processes have) both register the derived secret, and each
accepts an update carrying the secret the *other* registered; a wrong one is
refused by both. With a random secret per process, the second worker would
refuse what Telegram sends with the first one's secret.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiogram.methods import SetWebhook

from bot.channels.telegram import TelegramChannel, WebhookConfig, make_bot, run_webhook
from bot.channels.telegram.webhook_secret import derived_webhook_secret
from tests.peers.common import free_port
from tests.telegram.botapi import TEST_TOKEN, Chat, RecordingSession
from tests.telegram.service import SpiedService

#: What Telegram accepts as ``secret_token`` (Bot API, setWebhook).
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def test_the_derived_secret_is_stable_per_token_and_within_telegrams_rules() -> None:
    secret = derived_webhook_secret(TEST_TOKEN)
    assert secret == derived_webhook_secret(TEST_TOKEN)
    assert TELEGRAM_SECRET.fullmatch(secret)
    assert len(secret) == 43  # 256 bits, URL-safe base64 without padding
    other = derived_webhook_secret("654321:ANOTHER-token")
    assert other != secret
    assert TELEGRAM_SECRET.fullmatch(other)
    for part in TEST_TOKEN.split(":"):
        assert part not in secret


@asynccontextmanager
async def worker(service: SpiedService) -> AsyncIterator[tuple[str, str]]:
    """A webhook worker without a configured secret: (its URL, the secret it registered)."""
    session = RecordingSession()
    bot = make_bot(TEST_TOKEN, session=session)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    stop = asyncio.Event()
    config = WebhookConfig(url, "127.0.0.1", port, None)
    server = asyncio.create_task(run_webhook(TelegramChannel(service), bot, config, stop=stop))
    try:
        async with asyncio.timeout(10):  # until it listens and registered (bounded)
            while not session.of(SetWebhook):
                await asyncio.sleep(0.01)
        (registered,) = session.of(SetWebhook)
        assert registered.secret_token is not None
        yield url, registered.secret_token
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=10)


async def test_two_workers_agree_on_the_secret_and_accept_each_others() -> None:
    service = SpiedService()
    async with worker(service) as (url_a, secret_a), worker(service) as (url_b, secret_b):
        assert secret_a == secret_b == derived_webhook_secret(TEST_TOKEN)
        async with aiohttp.ClientSession() as client:
            for chat, (url, secret) in enumerate(((url_a, secret_b), (url_b, secret_a)), 1):
                update = Chat(80 + chat).text("/start").model_dump(mode="json", exclude_none=True)
                update["update_id"] = 9000 + chat
                wrong = {"X-Telegram-Bot-Api-Secret-Token": secret[:-1] + "x"}
                async with client.post(url, json=update, headers=wrong) as response:
                    assert response.status == 401
                right = {"X-Telegram-Bot-Api-Secret-Token": secret}
                async with client.post(url, json=update, headers=right) as response:
                    assert response.status == 200
        async with asyncio.timeout(10):  # handled in the background (bounded wait)
            while len(service.calls) < 2:
                await asyncio.sleep(0.01)
    assert sorted(call[0].chat for call in service.calls) == ["81", "82"]
