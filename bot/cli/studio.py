"""``voorkomen studio``: the flow studio on http://127.0.0.1 (see :mod:`bot.studio`)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.flowtools import flows_folder, knowledge_of
from bot.settings import Settings


@click.command("studio")
@click.option(
    "--org",
    default=None,
    help="Organisatie: haar flows-map (over de meegeleverde flows) of haar naam in de database.",
)
@click.option(
    "--flows-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Map met flows (standaard: de flows-map).",
)
@click.option(
    "--vergelijk",
    "compare_with",
    default=None,
    help="Vergelijk met deze map of git-versie (zoals HEAD:flows).",
)
@click.option("--port", default=8765, show_default=True, help="Poort op 127.0.0.1.")
def command(org: str | None, flows_dir: Path | None, compare_with: str | None, port: int) -> None:
    """Open de flow studio: diagrammen, problemen per regel, proberen en wat er verandert."""
    from aiohttp import web

    from bot.flowdiff.sources import SourceError, sources_of
    from bot.studio.server import create_web_app
    from bot.studio.workspace import Workspace

    settings = Settings.from_env()
    chosen = flows_folder(org, flows_dir)
    knowledge = knowledge_of(chosen)
    published = None
    if compare_with is not None:
        try:
            published, compare_with = sources_of(compare_with)
        except SourceError as exc:
            raise click.ClickException(str(exc)) from exc
    workspace = Workspace(
        chosen.folder,
        org=chosen.org,
        org_settings=chosen.org_settings,
        knowledge=knowledge,
        articles=knowledge.ids() if settings.knowledge_dir.is_dir() else None,
        main_flow=settings.main_flow,
        published=published,
        published_name=compare_with or "",
    )
    click.echo(f"Flow studio: http://127.0.0.1:{port}/  (stop met Ctrl+C)")
    web.run_app(create_web_app(workspace), host="127.0.0.1", port=port, print=None)
