"""``voorkomen matrix``: run the bot on a Matrix homeserver until stopped.

Reads the account from ``VOORKOMEN_MATRIX_*`` (see docs/matrix.md), builds
the app, and runs :class:`bot.channels.matrix.MatrixChannel`. SIGINT and
SIGTERM finish the batch being handled, so the saved sync token is exact and
a restart neither repeats nor misses a message.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from bot.channels.matrix import MatrixChannel, MatrixConfig, MatrixConfigError, MatrixLoginError
from bot.channels.matrix.sender import MatrixSender
from bot.cli.common import build_app
from bot.settings import Settings


async def _run_until_signal(channel: MatrixChannel) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, channel.stop)
    try:
        await channel.run()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@click.command(name="matrix")
def command() -> None:
    """Start de Matrix-bot (stoppen met Ctrl-C)."""
    settings = Settings.from_env()
    try:
        config = MatrixConfig.from_settings(settings)
    except MatrixConfigError as exc:
        click.echo(f"Matrix is niet ingesteld: {exc}", err=True)
        sys.exit(2)
    app = build_app(settings)
    channel = MatrixChannel(config, app.service, app.kv)
    app.notifier.add_sender(MatrixSender(channel))
    try:
        asyncio.run(app.with_background(_run_until_signal(channel)))
    except MatrixLoginError as exc:
        click.echo(f"Inloggen bij de Matrix-server lukte niet: {exc}", err=True)
        sys.exit(1)
    finally:
        app.close()
