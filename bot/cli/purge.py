"""``voorkomen purge``: delete what is older than the organisation's retention.

The bot also does this by itself about once an hour while it runs; this
command is for a scheduled job (cron) or to check what the setting does.
"""

from __future__ import annotations

import click

from bot.cli.common import build_app


@click.command()
def purge() -> None:
    """Verwijder gesprekken en vastleggingen ouder dan de bewaartermijn."""
    app = build_app()
    try:
        days = app.book.org.bewaartermijn_dagen
        conversations, records = app.service.purge_expired()
    finally:
        app.close()
    click.echo(
        f"Bewaartermijn {days} dagen: {conversations} gesprek(ken) en "
        f"{records} vastlegging(en) verwijderd."
    )
