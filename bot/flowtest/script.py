"""Read a scripted conversation (the ``flows/examples`` format, and its growth).

A script holds (every value is text; ``ja``/``nee`` never become booleans):

- ``title``, ``flow`` (the flow to start) and ``now`` (the clock, ISO 8601);
- either ``lines`` (what the professional types, in order), or ``steps``:
  a list whose items are a line, or a mapping with ``answer`` (the line),
  ``ask`` (part of the question that must be open before it) and ``then``
  (part of a text the bot must show in reply to it);
- ``expect``: ``case_code``; ``answers`` (the whole answer tree, flattened to
  dotted paths, skipped questions ``null``); ``advice`` (the ``record`` line
  of every advice given, in order); ``vastlegging`` (lines the plain-text
  vastlegging must hold).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.flowspec.source import YamlSyntaxError, read_yaml


class ScriptError(Exception):
    """A script that cannot be read; the message is Dutch and names the file."""


@dataclass(frozen=True)
class ScriptStep:
    """One line the professional types, with what should be true around it."""

    answer: str
    ask: str | None = None
    then: str | None = None


@dataclass(frozen=True)
class Script:
    """One scripted conversation."""

    path: str
    name: str
    title: str
    flow: str
    now: datetime
    steps: tuple[ScriptStep, ...]
    case_code: str | None = None
    expects_case_code: bool = False
    answers: Mapping[str, Any] | None = None
    advice: tuple[str, ...] | None = None
    vastlegging: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(s.answer for s in self.steps)

    @property
    def expects_end(self) -> bool:
        """Whether the script expects a vastlegging at the end."""
        return self.answers is not None or self.advice is not None or bool(self.vastlegging)


def _text(value: Any, what: str, path: str) -> str:
    if not isinstance(value, str):
        raise ScriptError(f"{path}: '{what}' moet tekst zijn")
    return value


def _step(item: Any, index: int, path: str) -> ScriptStep:
    if isinstance(item, str):
        return ScriptStep(item)
    if not isinstance(item, Mapping) or "answer" not in item:
        raise ScriptError(f"{path}: stap {index}: geef een regel tekst, of 'answer:' met tekst")
    unknown = set(item) - {"answer", "ask", "then"}
    if unknown:
        raise ScriptError(f"{path}: stap {index}: onbekend veld '{sorted(unknown)[0]}'")
    return ScriptStep(
        _text(item["answer"], "answer", path),
        None if item.get("ask") is None else _text(item["ask"], "ask", path),
        None if item.get("then") is None else _text(item["then"], "then", path),
    )


def parse_script(path: str, text: str) -> Script:
    """Read one script; raise :class:`ScriptError` with a Dutch message."""
    try:
        data = read_yaml(path, text).data
    except YamlSyntaxError as exc:
        raise ScriptError(str(exc.problem)) from exc
    if not isinstance(data, Mapping):
        raise ScriptError(f"{path}: een script is een lijst velden (title, flow, now, lines)")
    for key in ("flow", "now"):
        if key not in data:
            raise ScriptError(f"{path}: het veld '{key}' ontbreekt")
    try:
        now = datetime.fromisoformat(_text(data["now"], "now", path))
    except ValueError as exc:
        raise ScriptError(f"{path}: 'now' is geen tijd als 2026-11-23T10:15:00+01:00") from exc
    raw_steps = data.get("steps", data.get("lines"))
    if not isinstance(raw_steps, list):
        raise ScriptError(f"{path}: geef 'lines' of 'steps': wat de professional typt")
    steps = tuple(_step(item, i, path) for i, item in enumerate(raw_steps, start=1))
    expect = data.get("expect") or {}
    if not isinstance(expect, Mapping):
        raise ScriptError(f"{path}: 'expect' moet velden bevatten")
    answers = expect.get("answers")
    advice = expect.get("advice")
    return Script(
        path=path,
        name=Path(path).stem,
        title=str(data.get("title") or Path(path).stem),
        flow=_text(data["flow"], "flow", path),
        now=now,
        steps=steps,
        case_code=expect.get("case_code"),
        expects_case_code="case_code" in expect,
        answers=dict(answers) if isinstance(answers, Mapping) else None,
        advice=tuple(advice) if isinstance(advice, list) else None,
        vastlegging=tuple(expect.get("vastlegging") or ()),
        extra={
            k: v
            for k, v in data.items()
            if k not in {"title", "flow", "now", "lines", "steps", "expect"}
        },
    )


def load_script(path: Path) -> Script:
    """Read the script in ``path``."""
    return parse_script(str(path), path.read_text(encoding="utf-8"))
