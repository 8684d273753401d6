"""Reads ``knowledge/*.md`` into a :class:`~bot.knowledge.base.KnowledgeBase`.

Organisations edit these articles themselves, so every mistake must point at
the line to fix. Each file is checked completely and all problems of all files
are raised together as one :class:`~bot.flowspec.errors.FlowLoadError`, each
located as ``path:line:column`` (1-based) at the offending key or value.

The front matter is composed with libyaml (``yaml.compose``), which keeps a
mark on every node, and turned into plain strings and lists by hand: YAML's
own constructors would turn ``ja``/``nee``/``no``/``on`` into booleans and
``2026-11-23`` into a date before we could check it. A pydantic model with
``extra="forbid"`` then checks the shape, and its error locations are mapped
back to the nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from bot.flowspec.errors import FlowLoadError, FlowProblem, SourceLocation
from bot.knowledge.base import MAX_WORDS, Article, KnowledgeBase, count_words

MAX_TITLE_LENGTH: Final = 60
"""Titles are shown in the ``kennis`` list on a phone: keep them short."""

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SOURCE_SEPARATOR = " – "
_FENCES = ("---", "...")


# ------------------------------------------------------------------ the shape


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError("use lowercase letters, digits and single hyphens, e.g. 'vier-ogen'")
    return value


def _check_title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_TITLE_LENGTH:
        raise ValueError(
            f"is {len(value)} characters; keep it at most {MAX_TITLE_LENGTH} for a phone screen"
        )
    return value


def _check_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


SUMMARY_MAX = 600
"""A ``samenvatting`` is the first message a phone shows: at most this many characters."""


def _check_summary(value: str) -> str:
    value = _check_text(value)
    if len(value) > SUMMARY_MAX:
        raise ValueError(
            f"is {len(value)} characters; keep it to at most {SUMMARY_MAX} (one phone message)"
        )
    return value


def _check_source(value: str) -> str:
    value = value.strip()
    parts = [part.strip() for part in value.split(_SOURCE_SEPARATOR)]
    if len(parts) < 3 or not all(parts):
        raise ValueError(
            "write a source as 'title – organisation – year' "
            "(with en dashes; use 'z.j.' when there is no year)"
        )
    return value


class _FrontMatter(BaseModel):
    """The keys an article's front matter must have, and nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[str, AfterValidator(_check_id)]
    title: Annotated[str, AfterValidator(_check_title)]
    tags: Annotated[list[Annotated[str, AfterValidator(_check_text)]], Field(min_length=1)]
    sources: Annotated[list[Annotated[str, AfterValidator(_check_source)]], Field(min_length=1)]
    peildatum: date
    samenvatting: Annotated[str, AfterValidator(_check_summary)] | None = None

    @field_validator("peildatum", mode="before")
    @classmethod
    def _parse_peildatum(cls, value: object) -> object:
        if not isinstance(value, str):
            return value  # strict date validation reports the wrong type
        text = value.strip()
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23"
            ) from None


_KEYS: Final = tuple(_FrontMatter.model_fields)

_FRIENDLY: Final = {
    "string_type": "must be text",
    "list_type": "must be a list, e.g. [a, b]",
    "too_short": "needs at least one entry",
    "date_type": "must be a date written as YYYY-MM-DD, e.g. 2026-11-23",
}


# ------------------------------------------------------------------ front matter -> values


@dataclass
class _Tree:
    """The front matter as plain values, with the node of every key and value."""

    data: dict[str, Any]
    keys: dict[str, yaml.Node]
    values: dict[str, yaml.Node]
    mapping: yaml.MappingNode


def _plain(node: yaml.Node) -> Any:
    """Strings and lists only: no booleans, numbers or dates are ever made."""
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {
            _plain(k) if isinstance(k, yaml.ScalarNode) else "?": _plain(v) for k, v in node.value
        }
    return str(node.value)


def _node_at(tree: _Tree, loc: tuple[int | str, ...]) -> yaml.Node:
    """The node a pydantic error location points at (the deepest one that exists)."""
    if not loc or not isinstance(loc[0], str) or loc[0] not in tree.values:
        return tree.mapping
    node = tree.values[loc[0]]
    for part in loc[1:]:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == part]
            if not match:
                break
            node = match[0]
        else:
            break
    return node


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# ------------------------------------------------------------------ one file


@dataclass
class _Parsed:
    article: Article | None
    declared_id: str | None
    id_location: SourceLocation | None
    problems: list[FlowProblem]


class _File:
    """Problem collection for one file; front-matter marks are offset by the opening fence."""

    def __init__(self, path: str, front_first_line: int) -> None:
        self.path = path
        self.front_first_line = front_first_line
        self.problems: list[FlowProblem] = []

    def at(self, line: int, column: int = 1) -> SourceLocation:
        return SourceLocation(self.path, line, column)

    def at_node(self, node: yaml.Node) -> SourceLocation:
        mark = node.start_mark
        return self.at(self.front_first_line + mark.line, mark.column + 1)

    def add(self, location: SourceLocation, message: str) -> None:
        self.problems.append(FlowProblem(location, message))


def _split(lines: list[str]) -> int | None:
    """The index of the closing fence, or None if there is none."""
    for index in range(1, len(lines)):
        if lines[index].rstrip() in _FENCES:
            return index
    return None


def _compose(front: str, file: _File) -> yaml.Node | None:
    try:
        return yaml.compose(front, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}"
        if exc.context and exc.problem:
            message += f" ({exc.context}"
            if exc.context_mark is not None:
                where = file.at(file.front_first_line + exc.context_mark.line)
                message += (
                    f" that starts at line {where.line}, column {exc.context_mark.column + 1}"
                )
            message += ")"
        if mark is None:
            file.add(file.at(file.front_first_line), message)
        else:
            file.add(file.at(file.front_first_line + mark.line, mark.column + 1), message)
    except yaml.reader.ReaderError as exc:
        before = front[: exc.position]
        line = file.front_first_line + before.count("\n")
        column = exc.position - (before.rfind("\n") + 1) + 1
        file.add(file.at(line, column), f"YAML syntax error: {exc.reason}")
    except yaml.YAMLError as exc:  # anything else libyaml may raise
        file.add(file.at(file.front_first_line), f"YAML syntax error: {exc}")
    return None


def _tree(node: yaml.Node, file: _File) -> _Tree | None:
    if not isinstance(node, yaml.MappingNode):
        file.add(file.at_node(node), "front matter must be keys with values, e.g. 'title: ...'")
        return None
    tree = _Tree({}, {}, {}, node)
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            file.add(file.at_node(key_node), "a key must be a plain word, e.g. 'title'")
            continue
        key = str(key_node.value)
        if key in tree.keys:
            first = file.at_node(tree.keys[key])
            file.add(file.at_node(key_node), f"duplicate key '{key}' (first at line {first.line})")
            continue
        tree.keys[key] = key_node
        tree.values[key] = value_node
        tree.data[key] = _plain(value_node)
    return tree


def _validate(tree: _Tree, file: _File) -> _FrontMatter | None:
    try:
        return _FrontMatter.model_validate(tree.data)
    except ValidationError as exc:
        for error in exc.errors():
            _report(error, tree, file)
    return None


def _report(error: ErrorDetails, tree: _Tree, file: _File) -> None:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        file.add(file.at_node(tree.mapping), f"missing key '{_dotted(loc)}'")
    elif kind == "extra_forbidden":
        key = str(loc[0])
        file.add(
            file.at_node(tree.keys[key]),
            f"unknown key '{key}'; allowed keys are {', '.join(_KEYS)}",
        )
    else:
        message = _FRIENDLY.get(kind) or error["msg"].removeprefix("Value error, ")
        file.add(file.at_node(_node_at(tree, loc)), f"{_dotted(loc)}: {message}")


def _parse_article(text: str, path: str, expected_id: str) -> _Parsed:
    """Check one article's text; ``expected_id`` is its file name without ``.md``."""
    lines = text.removeprefix("\ufeff").splitlines()
    file = _File(path, front_first_line=2)
    if not lines or lines[0].rstrip() != "---":
        file.add(
            file.at(1),
            "missing front matter: start the file with a line '---', "
            "then id, title, tags, sources and peildatum, then a line '---'",
        )
        return _Parsed(None, None, None, file.problems)
    closing = _split(lines)
    if closing is None:
        file.add(file.at(1), "front matter is not closed: add a line '---' after the keys")
        return _Parsed(None, None, None, file.problems)

    body_lines = lines[closing + 1 :]
    body = "\n".join(body_lines).strip()
    first_body = next((i for i, line in enumerate(body_lines) if line.strip()), None)
    body_line = closing + 2 + (first_body or 0)
    if first_body is None:
        file.add(file.at(closing + 1), "the article has no text after the front matter")
    elif (words := count_words(body)) > MAX_WORDS:
        file.add(
            file.at(body_line),
            f"the text is {words} words; keep it at most {MAX_WORDS} for a phone screen",
        )

    front = "\n".join(lines[1:closing]) + "\n"
    before = len(file.problems)
    node = _compose(front, file)
    if node is None:
        if len(file.problems) == before:  # nothing but blank lines or comments
            file.add(
                file.at(1), "front matter is empty: add id, title, tags, sources and peildatum"
            )
        return _Parsed(None, None, None, file.problems)
    tree = _tree(node, file)
    if tree is None:
        return _Parsed(None, None, None, file.problems)

    declared_id: str | None = None
    id_location: SourceLocation | None = None
    raw_id = tree.data.get("id")
    if isinstance(raw_id, str) and _ID.fullmatch(raw_id):
        declared_id = raw_id
        id_location = file.at_node(tree.values["id"])
        if raw_id != expected_id:
            file.add(
                id_location,
                f"id '{raw_id}' does not match the file name '{expected_id}.md'; "
                "rename the file or change the id",
            )

    model = _validate(tree, file)
    if model is None or file.problems:
        return _Parsed(None, declared_id, id_location, file.problems)
    article = Article(
        id=model.id,
        title=model.title,
        tags=tuple(model.tags),
        sources=tuple(model.sources),
        peildatum=model.peildatum,
        body=body,
        path=path,
        summary=model.samenvatting or "",
    )
    return _Parsed(article, declared_id, id_location, file.problems)


# ------------------------------------------------------------------ the folder


def _decode(raw: bytes, path: str) -> str | FlowProblem:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return FlowProblem(
            SourceLocation(path, line, column), "the file is not UTF-8 text; save it as UTF-8"
        )


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load every ``*.md`` file in ``directory`` (not its subfolders).

    Raises :class:`~bot.flowspec.errors.FlowLoadError` listing every problem
    in every file if anything is wrong; otherwise returns the knowledge base.
    """
    if not directory.is_dir():
        location = SourceLocation(str(directory))
        raise FlowLoadError([FlowProblem(location, "the knowledge folder does not exist")])
    paths = sorted(p for p in directory.glob("*.md") if not p.name.startswith("."))
    if not paths:
        location = SourceLocation(str(directory))
        raise FlowLoadError([FlowProblem(location, "the knowledge folder has no *.md articles")])

    problems: list[FlowProblem] = []
    articles: list[Article] = []
    first_seen: dict[str, SourceLocation] = {}
    for path in paths:
        name = str(path)
        try:
            text = _decode(path.read_bytes(), name)
        except OSError as exc:
            problems.append(FlowProblem(SourceLocation(name), f"cannot read the file: {exc}"))
            continue
        if isinstance(text, FlowProblem):
            problems.append(text)
            continue
        parsed = _parse_article(text, name, expected_id=path.stem)
        problems.extend(parsed.problems)
        if parsed.declared_id is not None and parsed.id_location is not None:
            earlier = first_seen.get(parsed.declared_id)
            if earlier is not None:
                problems.append(
                    FlowProblem(
                        parsed.id_location,
                        f"duplicate id '{parsed.declared_id}' (also used in {earlier})",
                    )
                )
                continue
            first_seen[parsed.declared_id] = parsed.id_location
        if parsed.article is not None:
            articles.append(parsed.article)
    if problems:
        raise FlowLoadError(problems)
    return KnowledgeBase(articles)
