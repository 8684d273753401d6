"""The ``voorkomen`` command: one entry point, a sub-command per task.

``voorkomen chat`` (console), ``voorkomen flows check``; channel commands
(``telegram``, ``matrix``) live in their own modules and are registered here.
"""

from __future__ import annotations

import logging

import click

from bot.cli.chat import chat
from bot.cli.flows import flows


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Show log messages.")
def main(verbose: bool) -> None:
    """Voorkomen: dilemma's stap voor stap doordenken en vastleggen."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


main.add_command(chat)
main.add_command(flows)
