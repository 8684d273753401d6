"""Reads ``knowledge/*.md`` into a :class:`~bot.knowledge.base.KnowledgeBase`.

Organisations edit these articles themselves, so every mistake must point at
the line to fix. Each file is checked completely and all problems of all files
are raised together as one :class:`~bot.flowspec.errors.FlowLoadError`, each
located as ``path:line:column`` (1-based) at the offending key or value.

The front matter is split off and read by the flows' own YAML reader
(:mod:`bot.flowspec.source`), which keeps every value a string (YAML's own
constructors would turn ``ja``/``nee``/``no``/``on`` into booleans and
``2026-11-23`` into a date before we could check it) and the location of
every key and value. A pydantic model with ``extra="forbid"`` then checks the
shape, and its errors are located by the same reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.flowspec.errors import FlowLoadError, FlowProblem, SourceLocation
from bot.flowspec.source import (
    FrontMatterMissingError,
    FrontMatterUnclosedError,
    Located,
    YamlSyntaxError,
    read_yaml,
    split_front_matter,
    validation_problems,
)
from bot.knowledge.base import MAX_WORDS, Article, KnowledgeBase, count_words

MAX_TITLE_LENGTH: Final = 60
"""Titles are shown in the ``kennis`` list on a phone: keep them short."""

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SOURCE_SEPARATOR = " – "


# ------------------------------------------------------------------ the shape


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError("use lowercase letters, digits and single hyphens, e.g. 'vier-ogen'")
    return value


def _check_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _at_most(limit: int, advice: str) -> Callable[[str], str]:
    """A check for text that is shown on a phone: not empty, at most ``limit`` characters."""

    def check(value: str) -> str:
        value = _check_text(value)
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters; keep it {advice}")
        return value

    return check


_check_title = _at_most(MAX_TITLE_LENGTH, f"at most {MAX_TITLE_LENGTH} for a phone screen")

SUMMARY_MAX = 600
"""A ``samenvatting`` is the first message a phone shows: at most this many characters."""

_check_summary = _at_most(SUMMARY_MAX, f"to at most {SUMMARY_MAX} (one phone message)")


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


# ------------------------------------------------------------------ one file


@dataclass
class _Parsed:
    article: Article | None
    declared_id: str | None
    id_location: SourceLocation | None
    problems: list[FlowProblem]


def _parse_article(text: str, path: str, expected_id: str) -> _Parsed:
    """Check one article's text; ``expected_id`` is its file name without ``.md``."""
    problems: list[FlowProblem] = []

    def add(line: int, message: str) -> _Parsed:
        problems.append(FlowProblem(SourceLocation(path, line, 1), message))
        return _Parsed(None, None, None, problems)

    try:
        split = split_front_matter(text)
    except FrontMatterMissingError:
        return add(
            1,
            "missing front matter: start the file with a line '---', "
            "then id, title, tags, sources and peildatum, then a line '---'",
        )
    except FrontMatterUnclosedError:
        return add(1, "front matter is not closed: add a line '---' after the keys")

    body = "\n".join(split.body_lines).strip()
    first_body = next((i for i, line in enumerate(split.body_lines) if line.strip()), None)
    if first_body is None:
        add(split.closing_line, "the article has no text after the front matter")
    elif (words := count_words(body)) > MAX_WORDS:
        add(
            split.closing_line + 1 + first_body,
            f"the text is {words} words; keep it at most {MAX_WORDS} for a phone screen",
        )

    try:
        src = read_yaml(path, split.yaml, first_line=split.yaml_line)
    except YamlSyntaxError as exc:
        problems.extend(exc.problems)
        return _Parsed(None, None, None, problems)
    if src.data is None and () not in src.values:  # nothing but blank lines or comments
        return add(1, "front matter is empty: add id, title, tags, sources and peildatum")
    if not isinstance(src.data, dict):
        message = "front matter must be keys with values, e.g. 'title: ...'"
        problems.append(FlowProblem(src.where(()), message))
        return _Parsed(None, None, None, problems)

    declared_id: str | None = None
    id_location: SourceLocation | None = None
    raw_id = src.data.get("id")
    if isinstance(raw_id, str) and _ID.fullmatch(raw_id):
        declared_id = raw_id
        id_location = src.where(("id",))
        if raw_id != expected_id:
            problems.append(
                FlowProblem(
                    id_location,
                    f"id '{raw_id}' does not match the file name '{expected_id}.md'; "
                    "rename the file or change the id",
                )
            )

    model = _validate(src, problems)
    if model is None or problems:
        return _Parsed(None, declared_id, id_location, problems)
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
    return _Parsed(article, declared_id, id_location, problems)


def _validate(src: Located, problems: list[FlowProblem]) -> _FrontMatter | None:
    """The front matter's shape; an empty value counts as empty text, never as absent."""
    try:
        return _FrontMatter.model_validate(_nulls_as_text(src.data))
    except ValidationError as exc:
        problems.extend(validation_problems(exc, src, allowed=_KEYS))
    return None


def _nulls_as_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return [_nulls_as_text(item) for item in value]
    if isinstance(value, dict):
        return {key: _nulls_as_text(item) for key, item in value.items()}
    return value


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
