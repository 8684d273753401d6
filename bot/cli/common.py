"""Shared helpers for the sub-commands: settings and friendly start-up errors."""

from __future__ import annotations

import sys

import click

from bot.app import App, create_app
from bot.cli.keys import master_key
from bot.flowspec.errors import FlowLoadError
from bot.settings import Settings


def build_app(settings: Settings | None = None, *, console: bool = False) -> App:
    """Create the app, or print every flow problem as ``path:line:column: message`` and exit 1.

    Without a master key it says what to set and exits 2; only the console demo
    (``console``) makes a local key of its own (``bot.cli.keys.master_key``)."""
    settings = settings or Settings.from_env()
    master = master_key(settings, console=console)
    try:
        return create_app(settings, master=master)
    except FlowLoadError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(
            f"{len(exc.problems)} probleem/problemen in de flows; de bot start niet.", err=True
        )
        sys.exit(1)
