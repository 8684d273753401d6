"""``voorkomen matrix``: run the bot on a Matrix homeserver until stopped.

Reads the account from ``VOORKOMEN_MATRIX_*`` (see docs/matrix.md), builds
the app, and runs :class:`bot.channels.matrix.MatrixChannel`. SIGINT and
SIGTERM finish the batch being handled, so the saved sync token is exact and
a restart neither repeats nor misses a message.

One process per bot account: it holds the database lease ``matrix:<user id>``
(:mod:`bot.store.lease`) while it runs; a second process on the same account
is refused and exits with 3.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click

from bot.channels.matrix import MatrixChannel, MatrixConfig, MatrixConfigError, MatrixLoginError
from bot.channels.matrix.login import CHANNEL
from bot.channels.matrix.sender import MatrixSender
from bot.cli.common import build_app
from bot.settings import Settings
from bot.store.lease import LeaseHeldError, LeaseLostError, acquire, keep_while
from bot.store.seen import SqlUpdateLedger

log = logging.getLogger(__name__)


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
    try:
        lease = acquire(app.store.engine, f"matrix:{config.user_id}")
    except LeaseHeldError as exc:
        app.close()
        log.error("matrix: not starting for %s: %s", config.user_id, exc)
        click.echo(
            f"Not starting: Matrix account {config.user_id} is already running; {exc}.", err=True
        )
        sys.exit(3)
    channel = MatrixChannel(config, app.service, app.kv, SqlUpdateLedger(app.store.engine, CHANNEL))
    app.notifier.add_sender(MatrixSender(channel))
    running = keep_while(lease, _run_until_signal(channel), on_lost=channel.stop)
    try:
        asyncio.run(app.with_background(running))
    except MatrixLoginError as exc:
        click.echo(f"Inloggen bij de Matrix-server lukte niet: {exc}", err=True)
        sys.exit(1)
    except LeaseLostError as exc:
        click.echo(f"Stopped: {exc}.", err=True)
        sys.exit(3)
    finally:
        app.close()
