"""The flows folder the studio shows, re-read on every page (it may be broken);
with an organisation's folder, that folder over the shipped flows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.context import KnowledgeLike
from bot.flowspec.compile import ORG_FILE, book_hash, compile_book
from bot.flowspec.errors import FlowLoadError, FlowProblem
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import read_sources
from bot.flowspec.overlay import compile_merged, merge
from bot.studio.composition import TrialRoom


@dataclass
class Snapshot:
    """One reading of the folder: its sources and either a book or its problems."""

    sources: dict[str, str]
    hash: str
    book: FlowBook | None
    problems: list[FlowProblem] = field(default_factory=list)
    room: TrialRoom | None = None

    def problems_in(self, name: str) -> list[FlowProblem]:
        return [p for p in self.problems if p.location.path == name]

    def other_problems(self) -> list[FlowProblem]:
        return [p for p in self.problems if p.location.path not in self.sources]


class Workspace:
    """A flows folder plus what it is checked against."""

    def __init__(
        self,
        folder: Path,
        *,
        knowledge: KnowledgeLike,
        articles: frozenset[str] | None,
        main_flow: str = "dilemma",
        published: dict[str, str] | None = None,
        published_name: str = "",
        org: Path | None = None,
        org_settings: Mapping[str, object] | None = None,
    ) -> None:
        self.folder = folder
        self.org = org
        #: An organisation's settings from the database (replace organisatie.yaml).
        self.org_settings = dict(org_settings) if org_settings else None
        self.knowledge = knowledge
        self.articles = articles
        self.main_flow = main_flow
        self.published = published
        self.published_name = published_name
        self._last: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        """The folder as it is now (compiled again only when a file changed).

        With an organisation's folder (``org``), the page shows that folder's
        files, and the book is the shipped flows with them over it
        (:mod:`bot.flowspec.overlay`); problems point at the organisation's files.
        """
        sources = read_sources(self.org if self.org is not None else self.folder)
        shipped = read_sources(self.folder) if self.org is not None else {}
        digest = book_hash({**{f"shipped/{k}": v for k, v in shipped.items()}, **sources})
        if self._last is not None and self._last.hash == digest:
            return self._last
        try:
            if self.org is not None:
                merged = merge(shipped, sources, shipped_root=str(self.folder), org_root="")
                if self.org_settings:
                    merged.sources[ORG_FILE] = yaml.safe_dump(
                        self.org_settings, allow_unicode=True, sort_keys=False
                    )
                book = compile_merged(merged, articles=self.articles)
            else:
                book = compile_book(sources, display_root="", articles=self.articles)
        except FlowLoadError as exc:
            self._last = Snapshot(sources, digest, None, list(exc.problems))
        else:
            main = self.main_flow if self.main_flow in book.flows else book.menu()[0].id
            room = TrialRoom(book, self.knowledge, main)
            self._last = Snapshot(sources, digest, book, [], room)
        return self._last

    def published_book(self) -> FlowBook | None:
        """The flows to compare with before publishing (None if not given or broken)."""
        if self.published is None:
            return None
        try:
            return compile_book(self.published, display_root=self.published_name)
        except FlowLoadError:
            return None
