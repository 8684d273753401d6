"""Located errors: every problem in a flow, template or article points at a line.

Organisations edit the flows themselves, so a mistake must be reported as
``path:line:column: message`` (1-based, like compilers and editors expect).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a source file; ``line`` and ``column`` are 1-based."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class FlowProblem:
    """One problem found while loading or validating, with its location."""

    location: SourceLocation
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class FlowLoadError(Exception):
    """Raised when one or more flows (or their templates/articles) are broken."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
