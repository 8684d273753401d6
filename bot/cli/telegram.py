"""``voorkomen telegram``: run the Telegram bot until stopped.

The token comes from ``VOORKOMEN_TELEGRAM_TOKEN`` (never from the command
line, where other users of the machine could read it). Long polling is the
default; with ``VOORKOMEN_TELEGRAM_WEBHOOK_URL`` set (or ``--webhook``) the bot
serves a webhook instead. ``--api-url`` points aiogram at another Bot API
server: a self-hosted one, or the emulator the end-to-end tests use. See
docs/telegram.md.

``python -m bot.cli.telegram`` runs the same command with INFO logging.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from functools import partial

import click
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError

from bot.channels.telegram import (
    TelegramChannel,
    WebhookConfig,
    make_bot,
    run_polling,
    run_webhook,
)
from bot.channels.telegram.sender import TelegramSender
from bot.cli.common import build_app
from bot.ops.web import add_ops_routes
from bot.settings import Settings
from bot.store.seen import SqlUpdateLedger


@click.command(name="telegram")
@click.option(
    "--api-url",
    metavar="URL",
    default=None,
    help="Een andere Bot API-server (standaard die van Telegram; of VOORKOMEN_TELEGRAM_API_URL).",
)
@click.option(
    "--webhook/--polling",
    "webhook",
    default=None,
    help="Webhook (productie, achter HTTPS) of long polling (standaard; "
    "webhook als VOORKOMEN_TELEGRAM_WEBHOOK_URL gezet is).",
)
@click.option(
    "--reuse-port/--no-reuse-port",
    "reuse_port",
    default=None,
    help="Webhook: meerdere workers op dezelfde poort (SO_REUSEPORT; "
    "of VOORKOMEN_TELEGRAM_WEBHOOK_REUSE_PORT=true).",
)
def command(api_url: str | None, webhook: bool | None, reuse_port: bool | None) -> None:
    """Start de Telegram-bot (stoppen met Ctrl-C)."""
    settings = Settings.from_env()
    if api_url:
        settings = settings.model_copy(update={"telegram_api_url": api_url})
    if reuse_port is not None:
        settings = settings.model_copy(update={"telegram_webhook_reuse_port": reuse_port})
    token = settings.telegram_token
    if not token:
        click.echo(
            "VOORKOMEN_TELEGRAM_TOKEN is niet gezet. Maak een bot met @BotFather "
            "en zet het token in die variabele (zie docs/telegram.md).",
            err=True,
        )
        sys.exit(2)
    use_webhook = bool(settings.telegram_webhook_url) if webhook is None else webhook
    config: WebhookConfig | None = None
    if use_webhook:
        if not settings.telegram_webhook_url:
            click.echo("Voor --webhook is VOORKOMEN_TELEGRAM_WEBHOOK_URL nodig.", err=True)
            sys.exit(2)
        try:
            config = WebhookConfig.from_listen(
                settings.telegram_webhook_url,
                settings.telegram_webhook_listen,
                settings.telegram_webhook_secret,
                reuse_port=settings.telegram_webhook_reuse_port,
            )
        except ValueError as exc:
            click.echo(f"De webhook is niet goed ingesteld: {exc}", err=True)
            sys.exit(2)
    try:
        bot = make_bot(token, settings.telegram_api_url)
    except TokenValidationError:
        click.echo("VOORKOMEN_TELEGRAM_TOKEN is geen geldig bot-token.", err=True)
        sys.exit(2)
    app = build_app(settings)
    channel = TelegramChannel(app.service, app.kv)
    app.notifier.add_sender(TelegramSender(bot))
    how = "webhook" if config else "long polling"
    click.echo(f"Telegram-bot start ({how}). Stoppen met Ctrl-C.", err=True)
    try:
        # An update offered twice (to two workers, or again after a crash) is handled once.
        once = SqlUpdateLedger(app.store.engine, "telegram")
        if config is not None:
            routes = partial(add_ops_routes, health=app.ops.health, metrics=app.ops.metrics)
            serve = run_webhook(channel, bot, config, extra_routes=routes, once=once)
            asyncio.run(app.with_background(serve))
        else:
            asyncio.run(app.with_background(run_polling(channel, bot, once=once)))
    except TelegramUnauthorizedError:
        click.echo("Telegram kent dit token niet (ingetrokken of verkeerd?).", err=True)
        sys.exit(1)
    finally:
        app.close()


if __name__ == "__main__":  # pragma: no cover - exercised by the end-to-end tests
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    command()
