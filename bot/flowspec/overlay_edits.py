"""The edits an organisation's overlay makes to a shipped flow, and its settings over the shipped.

A file with ``overlay: <flow id>`` names the shipped steps it changes, one
operation per item of its ``steps``: ``change`` (a JSON merge patch of the
step), ``remove``, ``add`` (after or before a step) and ``move`` (within its
own list). ``a.b`` names step ``b`` inside the ``foreach`` step ``a``. A step
that is not (or no longer) in the shipped flow is a located problem, never a
silent skip. ``organisatie.yaml`` replaces single settings and texts, and
each list under ``lijsten`` whole.
"""

from __future__ import annotations

from bot.flowspec.errors import FlowProblem, SourceLocation
from bot.flowspec.located_tree import Node, merge_patch, tree
from bot.flowspec.source import Located, YamlSyntaxError, read_yaml

#: The key that makes a file in an organisation's folder an overlay.
OVERLAY_KEY = "overlay"
#: Flow header keys an overlay may replace.
HEADER_KEYS = ("version", "title", "description", "menu", "order", "start", "case_code", "inputs")
#: The operations on steps, one per item of an overlay's ``steps``.
OPERATIONS = ("change", "remove", "add", "move")
_PLACES = ("after", "before")


class OverlayEditor:
    """Applies one organisation's files to the shipped sources, collecting problems."""

    def __init__(self, shipped_root: str, org_root: str) -> None:
        self.shipped_root = shipped_root
        self.org_root = org_root
        self.problems: list[FlowProblem] = []

    def add(self, where: SourceLocation, message: str) -> None:
        self.problems.append(FlowProblem(where, message))

    def read(self, root: str, name: str, text: str) -> Located | None:
        try:
            return read_yaml(join_path(root, name), text)
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

    def _named(self, flow: Node, op: Node, kind: str) -> tuple[list[Node], int] | None:
        """The step an operation names under its ``kind`` key (``change: id``)."""
        ref = op.get(kind)
        assert ref is not None
        return self._ref(flow, ref)

    def _change(self, flow: Node, op: Node) -> None:
        found = self._named(flow, op, "change")
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
            merge_patch(step, key, value)

    def _remove(self, flow: Node, op: Node) -> None:
        found = self._named(flow, op, "remove")
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
        found = self._named(flow, op, "move")
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


def join_path(root: str, name: str) -> str:
    return f"{root.rstrip('/')}/{name}" if root else name
