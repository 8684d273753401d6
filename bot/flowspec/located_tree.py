"""YAML values that remember where they came from, and writing them back with that map.

An overlay is merged into the shipped flows on the parsed YAML, so every
value keeps the file, line and column it was read at (a :class:`Node`). The
merged tree is written back as YAML text for the compiler, with a table from
each (line, column) of that text to the place its value came from, so every
problem the compiler finds is reported where the policy officer wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from bot.flowspec.errors import SourceLocation
from bot.flowspec.source import Located, read_yaml

#: (line, column) in a written text, and the place that value came from; sorted.
Origins = list[tuple[tuple[int, int], SourceLocation]]


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


def merge_patch(target: Node, key: str, value: Node) -> None:
    """JSON merge patch of one key: null removes, a mapping merges into a mapping,
    anything else replaces."""
    assert isinstance(target.value, dict)
    old = target.value.get(key)
    if value.value is None:
        target.value.pop(key, None)
    elif isinstance(value.value, dict) and old is not None and isinstance(old.value, dict):
        for k, v in value.value.items():
            merge_patch(old, k, v)
    else:
        target.value[key] = value


def dump_with_origins(node: Node, name: str) -> tuple[str, Origins]:
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
