"""The ``voorkomen`` command: one entry point, a sub-command per task.

``voorkomen chat`` (console) and ``voorkomen flows check`` are always loaded;
the channel commands (``telegram``, ``matrix``) are imported only when used,
so the console does not pay for importing aiogram or matrix-nio.
"""

from __future__ import annotations

import gc
import importlib
import logging

import click

from bot.cli import flowtools  # noqa: F401  (adds graph/test/schema/diff to `flows`)
from bot.cli.chat import chat
from bot.cli.flows import flows
from bot.cli.keys import keys
from bot.cli.org import audit, invite, members, org, role
from bot.cli.overview import overzicht
from bot.cli.purge import purge
from bot.cli.rights import case, export

LAZY_COMMANDS = {
    "telegram": "bot.cli.telegram",
    "matrix": "bot.cli.matrix",
    "studio": "bot.cli.studio",
}


class _LazyGroup(click.Group):
    """A click group that imports a sub-command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = LAZY_COMMANDS.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            command = importlib.import_module(module).command
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
main.add_command(flows)
main.add_command(purge)
main.add_command(keys)
main.add_command(export)
main.add_command(case)
for _command in (org, invite, members, role, audit, overzicht):
    main.add_command(_command)
