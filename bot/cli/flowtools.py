"""``voorkomen flows graph|test|schema|diff``: tools for whoever adapts the flows.

They join the ``flows`` group of :mod:`bot.cli.flows` when this module is
imported (one line in :mod:`bot.cli`), so that file stays as it is.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import click
import yaml

from bot.cli.flows import flows
from bot.flowspec.compile import ORG_FILE
from bot.flowspec.errors import FlowLoadError
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.flowspec.overlay import compile_merged, overlaid
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.knowledge.org import with_org_articles
from bot.settings import Settings


@dataclass(frozen=True)
class Flows:
    """Which flows a command works on: a folder, with an organisation's folder over it."""

    folder: Path
    org: Path | None = None
    #: The organisation's settings from the database (replace organisatie.yaml).
    org_settings: dict[str, object] | None = None


def org_flows(org: str) -> Flows:
    """``--org``: an organisation's flows folder, or the name of an organisation
    in the database (its folder and settings)."""
    settings = Settings.from_env()
    folder = Path(org)
    if folder.is_dir():
        return Flows(settings.flows_dir, folder)
    from bot.store.people import SqlPeopleStore
    from bot.store.sql import create_store

    store = create_store(settings.database_url)
    try:
        found = SqlPeopleStore(store.engine).organisation(org)
    except Exception as exc:  # no database yet, or an old one
        raise click.UsageError(
            f"'{org}' is geen map en geen organisatie: de database is leeg of niet bereikbaar."
        ) from exc
    finally:
        store.close()
    if found is None:
        raise click.UsageError(f"'{org}' is geen map en geen organisatie in de database.")
    return Flows(
        settings.flows_dir,
        Path(found.flows_dir) if found.flows_dir else None,
        dict(found.settings) if found.settings else None,
    )


def flows_folder(org: str | None, flows_dir: Path | None) -> Flows:
    """The flows to use: ``--org`` over the shipped flows, ``--flows-dir``, or
    the configured folder."""
    if org is not None:
        flows = org_flows(org)
        return replace(flows, folder=flows_dir) if flows_dir is not None else flows
    return Flows(flows_dir or Settings.from_env().flows_dir)


def knowledge_of(flows: Flows) -> KnowledgeBase:
    """The shipped articles, with the organisation's own (``kennis/``) over them."""
    settings = Settings.from_env()
    shipped = (
        load_knowledge(settings.knowledge_dir)
        if settings.knowledge_dir.is_dir()
        else KnowledgeBase(())
    )
    return with_org_articles(shipped, flows.org)


def load_checked(flows: Path | Flows) -> FlowBook:
    """The compiled book, checked against the knowledge articles; exit 1 listing problems."""
    if isinstance(flows, Path):
        flows = Flows(flows)
    settings = Settings.from_env()
    try:
        articles = knowledge_of(flows).ids() if settings.knowledge_dir.is_dir() else None
        return load_flows(flows, articles)
    except FlowLoadError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} probleem/problemen in de flows.", err=True)
        sys.exit(1)


def load_flows(flows: Flows, articles: frozenset[str] | None) -> FlowBook:
    """Compile ``flows``; raises ``FlowLoadError`` (at the organisation's places)."""
    if flows.org is None and flows.org_settings is None:
        return load_book(flows.folder, articles=articles)
    merged = overlaid(flows.folder, flows.org)
    if flows.org_settings:
        merged.sources[ORG_FILE] = yaml.safe_dump(
            flows.org_settings, allow_unicode=True, sort_keys=False
        )
    return compile_merged(merged, articles=articles)


_ORG = click.option(
    "--org",
    default=None,
    help="Organisatie: haar flows-map (over de meegeleverde flows) of haar naam in de database.",
)
_DIR = click.option(
    "--flows-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Map met flows (standaard: de flows-map).",
)


@flows.command("graph")
@click.argument("flow")
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "svg", "png", "dot"]), default="mermaid"
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Schrijf naar dit bestand.")
@_ORG
@_DIR
def graph(
    flow: str, fmt: str, output: Path | None, org: str | None, flows_dir: Path | None
) -> None:
    """Teken een flow: vragen, keuzes met hun voorwaarden, deelflows, adviezen en einde."""
    from bot.diagram.build import build
    from bot.diagram.render import GraphvizMissingError, render_dot, to_dot, to_mermaid

    book = load_checked(flows_folder(org, flows_dir))
    if flow not in book.flows:
        known = ", ".join(sorted(book.flows))
        raise click.UsageError(f"Er is geen flow '{flow}'. Wel: {known}.")
    diagram = build(book, flow)
    data: bytes
    if fmt == "mermaid":
        data = to_mermaid(diagram).encode()
    elif fmt == "dot":
        data = to_dot(diagram).encode()
    else:
        try:
            data = render_dot(to_dot(diagram), fmt)
        except GraphvizMissingError as exc:
            raise click.ClickException(str(exc)) from exc
    if output is not None:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


_SCRIPT_DIRS = ("examples", "tests")


def find_scripts(path: Path) -> tuple[Path, list[Path]]:
    """(flows folder, script files) for ``flows test PATH``.

    PATH may be a flows folder (its ``examples/`` and ``tests/`` hold the
    scripts), such a scripts folder, or one script file.
    """
    if path.is_file():
        folder = path.parent
        return (folder.parent if folder.name in _SCRIPT_DIRS else folder), [path]
    if path.name in _SCRIPT_DIRS and not any((path / d).is_dir() for d in _SCRIPT_DIRS):
        return path.parent, sorted(path.glob("*.y*ml"))
    scripts = [p for d in _SCRIPT_DIRS for p in sorted((path / d).glob("*.y*ml"))]
    return path, scripts


@flows.command("test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@_ORG
@_DIR
@click.option("-v", "--verbose", is_flag=True, help="Toon ook elk geslaagd script.")
def test(path: Path | None, org: str | None, flows_dir: Path | None, verbose: bool) -> None:
    """Speel de gesprekken in de voorbeeldscripts na en vergelijk met wat ze verwachten.

    PATH: een flows-map (scripts in examples/ of tests/), zo'n scriptmap, of één script.
    Met --org: de scripts van die organisatie (standaard in haar map), op haar flows.
    """
    from bot.flowtest.check import run_script
    from bot.flowtest.script import ScriptError, load_script

    chosen = flows_folder(org, None) if org is not None else None
    start = path or (chosen.org if chosen and chosen.org else Settings.from_env().flows_dir)
    folder, scripts = find_scripts(start)
    if chosen is None:
        chosen = Flows(flows_dir or folder)
    elif flows_dir is not None:
        chosen = replace(chosen, folder=flows_dir)
    if not scripts:
        raise click.ClickException(f"Geen scripts gevonden bij {start}.")
    book = load_checked(chosen)
    knowledge = knowledge_of(chosen)
    failed = 0
    for script_path in scripts:
        try:
            script = load_script(script_path)
        except ScriptError as exc:
            failed += 1
            click.echo(f"FOUT {script_path}: {exc}", err=True)
            continue
        outcome = run_script(book, script, knowledge)
        if outcome.ok:
            if verbose:
                click.echo(f"goed {script_path}: {script.title}")
            continue
        failed += 1
        click.echo(f"FOUT {script_path}: {script.title}", err=True)
        for failure in outcome.failures:
            click.echo(f"  {failure}", err=True)
    click.echo(f"{len(scripts) - failed} van {len(scripts)} scripts goed.")
    if failed:
        sys.exit(1)


@flows.command("schema")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Schrijf naar dit bestand.")
@click.option("--modeline", is_flag=True, help="Toon alleen de regel voor bovenaan een flow.")
def schema(output: Path | None, modeline: bool) -> None:
    """Schrijf het JSON Schema van de flowtaal (voor editors die YAML controleren).

    Zet het schema als flow.schema.json in de flows-map en begin elke flow met
    de regel die --modeline toont.
    """
    from bot.flowschema import MODELINE, schema_text

    if modeline:
        click.echo(MODELINE)
        return
    if output is not None:
        output.write_text(schema_text(), encoding="utf-8")
        click.echo(f"Geschreven: {output}. Zet bovenaan elke flow: {MODELINE}")
    else:
        click.echo(schema_text(), nl=False)


@flows.command("diff")
@click.argument("old")
@click.argument("new", required=False)
@_ORG
def diff(old: str, new: str | None, org: str | None) -> None:
    """Wat verandert er voor de professional tussen OLD en NEW?

    OLD en NEW zijn mappen, of een map in een git-versie, zoals HEAD~1:flows.
    Met --org (zonder NEW): wat de aanpassingen van die organisatie veranderen
    ten opzichte van de flows in OLD.
    """
    from bot.flowdiff.compare import compare
    from bot.flowdiff.sources import SourceError, sources_of
    from bot.flowspec.compile import compile_book

    if (new is None) == (org is None):
        raise click.UsageError("Geef NEW of --org (niet allebei).")
    books = []
    for spec in (old, new) if new is not None else (old,):
        try:
            sources, shown = sources_of(spec)
            books.append(compile_book(sources, display_root=shown))
        except SourceError as exc:
            raise click.ClickException(str(exc)) from exc
        except FlowLoadError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{spec}: {len(exc.problems)} probleem/problemen in de flows.", err=True)
            sys.exit(1)
    if org is not None:
        chosen = flows_folder(org, None)
        if not Path(old).is_dir():
            raise click.UsageError("Met --org is OLD een map met flows.")
        books.append(load_checked(replace(chosen, folder=Path(old))))
    click.echo(compare(books[0], books[1]).to_text(), nl=False)
