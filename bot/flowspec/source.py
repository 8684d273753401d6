"""Read YAML into plain data while remembering where every key and value stands.

PyYAML's composer (libyaml's ``CSafeLoader`` when available) keeps a
``start_mark`` on every node. We convert the node tree ourselves instead of
letting YAML construct Python values, for two reasons: every scalar stays a
string (YAML 1.1 would turn ``ja``-like words such as ``no``, ``yes``, ``on``
and ``off`` into booleans, and a Dutch flow will have answers like those), and
we keep a map from each data path to its location so later validation errors
can point at ``file:line:column``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.flowspec.errors import FlowProblem, SourceLocation

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

Path = tuple[str | int, ...]
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass
class Located:
    """Plain data from one YAML document plus the location of every path in it."""

    file: str
    data: Any
    values: dict[Path, SourceLocation] = field(default_factory=dict)
    keys: dict[Path, SourceLocation] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> SourceLocation:
        """The location of ``path`` (its key if ``key``), or of its nearest parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return self.values.get((), SourceLocation(self.file, 1, 1))


class YamlSyntaxError(Exception):
    """A YAML document that cannot be parsed; carries a located problem."""

    def __init__(self, problem: FlowProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _loc(file: str, node: yaml.Node) -> SourceLocation:
    mark = node.start_mark
    return SourceLocation(file, mark.line + 1, mark.column + 1)


def _convert(node: yaml.Node, path: Path, out: Located) -> Any:
    out.values[path] = _loc(out.file, node)
    if isinstance(node, yaml.ScalarNode):
        if (
            node.tag == _NULL_TAG
            and not node.style
            and node.value in ("", "~", "null", "Null", "NULL")
        ):
            return None
        return str(node.value)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), out) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlSyntaxError(
                    FlowProblem(_loc(out.file, key_node), "a key must be a plain word")
                )
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                raise YamlSyntaxError(
                    FlowProblem(_loc(out.file, key_node), f"key '{key}' appears twice")
                )
            out.keys[child] = _loc(out.file, key_node)
            result[key] = _convert(value_node, child, out)
        return result
    raise YamlSyntaxError(  # pragma: no cover - composer yields only these three
        FlowProblem(_loc(out.file, node), "unsupported YAML node")
    )


def read_yaml(file: str, text: str) -> Located:
    """Parse one YAML document into :class:`Located`; raise :class:`YamlSyntaxError`."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {exc.problem or exc.context or 'unreadable'}"
        raise YamlSyntaxError(FlowProblem(SourceLocation(file, line, column), message)) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        message = f"YAML syntax error: {exc.reason} (character {exc.character!r})"
        raise YamlSyntaxError(FlowProblem(SourceLocation(file, line, column), message)) from exc
    except yaml.YAMLError as exc:
        message = "YAML syntax error: " + " ".join(str(exc).split())
        raise YamlSyntaxError(FlowProblem(SourceLocation(file, 1, 1), message)) from exc
    out = Located(file, None)
    if node is None:
        out.data = None
        return out
    out.data = _convert(node, (), out)
    return out


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """``value`` if it is a mapping, else None (helper for shape checks)."""
    return value if isinstance(value, Mapping) else None
