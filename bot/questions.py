"""What a question is, shared by the flow language and the engine.

``bot.flowspec`` compiles questions (their kind and choices) and ``bot.engine``
asks them; both need the same two value types. They live here, in a module
that imports nothing of either, so the engine may import the flow language
without the flow language importing the engine back (an import-linter
contract keeps it so).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class QuestionKind(StrEnum):
    """The kinds of question a flow can ask."""

    SINGLE = "choice"
    MULTI = "multi"
    YESNO = "yesno"
    TEXT = "text"
    DATE = "date"


@dataclass(frozen=True)
class Choice:
    """One option of a question: ``key`` is stored, ``label`` is shown."""

    key: str
    label: str
