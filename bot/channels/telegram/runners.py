"""Running the Telegram bot: long polling (default) or a webhook server.

Both runners first introduce the bot to Telegram: the Dutch command menu
(``setMyCommands``, the same words ``hulp`` lists) and the description a user
sees before pressing Start. Long polling
needs no public address and suits a small organisation; the webhook runner
(aiohttp) is for production behind HTTPS and checks Telegram's secret token
on every request.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, User
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.flood import FloodControl
from bot.channels.telegram.once import UpdateLedger, handle_once
from bot.channels.telegram.webhook_secret import derived_webhook_secret

log = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Beginnen of het menu tonen"),
    ("nieuw", "Een nieuw dilemma beginnen"),
    ("verder", "Verder waar je gebleven was"),
    ("terug", "Eén vraag terug"),
    ("uitleg", "Uitleg bij deze vraag"),
    ("kennis", "Korte artikelen, bijv. /kennis meldcode"),
    ("hulp", "Wat kan ik typen?"),
    ("nood", "Acuut gevaar: wie bel je nu"),
    ("stop", "Stoppen, later verder"),
)
"""The command menu, in Dutch, in the order Telegram shows it. Each word is one
the engine knows and its ``hulp`` lists (``/opnieuw`` still works, unlisted)."""

SHORT_DESCRIPTION = "Denkt stap voor stap mee bij een lastig dilemma in je werk."
DESCRIPTION = (
    "Voorkomen helpt je een lastig dilemma stap voor stap door te denken en kort "
    "vast te leggen. Jij beslist, de bot ondersteunt."
)
"""Shown before Start. The privacy warning is not repeated here: the bot says it
once, in its first reply (the service's notice for channels without end-to-end
encryption)."""
READY_LINE = "telegram: bot @%s is ready (%s)"
"""Logged once the bot listens; the end-to-end test fixture waits for it."""


def make_bot(
    token: str,
    api_url: str | None = None,
    session: BaseSession | None = None,
    flood: FloodControl | None = None,
) -> Bot:
    """A bot that talks HTML, optionally to another Bot API server (a local one, a test one).

    ``session`` replaces the HTTP session (tests pass a ``RecordingSession``);
    every call goes through ``flood`` (429 and network errors retried, bounded).
    """
    if session is None:
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(api_url))
            if api_url
            else AiohttpSession()
        )
    session.middleware(flood or FloodControl())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


async def introduce(bot: Bot) -> User:
    """Who the bot is; registers the command menu and the description."""
    me = await bot.get_me()
    await bot.set_my_commands([BotCommand(command=c, description=d) for c, d in COMMANDS])
    for call in (
        bot.set_my_description(description=DESCRIPTION),
        bot.set_my_short_description(short_description=SHORT_DESCRIPTION),
    ):
        try:
            await call
        except TelegramAPIError as error:  # optional polish: never a reason not to start
            log.warning("telegram: could not set the bot description: %s", error)
    return me


async def run_polling(
    channel: TelegramChannel,
    bot: Bot,
    *,
    handle_signals: bool = True,
    once: UpdateLedger | None = None,
) -> None:
    """Long polling until SIGINT/SIGTERM (or until the task is cancelled).

    With ``once`` an update Telegram offers again after a crash (the poll that
    would have confirmed it never came) is handled once, as in webhook mode.
    """
    dispatcher = channel.dispatcher()
    if once is not None:
        handle_once(dispatcher, once)
    me = await introduce(bot)
    # Telegram refuses getUpdates while a webhook is set: polling wins.
    await bot.delete_webhook(drop_pending_updates=False)
    dispatcher.startup.register(_log_ready(me, "long polling"))
    await dispatcher.start_polling(
        bot,
        polling_timeout=30,
        handle_signals=handle_signals,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )


@dataclass(frozen=True)
class WebhookConfig:
    """Where Telegram posts updates (``url``) and where this process listens;
    ``reuse_port``: bind with ``SO_REUSEPORT``, so several workers listen on the
    same port and the kernel spreads Telegram's connections over them."""

    url: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    secret: str | None = None
    reuse_port: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            msg = f"Telegram only posts to an https:// webhook URL, not {self.url!r}"
            raise ValueError(msg)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @classmethod
    def from_listen(
        cls, url: str, listen: str, secret: str | None, *, reuse_port: bool = False
    ) -> WebhookConfig:
        """``listen`` is ``host:port`` (``[::1]:8080`` for IPv6)."""
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            msg = f"listen address must be host:port, not {listen!r}"
            raise ValueError(msg)
        return cls(url, host.strip("[]"), int(port), secret, reuse_port)


#: Adds routes of the operator's (``/healthz``, ``/metrics``) to the webhook server.
ExtraRoutes = Callable[[web.Application], None]


def webhook_app(
    bot: Bot,
    dispatcher: Dispatcher,
    secret: str,
    path: str,
    extra_routes: ExtraRoutes | None = None,
) -> web.Application:
    """The aiohttp application that receives Telegram's updates (secret checked).

    Telegram gets its answer once the update was handled (its step committed,
    its replies sent), not before: a worker that dies while handling leaves the
    update pending, so Telegram delivers it again, and the step's delivery key
    (:mod:`.once`) makes sure it is applied once. It also keeps a chat's
    order across workers: Telegram sends a chat's next update after this one
    was answered. The cost is Telegram's connection held for the turn.
    """
    app = web.Application()
    handler = SimpleRequestHandler(dispatcher, bot, handle_in_background=False, secret_token=secret)
    handler.register(app, path=path)
    if extra_routes is not None:
        extra_routes(app)
    return app


async def run_webhook(
    channel: TelegramChannel,
    bot: Bot,
    config: WebhookConfig,
    *,
    stop: asyncio.Event | None = None,
    extra_routes: ExtraRoutes | None = None,
    once: UpdateLedger | None = None,
) -> None:
    """Serve the webhook until SIGINT/SIGTERM (or ``stop`` is set).

    With ``once`` (the workers' shared ledger) an update delivered twice, to
    this worker or another, is handled once (:mod:`bot.channels.telegram.once`).

    Without a configured secret one is derived from the bot token, the same in
    every worker (:mod:`bot.channels.telegram.webhook_secret`); the bot
    registers it with ``setWebhook`` itself.
    """
    secret = config.secret or derived_webhook_secret(bot.token)
    dispatcher = channel.dispatcher()
    if once is not None:
        handle_once(dispatcher, once)
    me = await introduce(bot)
    app = webhook_app(bot, dispatcher, secret, config.path, extra_routes)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(
        runner, config.listen_host, config.listen_port, reuse_port=config.reuse_port or None
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not every event loop can take signal handlers (Windows; a loop outside
        # the main thread): then Ctrl-C stops the bot the default way.
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    try:
        await site.start()
        await dispatcher.emit_startup(bot=bot)
        await bot.set_webhook(
            config.url,
            secret_token=secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        shared = ", port shared (SO_REUSEPORT)" if config.reuse_port else ""
        where = f"webhook on {config.listen_host}:{config.listen_port}{shared}"
        log.info(READY_LINE, me.username, where)
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await dispatcher.emit_shutdown(bot=bot)
        await runner.cleanup()
        await bot.session.close()


def _log_ready(me: User, how: str) -> Callable[[], Awaitable[None]]:
    async def ready() -> None:
        log.info(READY_LINE, me.username, how)

    return ready
