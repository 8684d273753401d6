"""The ``voorkomen`` command: one entry point, a sub-command per task.

Only ``voorkomen chat`` (console) is always loaded; every other sub-command's
module is imported when that command is used, so the console does not pay for
importing aiogram, matrix-nio, or the flow tools (diagrams, the JSON Schema,
scripted tests, diffs): issue 15 keeps its start under a second.
"""

from __future__ import annotations

import gc
import importlib
import logging

import click

from bot.cli.chat import chat

LAZY_COMMANDS = {
    "telegram": "bot.cli.telegram:command",
    "matrix": "bot.cli.matrix:command",
    "studio": "bot.cli.studio:command",
    # flowtools adds graph/test/schema/diff to the `flows` group of bot.cli.flows
    "flows": "bot.cli.flowtools:flows",
    "purge": "bot.cli.purge:purge",
    "keys": "bot.cli.keys:keys",
    "export": "bot.cli.rights:export",
    "case": "bot.cli.rights:case",
    "org": "bot.cli.org:org",
    "invite": "bot.cli.org:invite",
    "members": "bot.cli.org:members",
    "role": "bot.cli.org:role",
    "audit": "bot.cli.org:audit",
    "overzicht": "bot.cli.overview:overzicht",
}
"""Sub-command name: ``module:attribute`` of its click command."""


class _LazyGroup(click.Group):
    """A click group that imports a sub-command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = LAZY_COMMANDS.get(cmd_name)
        if where is not None and cmd_name not in self.commands:
            module, _, attribute = where.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup)
@click.option("-v", "--verbose", is_flag=True, help="Show log messages.")
def main(verbose: bool) -> None:
    """Voorkomen: dilemma's stap voor stap doordenken en vastleggen."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Everything imported so far lives as long as the process: keep it out of
    # the garbage collector's way (a full collection during flow loading took
    # ~200 ms instead of ~4 ms; see bench/README.md).
    gc.freeze()


main.add_command(chat)
