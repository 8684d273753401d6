"""Read YAML into plain data while remembering where every key and value stands.

One reader for every YAML an organisation edits: flow files,
``organisatie.yaml`` and the front matter of knowledge articles. PyYAML's
composer (libyaml's ``CSafeLoader`` when available) keeps a ``start_mark`` on
every node. We convert the node tree ourselves instead of letting YAML
construct Python values, for two reasons: every scalar stays a string (YAML
1.1 would turn ``ja``-like words such as ``no``, ``yes``, ``on`` and ``off``
into booleans, and ``2026-11-23`` into a date, and a Dutch flow will have
answers like those), and we keep a map from each data path to its location so
later validation errors (:func:`validation_problems`) can point at
``file:line:column``.

Front matter (a YAML block between ``---`` lines above a text) is split here
too (:func:`split_front_matter`), keeping the line numbers:
``python-frontmatter`` would parse the YAML with PyYAML's constructors and
lose both the strings and the marks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from pydantic import ValidationError

from bot.flowspec.errors import FlowProblem, SourceLocation

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

Path = tuple[str | int, ...]
_NULL_TAG = "tag:yaml.org,2002:null"
_FENCES = ("---", "...")

FRIENDLY: Final = {
    "string_type": "must be text",
    "list_type": "must be a list, e.g. [a, b]",
    "too_short": "needs at least one entry",
    "date_type": "must be a date written as YYYY-MM-DD, e.g. 2026-11-23",
}
"""Pydantic's error types an author meets most, in words an author understands."""


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
    """A YAML document that cannot be read; carries every located problem.

    ``problem`` is the first of ``problems`` (a syntax error stops the reader;
    repeated or non-word keys are all collected first).
    """

    def __init__(self, problems: Sequence[FlowProblem] | FlowProblem) -> None:
        self.problems = [problems] if isinstance(problems, FlowProblem) else list(problems)
        self.problem = self.problems[0]
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class _Reader:
    """Turns a node tree into :class:`Located`; lines shift by ``first_line - 1``."""

    out: Located
    first_line: int
    problems: list[FlowProblem] = field(default_factory=list)

    def loc(self, node: yaml.Node) -> SourceLocation:
        mark = node.start_mark
        return SourceLocation(self.out.file, mark.line + self.first_line, mark.column + 1)

    def convert(self, node: yaml.Node, path: Path) -> Any:
        self.out.values[path] = self.loc(node)
        if isinstance(node, yaml.ScalarNode):
            if (
                node.tag == _NULL_TAG
                and not node.style
                and node.value in ("", "~", "null", "Null", "NULL")
            ):
                return None
            return str(node.value)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        raise YamlSyntaxError(  # pragma: no cover - composer yields only these three
            FlowProblem(self.loc(node), "unsupported YAML node")
        )

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(FlowProblem(self.loc(key_node), "a key must be a plain word"))
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.out.keys[child].line
                message = f"duplicate key '{key}' (first at line {first})"
                self.problems.append(FlowProblem(self.loc(key_node), message))
                continue
            self.out.keys[child] = self.loc(key_node)
            result[key] = self.convert(value_node, child)
        return result


def _syntax_problem(file: str, text: str, exc: yaml.YAMLError, first_line: int) -> FlowProblem:
    """PyYAML's complaint at its line and column, with the construct it was reading."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + first_line, mark.column + 1) if mark else (first_line, 1)
        message = f"YAML syntax error: {exc.problem or exc.context or 'unreadable'}"
        if exc.context and exc.problem:
            message += f" ({exc.context}"
            if exc.context_mark is not None:
                start = exc.context_mark
                message += (
                    f" that starts at line {start.line + first_line}, column {start.column + 1}"
                )
            message += ")"
        return FlowProblem(SourceLocation(file, line, column), message)
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        before = text[: exc.position]
        line = before.count("\n") + first_line
        column = len(before) - before.rfind("\n")
        message = f"YAML syntax error: {exc.reason} (character {exc.character!r})"
        return FlowProblem(SourceLocation(file, line, column), message)
    message = "YAML syntax error: " + " ".join(str(exc).split())
    return FlowProblem(SourceLocation(file, first_line, 1), message)


def read_yaml(file: str, text: str, *, first_line: int = 1) -> Located:
    """Parse one YAML document into :class:`Located`; raise :class:`YamlSyntaxError`.

    ``first_line`` is the line of ``file`` the text starts on (front matter
    starts on line 2, below its fence).
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_syntax_problem(file, text, exc, first_line)) from exc
    out = Located(file, None)
    if node is None:
        return out
    reader = _Reader(out, first_line)
    out.data = reader.convert(node, ())
    if reader.problems:
        raise YamlSyntaxError(reader.problems)
    return out


def dotted(loc: Path) -> str:
    """A data path as an author writes it: ``sources[1]``, ``steps[0].ask``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def validation_problems(
    exc: ValidationError, src: Located, base: Path = (), *, allowed: Sequence[str] = ()
) -> list[FlowProblem]:
    """Pydantic's errors for the data at ``base`` in ``src``, each at its line and column.

    An unknown key points at the key (and names the ``allowed`` ones, if
    given); a missing key at the mapping that lacks it; anything else at the
    value, in :data:`FRIENDLY` words where there are some.
    """
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = (*base, *loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
            if allowed:
                message += f"; allowed keys are {', '.join(allowed)}"
            where = src.where(path, key=True)
        elif kind == "missing":
            message = f"missing key '{dotted(loc)}'"
            where = src.where(path[:-1])
        else:
            text = FRIENDLY.get(kind) or err["msg"].removeprefix("Value error, ")
            message = f"{dotted(loc)}: {text}"
            where = src.where(path)
        problems.append(FlowProblem(where, message))
    return problems


@dataclass(frozen=True)
class FrontMatter:
    """A text split at its front matter: the YAML between the fences and the body."""

    yaml: str
    yaml_line: int
    """The line of the file the YAML starts on (1-based)."""
    closing_line: int
    """The line of the closing fence."""
    body_lines: list[str]
    """The lines after the closing fence."""


class FrontMatterMissingError(Exception):
    """The text does not start with a ``---`` line."""


class FrontMatterUnclosedError(Exception):
    """The front matter has no closing ``---`` (or ``...``) line."""


def split_front_matter(text: str) -> FrontMatter:
    """Split ``text`` at its front matter; raise :class:`FrontMatterMissingError` or
    :class:`FrontMatterUnclosedError`."""
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or lines[0].rstrip() != "---":
        raise FrontMatterMissingError
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() in _FENCES), None)
    if closing is None:
        raise FrontMatterUnclosedError
    return FrontMatter("\n".join(lines[1:closing]) + "\n", 2, closing + 1, lines[closing + 1 :])


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """``value`` if it is a mapping, else None (helper for shape checks)."""
    return value if isinstance(value, Mapping) else None
