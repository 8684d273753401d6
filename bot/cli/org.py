"""``voorkomen org|invite|members|role|audit``: set up organisations and invite people.

These commands are for whoever runs the deployment. A ``beheerder`` can
invite people and list members from the chat too (``uitnodigen``, ``leden``);
everything here writes the same audit log.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import NoReturn

import click
import yaml

from bot.app import load_content, organisation_book
from bot.flowspec.errors import FlowLoadError
from bot.org.model import Membership, Organisation, Role, parse_role, roles_text
from bot.service.access import deep_link, make_invite
from bot.settings import Settings
from bot.store.migrate import upgrade
from bot.store.people import SqlPeopleStore
from bot.store.sql import SqlStore

ROLE_NAMES = [r.value for r in Role]


def _now() -> datetime:
    return datetime.now(UTC)


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@contextmanager
def open_people(settings: Settings | None = None) -> Iterator[SqlPeopleStore]:
    """The people store on the configured database (migrated first)."""
    s = settings or Settings.from_env()
    upgrade(s.database_url)
    store = SqlStore(s.database_url, cache_size=0)
    try:
        yield SqlPeopleStore(store.engine)
    finally:
        store.close()


def _org(people: SqlPeopleStore, name: str) -> Organisation:
    org = people.organisation(name)
    if org is None:
        known = ", ".join(o.name for o in people.organisations()) or "geen"
        _fail(f"Organisatie {name!r} bestaat niet (bekend: {known}).")
    return org


def find_member(people: SqlPeopleStore, org: Organisation, who: str) -> Membership:
    """A member by display name (any case) or by ``#id``/id, as ``members`` shows them."""
    members = people.members(org.id)
    wanted = who.strip().lstrip("#")
    by_id = [m for m in members if wanted.isdigit() and m.person.id == int(wanted)]
    by_name = [m for m in members if m.person.name.lower() == who.strip().lower()]
    found = by_id or by_name
    if not found:
        _fail(f"Geen lid {who!r} in {org.name}.")
    if len(found) > 1:
        ids = ", ".join(f"#{m.person.id}" for m in found)
        _fail(f"Meer leden heten {who!r} ({ids}): geef het nummer.")
    return found[0]


@click.group()
def org() -> None:
    """Organisaties beheren."""


@org.command("create")
@click.argument("name")
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Instellingen zoals in flows/organisatie.yaml.",
)
@click.option(
    "--flows-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Eigen flows, over de meegeleverde heen.",
)
def create(name: str, settings_file: Path | None, flows_dir: Path | None) -> None:
    """Maak een organisatie."""
    settings = Settings.from_env()
    values: dict[str, object] = {}
    if settings_file is not None:
        loaded = yaml.safe_load(settings_file.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            _fail(f"{settings_file}: verwacht instellingen (sleutel: waarde).")
        values = loaded
    candidate = Organisation(0, name, values, str(flows_dir.resolve()) if flows_dir else None)
    try:
        _, knowledge = load_content(settings)
        organisation_book(settings, knowledge, candidate)
    except FlowLoadError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        _fail(f"De flows van {name} kloppen niet; de organisatie is niet gemaakt.")
    with open_people(settings) as people:
        try:
            made = people.create_organisation(
                name, settings=values, flows_dir=candidate.flows_dir, now=_now()
            )
        except ValueError:
            _fail(f"Organisatie {name!r} bestaat al.")
    click.echo(
        f"Organisatie {made.name} gemaakt. Nodig iemand uit met: voorkomen invite --org "
        f"'{made.name}' --role beheerder"
    )


@org.command("list")
def list_orgs() -> None:
    """Toon de organisaties."""
    with open_people() as people:
        orgs = people.organisations()
        if not orgs:
            click.echo("Nog geen organisaties. Maak er een met: voorkomen org create NAAM")
        for o in orgs:
            count = len(people.members(o.id))
            extra = f", flows: {o.flows_dir}" if o.flows_dir else ""
            click.echo(f"{o.name}: {count} lid/leden{extra}")


@click.command()
@click.option("--org", "org_name", required=True, help="De organisatie.")
@click.option("--role", "role_name", type=click.Choice(ROLE_NAMES), default="professional")
@click.option("--uses", default=1, show_default=True, type=click.IntRange(1, 1000))
@click.option("--expires", "days", default=7, show_default=True, type=click.IntRange(1, 365))
def invite(org_name: str, role_name: str, uses: int, days: int) -> None:
    """Maak een uitnodigingscode (eenmalig te zien)."""
    settings = Settings.from_env()
    with open_people(settings) as people:
        target = _org(people, org_name)
        role = Role(role_name)
        code = make_invite(people, target, role, now=_now(), uses=uses, valid=timedelta(days=days))
    click.echo(code)
    link = deep_link(settings.telegram_bot_username, code)
    if link:
        click.echo(link)
    click.echo(
        f"Voor {target.name}, rol {role.value}, {uses}x te gebruiken, {days} dag(en) geldig. "
        "De code wordt niet bewaard, alleen een hash: geef hem nu door.",
        err=True,
    )


@click.command()
@click.option("--org", "org_name", required=True, help="De organisatie.")
@click.option("--remove", "remove", default=None, help="Haal dit lid weg (naam of #nummer).")
def members(org_name: str, remove: str | None) -> None:
    """Toon de leden, of haal er een weg."""
    with open_people() as people:
        target = _org(people, org_name)
        if remove is not None:
            member = find_member(people, target, remove)
            people.remove_member(target.id, member.person.id, now=_now())
            click.echo(
                f"{member.person.name} (#{member.person.id}) is geen lid meer van {target.name}."
            )
            return
        found = people.members(target.id)
        if not found:
            click.echo(f"{target.name} heeft nog geen leden.")
        for m in found:
            click.echo(f"#{m.person.id} {m.person.name}: {roles_text(m.roles)}")


@click.command()
@click.argument("action", type=click.Choice(["grant", "take"]))
@click.argument("person")
@click.argument("role_name", metavar="ROLE", type=click.Choice(ROLE_NAMES))
@click.option("--org", "org_name", required=True, help="De organisatie.")
def role(action: str, person: str, role_name: str, org_name: str) -> None:
    """Geef (grant) of neem (take) een rol."""
    with open_people() as people:
        target = _org(people, org_name)
        member = find_member(people, target, person)
        wanted = parse_role(role_name)
        assert wanted is not None
        if action == "grant":
            done = people.grant(target.id, member.person.id, wanted, now=_now())
            what = "heeft nu" if done else "had al"
        else:
            done = people.take(target.id, member.person.id, wanted, now=_now())
            if not done and wanted in member.roles:
                _fail("Dat is de laatste rol; haal het lid weg met: voorkomen members --remove")
            what = "heeft niet meer" if done else "had niet"
        click.echo(f"{member.person.name} {what} de rol {wanted.value} in {target.name}.")


@click.command()
@click.option("--org", "org_name", required=True, help="De organisatie.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def audit(org_name: str, since: datetime | None) -> None:
    """Toon het auditlog van een organisatie (wie deed wat, wanneer)."""
    with open_people() as people:
        target = _org(people, org_name)
        start = (
            None
            if since is None
            else datetime.combine(date(since.year, since.month, since.day), time(), UTC)
        )
        entries = people.audit(target.id, start)
        names = {m.person.id: m.person.name for m in people.members(target.id)}
    if not entries:
        click.echo(f"Nog niets in het auditlog van {target.name}.")
    for e in entries:
        actor = "systeem" if e.actor is None else f"#{e.actor} {names.get(e.actor, '')}".rstrip()
        subject = f" {e.subject}" if e.subject else ""
        when = e.at.astimezone(UTC).isoformat(timespec="seconds")
        click.echo(f"{when} {actor}: {e.action.value}{subject}")
