"""Read a flows folder from disk into a source mapping and compile it.

Kept apart from :mod:`bot.flowspec.compile` so compiling stays pure: the same
compiler also rebuilds an older flow version from the sources a conversation
was started on (stored in the database).
"""

from __future__ import annotations

from pathlib import Path

from bot.flowspec.compile import ORG_FILE, TEMPLATE_DIR, compile_book
from bot.flowspec.graph import FlowBook


def read_sources(folder: Path) -> dict[str, str]:
    """Every flow, the organisation settings and the templates under ``folder``."""
    sources: dict[str, str] = {}
    for path in sorted(folder.glob("*.y*ml")):
        sources[path.name] = path.read_text(encoding="utf-8")
    org = folder / ORG_FILE
    if org.exists():
        sources[ORG_FILE] = org.read_text(encoding="utf-8")
    templates = folder / TEMPLATE_DIR
    if templates.is_dir():
        for path in sorted(templates.glob("*.j2")):
            sources[f"{TEMPLATE_DIR}/{path.name}"] = path.read_text(encoding="utf-8")
    return sources


def load_book(
    folder: Path, *, articles: frozenset[str] | None = None, overlay: Path | None = None
) -> FlowBook:
    """Compile the flows in ``folder`` (with an organisation's ``overlay`` folder
    over them: :mod:`bot.flowspec.overlay`); raises ``FlowLoadError`` with every problem."""
    if overlay is not None:
        from bot.flowspec.overlay import load_overlaid

        return load_overlaid(folder, overlay, articles=articles)
    return compile_book(read_sources(folder), display_root=str(folder), articles=articles)
