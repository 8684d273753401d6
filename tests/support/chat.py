"""A test driver for the pure engine: type lines, read replies.

Every step round-trips the state through JSON, so state that would not
survive the database fails here first.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from bot.engine.context import Context, FindsIdentifiers, KnowledgeLike, NoKnowledge
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    DocumentRequest,
    EngineReply,
    Incoming,
    RecordFinished,
    Say,
    StepResult,
    TextIn,
)
from bot.engine.runner import begin, step
from bot.engine.state import State
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 11, 23, 10, 0)  # a Monday


def fixture_book() -> FlowBook:
    return load_book(FIXTURES / "flows")


class EngineChat:
    """Drives one conversation through ``bot.engine.runner.step``."""

    def __init__(
        self,
        book: FlowBook,
        *,
        traits: ChannelTraits | None = None,
        knowledge: KnowledgeLike | None = None,
        now: datetime = NOW,
        identifiers: FindsIdentifiers | None = None,
    ) -> None:
        self.book = book
        self.ctx = Context(
            now=now,
            traits=traits or ChannelTraits("test"),
            knowledge=knowledge or NoKnowledge(),
            trace=True,  # coverage: the edges walked
        )
        if identifiers is not None:
            self.ctx = replace(self.ctx, identifiers=identifiers)
        self.state = State()
        self.last: StepResult | None = None
        self.records: list[RecordFinished] = []
        self.edges: set[tuple[str, str, str]] = set()

    def _keep(self, result: StepResult) -> list[EngineReply]:
        restored = State.from_json(json.loads(json.dumps(result.state.to_json())))
        assert restored == result.state
        self.state = restored
        self.last = result
        self.records.extend(result.effects)
        self.edges.update(result.trace)
        return result.replies

    def start(self, flow_id: str) -> list[EngineReply]:
        return self._keep(begin(self.book, self.state, flow_id, self.ctx))

    def send(self, incoming: Incoming | str) -> list[EngineReply]:
        message = TextIn(incoming) if isinstance(incoming, str) else incoming
        return self._keep(step(self.book, self.state, message, self.ctx))

    def say(self, *lines: str) -> list[EngineReply]:
        replies: list[EngineReply] = []
        for line in lines:
            replies = self.send(line)
        return replies

    @property
    def ask(self) -> Ask:
        assert self.last is not None
        asks = [r for r in self.last.replies if isinstance(r, Ask)]
        assert asks, f"no question in {self.last.replies}"
        return asks[-1]

    @property
    def texts(self) -> list[str]:
        assert self.last is not None
        return [r.text for r in self.last.replies if isinstance(r, Say)]

    @property
    def documents(self) -> list[DocumentRequest]:
        assert self.last is not None
        return [r for r in self.last.replies if isinstance(r, DocumentRequest)]
