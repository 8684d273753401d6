"""``voorkomen flows graph|test|schema|diff``: tools for whoever adapts the flows.

They join the ``flows`` group of :mod:`bot.cli.flows` when this module is
imported (one line in :mod:`bot.cli`), so that file stays as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.flows import flows
from bot.flowspec.errors import FlowLoadError
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.knowledge.loader import load_knowledge
from bot.settings import Settings

NO_ORGS = "organisaties zijn nog niet beschikbaar; gebruik --flows-dir MAP"


def flows_folder(org: str | None, flows_dir: Path | None) -> Path:
    """The flows folder to use: ``--flows-dir``, else the configured one."""
    if org is not None:
        raise click.UsageError(NO_ORGS)
    return flows_dir or Settings.from_env().flows_dir


def load_checked(folder: Path) -> FlowBook:
    """The compiled book, checked against the knowledge articles; exit 1 listing problems."""
    settings = Settings.from_env()
    try:
        articles = (
            load_knowledge(settings.knowledge_dir).ids()
            if settings.knowledge_dir.is_dir()
            else None
        )
        return load_book(folder, articles=articles)
    except FlowLoadError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} probleem/problemen in de flows.", err=True)
        sys.exit(1)


_ORG = click.option("--org", default=None, help="Organisatie (nog niet beschikbaar).")
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
@_DIR
@click.option("-v", "--verbose", is_flag=True, help="Toon ook elk geslaagd script.")
def test(path: Path | None, flows_dir: Path | None, verbose: bool) -> None:
    """Speel de gesprekken in de voorbeeldscripts na en vergelijk met wat ze verwachten.

    PATH: een flows-map (scripts in examples/ of tests/), zo'n scriptmap, of één script.
    """
    from bot.flowtest.check import run_script
    from bot.flowtest.script import ScriptError, load_script
    from bot.knowledge.base import KnowledgeBase

    folder, scripts = find_scripts(path or Settings.from_env().flows_dir)
    folder = flows_dir or folder
    if not scripts:
        raise click.ClickException(f"Geen scripts gevonden bij {path or folder}.")
    book = load_checked(folder)
    settings = Settings.from_env()
    knowledge = (
        load_knowledge(settings.knowledge_dir)
        if settings.knowledge_dir.is_dir()
        else KnowledgeBase(())
    )
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
@click.argument("new")
def diff(old: str, new: str) -> None:
    """Wat verandert er voor de professional tussen OLD en NEW?

    OLD en NEW zijn mappen, of een map in een git-versie, zoals HEAD~1:flows.
    """
    from bot.flowdiff.compare import compare
    from bot.flowdiff.sources import SourceError, sources_of
    from bot.flowspec.compile import compile_book

    books = []
    for spec in (old, new):
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
    click.echo(compare(books[0], books[1]).to_text(), nl=False)
