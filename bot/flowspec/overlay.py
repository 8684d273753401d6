"""An organisation's flows folder layered over the shipped flows (overlays).

A policy officer adapts the shipped flows without copying them: a file in the
organisation's folder with ``overlay: <flow id>`` names the shipped steps it
changes (``change``, ``remove``, ``add``, ``move``), the organisation's
``organisatie.yaml`` replaces single settings and whole lists, its
``templates/`` add or replace vastlegging templates, and any other flow file
is a flow of its own. When a shipped flow changes underneath, a step an
overlay refers to that is gone is a located error, never a silent skip.

The merge works on the parsed YAML documents with their line/column marks
(:mod:`bot.flowspec.source`), before compilation. The merged flows are written
back as YAML text and compiled by the same compiler as a shipped flow (so the
merged book is validated exactly like one, and its sources can be stored and
rebuilt like any book's); every problem the compiler finds in the merged text
is then mapped back to where its node came from: the organisation's file,
line and column. A problem in a node that still comes from the shipped flow is
reported at the overlay that changed that flow (with the shipped place in the
message), since the shipped flows are valid on their own.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.flowspec.compile import ORG_FILE, TEMPLATE_DIR, compile_book
from bot.flowspec.errors import FlowLoadError, FlowProblem, SourceLocation
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import read_sources
from bot.flowspec.located_tree import Node, Origins, dump_with_origins, tree
from bot.flowspec.overlay_edits import (
    HEADER_KEYS,
    OPERATIONS,
    OVERLAY_KEY,
    OverlayEditor,
    join_path,
)
from bot.flowspec.source import Located


@dataclass
class Merged:
    """The merged sources (name -> text, as the compiler reads them) and where
    each place in a merged text came from."""

    sources: dict[str, str]
    origins: dict[str, Origins] = field(default_factory=dict)
    #: Per source name: the file it came from, for sources taken over as they are.
    files: dict[str, str] = field(default_factory=dict)
    #: Per overlaid flow file name: where its overlay says ``overlay:``.
    anchors: dict[str, SourceLocation] = field(default_factory=dict)
    #: Where a problem in a shipped node without an overlay of its own is reported.
    fallback: SourceLocation | None = None
    #: The shipped files (a problem there is the overlay's doing).
    shipped_files: set[str] = field(default_factory=set)

    def locate(self, problem: FlowProblem) -> FlowProblem:
        """``problem`` (found in a merged text) at the place its node came from."""
        where = problem.location
        name = where.path
        table = self.origins.get(name)
        if table is None:
            path = self.files.get(name)
            if path is None:
                return problem
            origin = SourceLocation(path, where.line, where.column)
            return self._own(FlowProblem(origin, problem.message), self.fallback)
        keys = [pos for pos, _ in table]
        i = bisect.bisect_right(keys, (where.line, where.column)) - 1
        origin = table[max(i, 0)][1]
        return self._own(FlowProblem(origin, problem.message), self.anchors.get(name))

    def _own(self, problem: FlowProblem, anchor: SourceLocation | None) -> FlowProblem:
        if anchor is None or problem.location.path not in self.shipped_files:
            return problem
        return FlowProblem(anchor, f"{problem.message} (in the shipped flow at {problem.location})")


def merge(
    shipped: Mapping[str, str],
    own: Mapping[str, str],
    *,
    shipped_root: str = "",
    org_root: str = "",
) -> Merged:
    """The shipped sources with an organisation's sources over them.

    Both are name -> text, as :func:`bot.flowspec.loader.read_sources` reads a
    folder. Raises :class:`FlowLoadError` (at the organisation's places) when
    an overlay cannot be applied.
    """
    lay = OverlayEditor(shipped_root, org_root)
    out = Merged({})
    out.shipped_files = {join_path(shipped_root, n) for n in shipped}
    for name, text in shipped.items():
        out.sources[name] = text
        out.files[name] = join_path(shipped_root, name)
    shipped_ids = _flow_files(shipped)
    overlays: dict[str, list[Located]] = {}
    for name in sorted(own):
        text = own[name]
        if name == ORG_FILE or name.startswith(f"{TEMPLATE_DIR}/"):
            continue
        src = lay.read(org_root, name, text)
        if src is None or not isinstance(src.data, dict):
            out.sources[name] = text
            out.files[name] = join_path(org_root, name)
            continue
        target = src.data.get(OVERLAY_KEY)
        if target is None:
            fid = src.data.get("id")
            if isinstance(fid, str) and fid in shipped_ids:
                lay.add(
                    src.where(("id",)),
                    f"flow '{fid}' is shipped; change it with 'overlay: {fid}' "
                    "instead of a copy of the whole file",
                )
                continue
            out.sources[name] = text
            out.files[name] = join_path(org_root, name)
        elif not isinstance(target, str) or target not in shipped_ids:
            lay.add(
                src.where((OVERLAY_KEY,)),
                f"there is no shipped flow '{target}' to change; shipped: "
                + ", ".join(sorted(shipped_ids)),
            )
        else:
            overlays.setdefault(shipped_ids[target], []).append(src)
    for flow_name, docs in sorted(overlays.items()):
        base = lay.read(shipped_root, flow_name, shipped[flow_name])
        if base is None or not isinstance(base.data, dict):
            continue
        flow = tree(base)
        for doc in docs:
            lay.apply(flow, doc)
        text, table = dump_with_origins(flow, flow_name)
        out.sources[flow_name] = text
        out.origins[flow_name] = table
        out.anchors[flow_name] = docs[0].keys.get((OVERLAY_KEY,)) or docs[0].where(())
        del out.files[flow_name]
    if ORG_FILE in own:
        src = lay.read(org_root, ORG_FILE, own[ORG_FILE])
        out.fallback = SourceLocation(join_path(org_root, ORG_FILE), 1, 1)
        if src is not None and src.data is not None:
            base = (
                lay.read(shipped_root, ORG_FILE, shipped[ORG_FILE]) if ORG_FILE in shipped else None
            )
            merged = lay.settings(tree(base) if base and base.data else None, tree(src))
            text, table = dump_with_origins(merged, ORG_FILE)
            out.sources[ORG_FILE] = text
            out.origins[ORG_FILE] = table
            out.files.pop(ORG_FILE, None)
    for name, text in own.items():
        if name.startswith(f"{TEMPLATE_DIR}/"):
            out.sources[name] = text
            out.files[name] = join_path(org_root, name)
    if lay.problems:
        raise FlowLoadError(lay.problems)
    return out


def _flow_files(sources: Mapping[str, str]) -> dict[str, str]:
    """Flow id -> file name of every flow in ``sources`` (the id is the file name)."""
    return {
        name.rsplit(".", 1)[0]: name
        for name in sources
        if "/" not in name and name.endswith((".yaml", ".yml")) and name != ORG_FILE
    }


def compile_merged(merged: Merged, *, articles: frozenset[str] | None = None) -> FlowBook:
    """Compile ``merged`` like any book; problems at the places they came from."""
    try:
        return compile_book(merged.sources, display_root="", articles=articles)
    except FlowLoadError as exc:
        raise FlowLoadError([merged.locate(p) for p in exc.problems]) from None


def overlaid(shipped: Path, org: Path | None, *, org_root: str | None = None) -> Merged:
    """The shipped folder's sources with the organisation's folder (if any) over them."""
    if org is None:
        return merge(read_sources(shipped), {}, shipped_root=str(shipped))
    return merge(
        read_sources(shipped),
        read_sources(org),
        shipped_root=str(shipped),
        org_root=str(org) if org_root is None else org_root,
    )


def load_overlaid(
    shipped: Path, org: Path, *, articles: frozenset[str] | None = None, org_root: str | None = None
) -> FlowBook:
    """The shipped folder with the organisation's folder over it, compiled;
    raises :class:`FlowLoadError` with every problem at the organisation's places."""
    return compile_merged(overlaid(shipped, org, org_root=org_root), articles=articles)


__all__ = [
    "HEADER_KEYS",
    "OPERATIONS",
    "OVERLAY_KEY",
    "Merged",
    "Node",
    "compile_merged",
    "load_overlaid",
    "merge",
    "overlaid",
    "tree",
]
