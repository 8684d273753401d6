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
from typing import Any

import yaml

from bot.flowspec.compile import ORG_FILE, TEMPLATE_DIR, compile_book
from bot.flowspec.errors import FlowLoadError, FlowProblem, SourceLocation
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import read_sources
from bot.flowspec.source import Located, YamlSyntaxError, read_yaml

#: The key that makes a file in an organisation's folder an overlay.
OVERLAY_KEY = "overlay"
#: Flow header keys an overlay may replace.
HEADER_KEYS = ("version", "title", "description", "menu", "order", "start", "case_code", "inputs")
#: The operations on steps, one per item of an overlay's ``steps``.
OPERATIONS = ("change", "remove", "add", "move")
_PLACES = ("after", "before")


@dataclass
class Node:
    """One YAML value with the place it came from (and its key's place)."""

    value: str | list[Node] | dict[str, Node] | None
    at: SourceLocation
    key_at: SourceLocation | None = None

    def plain(self) -> Any:
        """The value as plain data (what the compiler reads)."""
        if isinstance(self.value, list):
            return [item.plain() for item in self.value]
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        return self.value

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def text(self, key: str) -> str | None:
        found = self.get(key)
        return found.value if found is not None and isinstance(found.value, str) else None


def tree(src: Located, path: tuple[str | int, ...] = ()) -> Node:
    """``src``'s data (at ``path``) as a :class:`Node` tree keeping every place."""
    data: Any = src.data
    for part in path:
        data = data[part]
    return _node(src, data, path)


def _node(src: Located, data: Any, path: tuple[str | int, ...]) -> Node:
    at = src.values.get(path) or src.where(path)
    key_at = src.keys.get(path)
    if isinstance(data, list):
        return Node([_node(src, d, (*path, i)) for i, d in enumerate(data)], at, key_at)
    if isinstance(data, dict):
        return Node({k: _node(src, v, (*path, k)) for k, v in data.items()}, at, key_at)
    return Node(data, at, key_at)


# ------------------------------------------------------------------ merging


@dataclass
class Merged:
    """The merged sources (name -> text, as the compiler reads them) and where
    each place in a merged text came from."""

    sources: dict[str, str]
    origins: dict[str, list[tuple[tuple[int, int], SourceLocation]]] = field(default_factory=dict)
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


class _Overlayer:
    """Applies one organisation's files to the shipped sources, collecting problems."""

    def __init__(self, shipped_root: str, org_root: str) -> None:
        self.shipped_root = shipped_root
        self.org_root = org_root
        self.problems: list[FlowProblem] = []

    def add(self, where: SourceLocation, message: str) -> None:
        self.problems.append(FlowProblem(where, message))

    def read(self, root: str, name: str, text: str) -> Located | None:
        try:
            return read_yaml(_join(root, name), text)
        except YamlSyntaxError as exc:
            self.problems.append(exc.problem)
            return None

    # ------------------------------------------------------------ flows

    def apply(self, flow: Node, overlay: Located) -> None:
        """Apply the overlay document to the shipped ``flow`` tree (in place)."""
        doc = tree(overlay)
        assert isinstance(doc.value, dict) and isinstance(flow.value, dict)
        for key, value in doc.value.items():
            if key == OVERLAY_KEY:
                continue
            where = value.key_at or value.at
            if key in HEADER_KEYS:
                flow.value[key] = value
            elif key == "steps":
                if not isinstance(value.value, list):
                    self.add(value.at, "'steps' of an overlay is a list of changes")
                    continue
                for op in value.value:
                    self.operation(flow, op)
            elif key == "id":
                self.add(where, "an overlay keeps the flow's id; name the flow in 'overlay:'")
            else:
                self.add(
                    where,
                    f"unknown key '{key}' in an overlay; use {OVERLAY_KEY}, steps or "
                    + ", ".join(HEADER_KEYS),
                )

    def operation(self, flow: Node, op: Node) -> None:
        if not isinstance(op.value, dict):
            self.add(op.at, "a change is a mapping with one of: " + ", ".join(OPERATIONS))
            return
        kinds = [k for k in OPERATIONS if k in op.value]
        if len(kinds) != 1:
            found = f"both '{kinds[0]}' and '{kinds[1]}'" if kinds else "none"
            self.add(op.at, f"a change has exactly one of {', '.join(OPERATIONS)} ({found})")
            return
        kind = kinds[0]
        allowed = {kind, *(_PLACES if kind in ("add", "move") else ())}
        if kind == "change":
            allowed = set(op.value)
        for key, value in op.value.items():
            if key not in allowed:
                self.add(value.key_at or value.at, f"unknown key '{key}' in '{kind}'")
        getattr(self, f"_{kind}")(flow, op)

    def _ref(self, flow: Node, ref: Node) -> tuple[list[Node], int] | None:
        """The list holding the step ``ref`` names (``a.b``: b inside foreach a), and its index."""
        if not isinstance(ref.value, str) or not ref.value:
            self.add(ref.at, "name a step by its id")
            return None
        steps = flow.get("steps")
        found: tuple[list[Node], int] | None = None
        for part in ref.value.split("."):
            if found is not None:
                holder = found[0][found[1]].get("steps")
                if holder is None:
                    self.add(ref.at, f"step '{found[0][found[1]].text('id')}' has no steps inside")
                    return None
                steps = holder
            items = steps.value if steps is not None and isinstance(steps.value, list) else []
            index = next((i for i, s in enumerate(items) if s.text("id") == part), None)
            if index is None:
                self.add(
                    ref.at,
                    f"step '{ref.value}' is not in the shipped flow '{flow.text('id')}' "
                    "(renamed or removed?)",
                )
                return None
            found = (items, index)
        return found

    def _place(self, flow: Node, op: Node, kind: str) -> tuple[list[Node], int] | None:
        """Where ``add``/``move`` puts steps: the list and the index to insert at."""
        places = [p for p in _PLACES if p in (op.value or {})]
        if len(places) != 1:
            self.add(op.at, f"'{kind}' needs exactly one of 'after' or 'before' (a step id)")
            return None
        ref = op.get(places[0])
        assert ref is not None
        found = self._ref(flow, ref)
        if found is None:
            return None
        items, index = found
        return items, index + 1 if places[0] == "after" else index

    def _change(self, flow: Node, op: Node) -> None:
        ref = op.get("change")
        assert ref is not None
        found = self._ref(flow, ref)
        if found is None:
            return
        step = found[0][found[1]]
        assert isinstance(op.value, dict)
        for key, value in op.value.items():
            if key == "change":
                continue
            if key == "id":
                self.add(
                    value.key_at or value.at, "a step keeps its id; remove it and add a new one"
                )
                continue
            _patch(step, key, value)

    def _remove(self, flow: Node, op: Node) -> None:
        ref = op.get("remove")
        assert ref is not None
        found = self._ref(flow, ref)
        if found is not None:
            del found[0][found[1]]

    def _add(self, flow: Node, op: Node) -> None:
        new = op.get("add")
        assert new is not None
        steps = new.value if isinstance(new.value, list) else [new]
        place = self._place(flow, op, "add")
        if place is None:
            return
        items, index = place
        taken = {s.text("id") for s in items}
        for step in steps:
            sid = step.text("id")
            if sid is not None and sid in taken:
                self.add(
                    (step.get("id") or step).at,
                    f"step id '{sid}' is already in the flow; use 'change' to change it",
                )
                return
        items[index:index] = steps

    def _move(self, flow: Node, op: Node) -> None:
        ref = op.get("move")
        assert ref is not None
        found = self._ref(flow, ref)
        if found is None:
            return
        items, index = found
        step = items[index]
        place = self._place(flow, op, "move")
        if place is None:
            return
        target, at = place
        if target is not items:
            self.add(op.at, "a step moves within its own list of steps")
            return
        del items[index]
        items.insert(at - 1 if at > index else at, step)

    # ------------------------------------------------------------ settings

    def settings(self, shipped: Node | None, own: Node) -> Node:
        """The organisation's ``organisatie.yaml`` over the shipped one: single
        settings and texts replace, each list under ``lijsten`` replaces whole."""
        if shipped is None or not isinstance(shipped.value, dict):
            return own
        if not isinstance(own.value, dict):
            self.add(own.at, "organisatie.yaml is a mapping of settings")
            return shipped
        for key, value in own.value.items():
            old = shipped.value.get(key)
            if (
                key in ("teksten", "lijsten")
                and old is not None
                and isinstance(old.value, dict)
                and isinstance(value.value, dict)
            ):
                for name, item in value.value.items():
                    if item.value is None:
                        old.value.pop(name, None)
                    else:
                        old.value[name] = item
            else:
                shipped.value[key] = value
        return shipped


def _patch(target: Node, key: str, value: Node) -> None:
    """JSON merge patch of one key: null removes, a mapping merges into a mapping,
    anything else replaces."""
    assert isinstance(target.value, dict)
    old = target.value.get(key)
    if value.value is None:
        target.value.pop(key, None)
    elif isinstance(value.value, dict) and old is not None and isinstance(old.value, dict):
        for k, v in value.value.items():
            _patch(old, k, v)
    else:
        target.value[key] = value


def _join(root: str, name: str) -> str:
    return f"{root.rstrip('/')}/{name}" if root else name


def _dump(node: Node, name: str) -> tuple[str, list[tuple[tuple[int, int], SourceLocation]]]:
    """``node`` as YAML text, and (line, column) -> origin for every place in it."""
    text = yaml.safe_dump(
        node.plain(), allow_unicode=True, sort_keys=False, width=1_000_000, default_flow_style=False
    )
    again = read_yaml(name, text)
    table: dict[tuple[int, int], SourceLocation] = {}

    def walk(n: Node, path: tuple[str | int, ...]) -> None:
        if path in again.keys and n.key_at is not None:
            k = again.keys[path]
            table.setdefault((k.line, k.column), n.key_at)
        if path in again.values:
            v = again.values[path]
            table.setdefault((v.line, v.column), n.at)
        if isinstance(n.value, list):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))
        elif isinstance(n.value, dict):
            for k2, item in n.value.items():
                walk(item, (*path, k2))

    walk(node, ())
    return text, sorted(table.items())


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
    lay = _Overlayer(shipped_root, org_root)
    out = Merged({})
    out.shipped_files = {_join(shipped_root, n) for n in shipped}
    for name, text in shipped.items():
        out.sources[name] = text
        out.files[name] = _join(shipped_root, name)
    shipped_ids = _flow_files(shipped)
    overlays: dict[str, list[Located]] = {}
    for name in sorted(own):
        text = own[name]
        if name == ORG_FILE or name.startswith(f"{TEMPLATE_DIR}/"):
            continue
        src = lay.read(org_root, name, text)
        if src is None or not isinstance(src.data, dict):
            out.sources[name] = text
            out.files[name] = _join(org_root, name)
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
            out.files[name] = _join(org_root, name)
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
        text, table = _dump(flow, flow_name)
        out.sources[flow_name] = text
        out.origins[flow_name] = table
        out.anchors[flow_name] = docs[0].keys.get((OVERLAY_KEY,)) or docs[0].where(())
        del out.files[flow_name]
    if ORG_FILE in own:
        src = lay.read(org_root, ORG_FILE, own[ORG_FILE])
        out.fallback = SourceLocation(_join(org_root, ORG_FILE), 1, 1)
        if src is not None and src.data is not None:
            base = (
                lay.read(shipped_root, ORG_FILE, shipped[ORG_FILE]) if ORG_FILE in shipped else None
            )
            merged = lay.settings(tree(base) if base and base.data else None, tree(src))
            text, table = _dump(merged, ORG_FILE)
            out.sources[ORG_FILE] = text
            out.origins[ORG_FILE] = table
            out.files.pop(ORG_FILE, None)
    for name, text in own.items():
        if name.startswith(f"{TEMPLATE_DIR}/"):
            out.sources[name] = text
            out.files[name] = _join(org_root, name)
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
