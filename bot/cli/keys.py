"""``voorkomen keys``: the master key and the organisations' data keys.

The bot seals answers, records and waiting messages in its database with a
data key per organisation, wrapped by a master key that never enters the
database (``VOORKOMEN_MASTER_KEY`` or the file ``VOORKOMEN_KEY_FILE``).
``keys new`` prints a fresh master key; ``keys rotate`` gives organisations
a newer data key and re-seals their data while the bot keeps running.
This module also finds the master key for the other commands: only the
console demo may make one of its own (a file next to its database).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from bot.crypto import MasterKey, MasterKeyMissingError
from bot.crypto.master import ENV_FILE, ENV_KEY
from bot.settings import Settings, data_dir

#: The name of the console demo's own key file, next to its database.
LOCAL_KEY_FILE = "voorkomen.key"

MISSING = (
    "De bot start niet: er is geen hoofdsleutel om de gegevens te versleutelen. "
    f"Zet {ENV_KEY} (maak er een met: voorkomen keys new) of {ENV_FILE} "
    "(een bestand met die sleutel).\n"
    f"The bot does not start: no master key. Set {ENV_KEY} "
    f"(`voorkomen keys new` prints one) or {ENV_FILE} (a file holding it)."
)


def local_key_path(settings: Settings) -> Path:
    """Where the console demo keeps its own master key: next to its SQLite database
    (in the data directory for any other database)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).expanduser().resolve().parent / LOCAL_KEY_FILE
    return data_dir() / LOCAL_KEY_FILE


def master_key(settings: Settings, *, console: bool = False) -> MasterKey:
    """The master key from the environment; for the console demo without one, its
    own key file (made on first use, with a one-line warning); else exit with
    ``MISSING``."""
    if os.environ.get(ENV_KEY) or os.environ.get(ENV_FILE) or not console:
        try:
            return MasterKey.from_environment()
        except MasterKeyMissingError as exc:
            if os.environ.get(ENV_KEY) or os.environ.get(ENV_FILE):
                click.echo(str(exc), err=True)
            click.echo(MISSING, err=True)
            sys.exit(2)
    path = local_key_path(settings)
    key, made = MasterKey.local_file(path)
    if made:
        click.echo(
            f"Let op: nieuwe lokale sleutel in {path} (alleen voor de demo; "
            f"zet {ENV_KEY} voor echt gebruik).",
            err=True,
        )
    return key


@click.group()
def keys() -> None:
    """Sleutels: een nieuwe hoofdsleutel, of de sleutels van organisaties vernieuwen."""


@keys.command("new")
def new() -> None:
    """Print een nieuwe hoofdsleutel (bewaar die veilig, buiten de database)."""
    click.echo(MasterKey.generate().encoded())


@keys.command("rotate")
@click.option("--org", "org_name", default=None, help="Alleen deze organisatie.")
@click.option(
    "--settle",
    type=float,
    default=None,
    help="Seconden tot de tweede ronde (standaard: tot draaiende bots de nieuwe sleutel zien).",
)
def rotate(org_name: str | None, settle: float | None) -> None:
    """Geef organisaties een nieuwe sleutel en versleutel hun gegevens opnieuw.

    De bot mag blijven draaien: lopende gesprekken gaan gewoon door."""
    from bot.crypto.keyring import REFRESH_AFTER
    from bot.store import rekey
    from bot.store.migrate import upgrade
    from bot.store.people import SqlPeopleStore
    from bot.store.sealing import org_label
    from bot.store.sql import create_store

    settings = Settings.from_env()
    master = master_key(settings)
    upgrade(settings.database_url)
    store = create_store(settings.database_url, master=master)
    try:
        orgs: list[str] | None = None
        if org_name is not None:
            org = SqlPeopleStore(store.engine).organisation(org_name)
            if org is None:
                click.echo(f"Geen organisatie met de naam {org_name}.", err=True)
                sys.exit(1)
            orgs = [org_label(org.id)]
        done = rekey.rotate(store, orgs, settle=REFRESH_AFTER + 1 if settle is None else settle)
    finally:
        store.close()
    for name, result in done.items():
        c = result.counts
        click.echo(
            f"Organisatie {name}: nieuwe sleutel; opnieuw versleuteld: {c['records']} "
            f"vastlegging(en), {c['conversations']} gesprek(ken), {c['outbox']} bericht(en)."
        )
        if result.busy:
            click.echo(
                f"  {result.busy} gesprek(ken) waren steeds bezig; draai dit later nog eens.",
                err=True,
            )
