"""The problems of one book, collected while it compiles.

Every rule reports *all* its problems with a location, so an author fixes a
flow in one round. :class:`Problems` is where they gather; it also compiles
conditions and texts, because a broken expression is a problem at the
expression's place, and an organisation text it reads must exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.flowspec.errors import FlowProblem, SourceLocation
from bot.flowspec.expressions import (
    Condition,
    ExpressionError,
    Text,
    compile_condition,
    compile_text,
    org_texts_read,
)
from bot.flowspec.source import Located, Path

_Compiled = TypeVar("_Compiled", Condition, Text)


@dataclass
class Problems:
    """Every problem found in one book so far, and the organisation texts it may read."""

    found: list[FlowProblem] = field(default_factory=list)
    org_texts: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, where: SourceLocation, message: str) -> None:
        self.found.append(FlowProblem(where, message))

    def extend(self, problems: list[FlowProblem]) -> None:
        self.found.extend(problems)

    def condition(self, source: str, src: Located, path: Path) -> Condition | None:
        """``source`` compiled as a condition, or None (and a problem at ``path``)."""
        return self._compiled(compile_condition, source, src, path, expression=True)

    def text(self, source: str, src: Located, path: Path) -> Text | None:
        """``source`` compiled as a text template, or None (and a problem at ``path``)."""
        return self._compiled(compile_text, source, src, path, expression=False)

    def _compiled(
        self,
        compile_: Callable[[str], _Compiled],
        source: str,
        src: Located,
        path: Path,
        *,
        expression: bool,
    ) -> _Compiled | None:
        try:
            compiled = compile_(source)
        except ExpressionError as exc:
            self.add(_line_within(src.where(path), exc.line), str(exc))
            return None
        self._check_org_texts(source, src, path, expression=expression)
        return compiled

    def _check_org_texts(self, source: str, src: Located, path: Path, *, expression: bool) -> None:
        """An organisation text a flow reads must exist, or the user would see nothing."""
        for name in sorted(org_texts_read(source, expression=expression) - self.org_texts):
            self.add(
                src.where(path),
                f"organisatie.yaml has no text '{name}' under 'teksten'",
            )


def _line_within(where: SourceLocation, line: int) -> SourceLocation:
    """The location of ``line`` (1-based) of a multi-line value that starts at ``where``."""
    if line <= 1:
        return where
    return SourceLocation(where.path, where.line + line - 1, 1)
