"""``voorkomen chat``: talk to the bot in the terminal (or through a pipe)."""

from __future__ import annotations

import asyncio
import getpass
import sys

import click

from bot.channels.console import CONSOLE_TRAITS, ConsoleChannel, console_key, stdin_lines
from bot.cli.common import build_app
from bot.engine.messages import Incoming, Reply, TextIn


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name on this system
        return "console"


@click.command()
@click.option(
    "--new", "new", is_flag=True, help="Start de hoofdflow opnieuw (een lopend gesprek vervalt)."
)
@click.option("--flow", "flow_id", default=None, help="Start deze flow (met --new).")
@click.option("--user", default=None, help="Naam van dit console-gesprek (standaard: je login).")
def chat(new: bool, flow_id: str | None, user: str | None) -> None:
    """Chat in de terminal. Elke regel is een antwoord; einde invoer bewaart het gesprek."""
    app = build_app()
    key = console_key(user or _default_user())
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    channel = ConsoleChannel(sys.stdout, colour=interactive)
    service = app.service
    asyncio.run(app.scheduler.tick())  # due jobs (the retention purge), once per start

    def handle(incoming: Incoming) -> list[Reply]:
        return service.handle_now(key, incoming, CONSOLE_TRAITS)

    try:
        if new or flow_id:
            channel.show(service.start_now(key, CONSOLE_TRAITS, flow_id))
        else:
            channel.show(handle(TextIn("start")))
        channel.run(stdin_lines(), handle, prompt=interactive)
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
    if interactive:
        click.echo("Je gesprek is bewaard. Verder gaan: voorkomen chat", err=True)
