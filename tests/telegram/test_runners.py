"""Starting the bot: the command menu, the description, and the webhook server
(a real aiohttp server on 127.0.0.1; Telegram's side is the recording session)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram.methods import SendMessage, SetMyCommands, SetMyDescription, SetWebhook

from bot.channels.telegram import COMMANDS, TelegramChannel, WebhookConfig, make_bot, run_webhook
from bot.channels.telegram.runners import introduce
from bot.engine.messages import TextIn
from tests.peers.common import free_port
from tests.telegram.botapi import TEST_TOKEN, Chat, RecordingSession
from tests.telegram.service import SpiedService


async def test_introduce_registers_the_dutch_menu_and_description() -> None:
    session = RecordingSession()
    me = await introduce(make_bot(TEST_TOKEN, session=session))
    assert me.is_bot
    (commands,) = session.of(SetMyCommands)
    assert [c.command for c in commands.commands] == [
        "start",
        "nieuw",
        "verder",
        "terug",
        "uitleg",
        "kennis",
        "hulp",
        "nood",
        "stop",
    ]
    assert [c.command for c in commands.commands] == [c for c, _ in COMMANDS]
    assert all(0 < len(c.description) <= 256 for c in commands.commands)
    (description,) = session.of(SetMyDescription)
    # the privacy warning is said once, in the first reply; not here as well
    assert "niet end-to-end versleuteld" not in (description.description or "")
    assert (description.description or "").startswith("Voorkomen helpt je")


def test_webhook_config() -> None:
    config = WebhookConfig.from_listen("https://bot.example.org/tg/hook", "0.0.0.0:8443", "s")
    assert (config.listen_host, config.listen_port, config.path) == ("0.0.0.0", 8443, "/tg/hook")
    assert WebhookConfig.from_listen("https://x.org", "[::1]:80", None).listen_host == "::1"
    with pytest.raises(ValueError, match="host:port"):
        WebhookConfig.from_listen("https://x.org", "8080", None)


def test_webhook_refuses_plain_http_to_the_outside() -> None:
    with pytest.raises(ValueError, match="https"):
        WebhookConfig("http://bot.example.org/hook", "127.0.0.1", 8080, "s")
    with pytest.raises(ValueError, match="https"):
        WebhookConfig.from_listen("ftp://127.0.0.1/hook", "127.0.0.1:8080", "s")


async def test_webhook_checks_the_secret_and_feeds_the_service() -> None:
    service = SpiedService()
    session = RecordingSession()
    bot = make_bot(TEST_TOKEN, session=session)
    port = free_port()
    config = WebhookConfig(f"http://127.0.0.1:{port}/telegram", "127.0.0.1", port, "geheim-123")
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(TelegramChannel(service), bot, config, stop=stop))
    try:
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as client:
            for _ in range(200):  # wait until it listens (bounded)
                if session.of(SetWebhook):
                    break
                await asyncio.sleep(0.01)
            (registered,) = session.of(SetWebhook)
            assert registered.url == url
            assert registered.secret_token == "geheim-123"

            update = Chat(77).text("/start").model_dump(mode="json", exclude_none=True)
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "fout"}):
                async with client.post(url, json=update, headers=headers) as response:
                    assert response.status == 401
            assert service.calls == []

            headers = {"X-Telegram-Bot-Api-Secret-Token": "geheim-123"}
            async with client.post(url, json=update, headers=headers) as response:
                assert response.status == 200
            for _ in range(200):  # handled in the background (bounded wait)
                if session.of(SendMessage):
                    break
                await asyncio.sleep(0.01)
        assert service.calls[0][1] == TextIn("start")
        assert any("Welkom bij de test." in t for t in session.texts())
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=10)


async def test_webhook_without_secret_makes_one() -> None:
    session = RecordingSession()
    bot = make_bot(TEST_TOKEN, session=session)
    port = free_port()
    config = WebhookConfig(f"http://127.0.0.1:{port}/", "127.0.0.1", port, None)
    stop = asyncio.Event()
    server = asyncio.create_task(
        run_webhook(TelegramChannel(SpiedService()), bot, config, stop=stop)
    )
    try:
        for _ in range(200):
            if session.of(SetWebhook):
                break
            await asyncio.sleep(0.01)
        (registered,) = session.of(SetWebhook)
        assert registered.secret_token is not None
        assert len(registered.secret_token) >= 32
    finally:
        stop.set()
        await asyncio.wait_for(server, timeout=10)
