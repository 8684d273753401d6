"""``voorkomen overzicht --org NAME``: the organisation's overview as CSV.

The same counts a ``teamleider`` or ``beheerder`` sees with ``overzicht`` in
the chat (``bot.service.overview``), every month: counts only, no free text,
no case codes, and a cell under 5 shown as ``<5``.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.app import count_sources
from bot.cli.org import _fail
from bot.service.overview import overview_csv, overview_rows
from bot.settings import Settings
from bot.store.followup import SqlFollowupStore
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore


@click.command()
@click.option("--org", "org_name", required=True, help="De organisatie.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Schrijf de CSV naar dit bestand (anders naar het scherm).",
)
def overzicht(org_name: str, output: Path | None) -> None:
    """Aantallen per maand als CSV; een aantal onder de 5 staat er als <5."""
    settings = Settings.from_env()
    upgrade(settings.database_url)
    store = SqlStore(settings.database_url, cache_size=0)
    try:
        people = SqlPeopleStore(store.engine)
        target = people.organisation(org_name)
        if target is None:
            known = ", ".join(o.name for o in people.organisations()) or "geen"
            _fail(f"Organisatie {org_name!r} bestaat niet (bekend: {known}).")
        rows = overview_rows(
            target.id, SqlFollowupStore(store.engine, store.sealer), count_sources(store)
        )
    finally:
        store.close()
    text = overview_csv(rows)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Geschreven: {output} ({len(rows)} regels).", err=True)
