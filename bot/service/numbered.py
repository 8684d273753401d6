"""Kept rows that a member names in chat words by a letter and their id.

A reminder says "ja a17", a confirmation "klopt b12", an escalation
"accepteer e3": the action, the request and the escalation are each a
``Numbered`` row with its own ``LETTER``, so the short code is made one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Numbered:
    """A kept row: its id first, and ``code``, the short code the words use for it."""

    id: int
    LETTER: ClassVar[str]

    @property
    def code(self) -> str:
        """The letter and the id ("a17")."""
        return f"{self.LETTER}{self.id}"
