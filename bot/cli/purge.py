"""``voorkomen purge``: delete what is older than the organisation's retention.

The bot also does this by itself (a recurring scheduler job, about once an
hour) while it runs; this command is for a scheduled job (cron) when no bot
runs, or to check what the setting does.
"""

from __future__ import annotations

import click

from bot.cli.common import build_app

#: How the other tables are named in the report (Dutch, for the operator).
_OTHER = {
    "settings_kv": "kanaalinstelling(en)",
    "outbox": "wachtend(e) bericht(en)",
    "jobs": "afgeronde taak/taken",
}


@click.command()
def purge() -> None:
    """Verwijder gesprekken en vastleggingen ouder dan de bewaartermijn."""
    app = build_app()
    try:
        days = app.book.org.bewaartermijn_dagen
        counts = app.service.purge_expired()
    finally:
        app.close()
    click.echo(
        f"Bewaartermijn {days} dagen: {counts['conversations']} gesprek(ken) en "
        f"{counts['records']} vastlegging(en) verwijderd."
    )
    others = [
        f"{n} {_OTHER.get(name, name)}"
        for name, n in counts.items()
        if name not in ("conversations", "records") and n
    ]
    if others:
        click.echo("Ook verwijderd: " + ", ".join(others) + ".", err=True)
