"""``voorkomen chat``: talk to the bot in the terminal (or through a pipe).

The console is a channel like the others: the local user acts as a person
(``--as NAME``, default the login name) who must be a member of an
organisation. On a database with no organisation yet, the first run makes
"Demo" with the local user as member with every role, so ``make run`` works
with no set-up; ``--join CODE`` joins with an invitation code.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from datetime import UTC, datetime

import click

from bot.channels.console import CONSOLE_TRAITS, ConsoleChannel, console_key, stdin_lines
from bot.channels.waiting import show_waiting
from bot.cli.common import build_app
from bot.engine.messages import Incoming, Reply, TextIn
from bot.service.access import CONSOLE, console_bootstrap
from bot.service.ports import Arrival, Sender


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
@click.option("--as", "as_name", default=None, help="Wie je bent (standaard: je login).")
@click.option("--user", default=None, hidden=True, help="Oude naam van --as.")
@click.option("--join", "join_code", default=None, help="Word lid met een uitnodigingscode.")
def chat(
    new: bool, flow_id: str | None, as_name: str | None, user: str | None, join_code: str | None
) -> None:
    """Chat in de terminal. Elke regel is een antwoord; einde invoer bewaart het gesprek."""
    app = build_app(console=True)
    name = as_name or user or _default_user()
    key = console_key(name)
    sender = Sender(CONSOLE, name, name)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    channel = ConsoleChannel(sys.stdout, colour=interactive)
    service = app.service
    # Nobody reads a console's health or metrics: not observing keeps
    # prometheus-client out of its start-up (bot.ops.metrics imports it on use).
    service.observer = None
    asyncio.run(app.scheduler.tick())  # due jobs (the retention purge), once per start

    def handle(incoming: Incoming) -> list[Reply]:
        return service.handle_now(Arrival(key, incoming, CONSOLE_TRAITS, sender))

    try:
        if join_code is None:
            said = console_bootstrap(app.people, name, datetime.now(UTC))
            if said:
                click.echo(said, err=True)
        known = app.people.identity(CONSOLE, name)
        if known is not None:  # messages that waited for this person (the outbox)
            show_waiting(sys.stdout, app.notifier.take_waiting(str(known[0].id)))
        if join_code is not None:
            channel.show(handle(TextIn(join_code)))
        elif new or flow_id:
            channel.show(service.start_now(Arrival.starting(key, CONSOLE_TRAITS, sender), flow_id))
        else:
            channel.show(handle(TextIn("start")))
        channel.run(stdin_lines(), handle, prompt=interactive)
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
    if interactive:
        click.echo("Je gesprek is bewaard. Verder gaan: voorkomen chat", err=True)
