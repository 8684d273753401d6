"""Shared helpers for the sub-commands: settings and friendly start-up errors."""

from __future__ import annotations

import sys

import click

from bot.app import App, create_app
from bot.flowspec.errors import FlowLoadError
from bot.settings import Settings


def build_app(settings: Settings | None = None) -> App:
    """Create the app, or print every flow problem as ``path:line:column: message`` and exit 1."""
    try:
        return create_app(settings or Settings.from_env())
    except FlowLoadError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(
            f"{len(exc.problems)} probleem/problemen in de flows; de bot start niet.", err=True
        )
        sys.exit(1)
