"""``voorkomen export`` and ``voorkomen case``: the rights of the people in the records.

``export --member`` gives a member all their data as JSON (right of access).
``case export|erase --org NAME CODE`` lets whoever runs the deployment, for
a ``beheerder``, answer a client's or a parent's request about one case
code: everything about it as JSON, or erased (from the database files too).
Each act is written in the organisation's audit log.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from bot.cli.keys import master_key
from bot.cli.org import _org, find_member
from bot.settings import Settings
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.rights import SqlRights
from bot.store.sql import SqlStore, create_store


@contextmanager
def open_rights() -> Iterator[tuple[SqlStore, SqlPeopleStore, SqlRights]]:
    """The store (with its master key), the people and the rights on the configured database."""
    settings = Settings.from_env()
    master = master_key(settings)
    upgrade(settings.database_url)
    store = create_store(settings.database_url, cache_size=0, master=master)
    try:
        yield store, SqlPeopleStore(store.engine), SqlRights(store)
    finally:
        store.close()


def _dump(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.command()
@click.option("--member", "who", required=True, help="Het lid: naam of #nummer (zie: members).")
@click.option("--org", "org_name", required=True, help="De organisatie van dat lid.")
def export(who: str, org_name: str) -> None:
    """Geef een lid al zijn of haar gegevens, als JSON (recht op inzage)."""
    with open_rights() as (_store, people, rights):
        member = find_member(people, _org(people, org_name), who)
        data = rights.export_member(member.person.id, datetime.now(UTC))
    if data is None:  # pragma: no cover - the member was just found
        sys.exit(1)
    _dump(data)


@click.group()
def case() -> None:
    """Alles over één casuscode opzoeken en geven, of wissen (voor een beheerder)."""


@case.command("export")
@click.option("--org", "org_name", required=True, help="De organisatie.")
@click.argument("code")
def case_export(org_name: str, code: str) -> None:
    """Alles over casuscode CODE, als JSON."""
    with open_rights() as (_store, people, rights):
        data = rights.export_case(_org(people, org_name).id, code, datetime.now(UTC))
    _dump(data)


@case.command("erase")
@click.option("--org", "org_name", required=True, help="De organisatie.")
@click.option("--ja", "sure", is_flag=True, help="Niet vragen of het zeker is.")
@click.argument("code")
def case_erase(org_name: str, code: str, sure: bool) -> None:
    """Wis alles over casuscode CODE (vastleggingen en lopende gesprekken)."""
    if not sure:
        click.confirm(f"Alles over casuscode {code} wissen? Dit kan niet terug.", abort=True)
    with open_rights() as (_store, people, rights):
        counts = rights.erase_case(_org(people, org_name).id, code, datetime.now(UTC))
    click.echo(
        f"Casuscode {code}: {counts['records']} vastlegging(en), "
        f"{counts['conversations']} gesprek(ken) en {counts['actions']} afspraak/afspraken "
        "gewist. Dit staat in het auditlog."
    )
