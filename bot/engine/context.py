"""What the engine is given besides state and input: the clock, the channel's
traits and a read-only knowledge base. All plain values, so a step stays pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.engine.messages import ChannelTraits
from bot.identify.detector import PatternDetector
from bot.identify.findings import Finding


class ArticleLike(Protocol):
    """What the engine reads of a knowledge article."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def body(self) -> str: ...

    def as_message(self) -> str:
        """The whole article as one chat message (title, body, sources)."""

    def pages(self) -> Sequence[str]:
        """The article as chat messages of at most 600 characters: title and
        summary first, then the rest ("meer"), then the sources."""


class KnowledgeLike(Protocol):
    """What the engine needs of the knowledge base."""

    def get(self, article_id: str) -> ArticleLike | None: ...

    def all(self) -> Sequence[ArticleLike]: ...

    def search(self, query: str) -> Sequence[ArticleLike]: ...


class FindsIdentifiers(Protocol):
    """What the engine needs to keep identifying details out of the answers."""

    def find(self, text: str) -> list[Finding]:
        """What in ``text`` identifies a person, in text order."""


class NoKnowledge:
    """An empty knowledge base (for tests and flows without articles)."""

    def get(self, article_id: str) -> ArticleLike | None:
        return None

    def all(self) -> Sequence[ArticleLike]:
        return ()

    def search(self, query: str) -> Sequence[ArticleLike]:
        return ()


@dataclass(frozen=True)
class Context:
    """Inputs to a step that are not the conversation itself."""

    now: datetime
    traits: ChannelTraits = field(default_factory=lambda: ChannelTraits("console"))
    knowledge: KnowledgeLike = field(default_factory=NoKnowledge)
    identifiers: FindsIdentifiers = field(default_factory=PatternDetector)
    """Finds identifying details in free text; the app passes one that knows names
    too (``bot.identify.Detector``) once its lookup lists are loaded."""
    trace: bool = False
    """Record the edges walked in ``StepResult.trace`` (coverage data for tests);
    off in production, where nobody reads it."""
