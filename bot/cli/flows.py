"""``voorkomen flows check``: validate flows the way the bot does at start-up."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.flowspec.errors import FlowLoadError, FlowProblem
from bot.flowspec.loader import load_book
from bot.knowledge.loader import load_knowledge
from bot.settings import Settings


@click.group()
def flows() -> None:
    """Werken met de flows (YAML)."""


@flows.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--knowledge", type=click.Path(path_type=Path), default=None, help="Map met kennisartikelen."
)
@click.option(
    "--org",
    default=None,
    help="Organisatie: haar flows-map (over de meegeleverde flows) of haar naam in de database.",
)
def check(paths: tuple[Path, ...], knowledge: Path | None, org: str | None) -> None:
    """Controleer flows. PATHS: mappen of flowbestanden (standaard: de flows-map).

    Met --org: de flows van die organisatie, samengevoegd met de meegeleverde;
    elke fout wijst naar haar eigen bestand, regel en kolom.
    """
    if org is not None:
        check_org(org, knowledge)
        return
    settings = Settings.from_env()
    folders: list[Path] = []
    for path in paths or (settings.flows_dir,):
        folder = path if path.is_dir() else path.parent
        if folder not in folders:
            folders.append(folder)
    problems: list[FlowProblem] = []
    articles: frozenset[str] | None = None
    kdir = knowledge or settings.knowledge_dir
    if kdir.is_dir():
        try:
            articles = load_knowledge(kdir).ids()
        except FlowLoadError as exc:
            problems.extend(exc.problems)
    for folder in folders:
        try:
            book = load_book(folder, articles=articles)
        except FlowLoadError as exc:
            problems.extend(exc.problems)
        else:
            click.echo(f"{folder}: {len(book.flows)} flows in orde (versie {book.hash})")
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} probleem/problemen gevonden.", err=True)
        sys.exit(1)


def check_org(org: str, knowledge: Path | None) -> None:
    """``flows check --org``: the merged flows of one organisation."""
    from bot.cli.flowtools import flows_folder, knowledge_of, load_flows

    chosen = flows_folder(org, None)
    settings = Settings.from_env()
    try:
        kdir = knowledge or settings.knowledge_dir
        articles = (
            (load_knowledge(kdir).ids() | knowledge_of(chosen).ids()) if kdir.is_dir() else None
        )
        book = load_flows(chosen, articles)
    except FlowLoadError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} probleem/problemen gevonden.", err=True)
        sys.exit(1)
    click.echo(f"{chosen.org or org}: {len(book.flows)} flows in orde (versie {book.hash})")
