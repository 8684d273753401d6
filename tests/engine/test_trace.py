"""The edges walked (coverage data for tests) are recorded only when asked for."""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.runner import begin
from bot.engine.state import State
from tests.support.chat import NOW, fixture_book


def test_trace_is_off_unless_the_context_asks_for_it() -> None:
    book = fixture_book()
    quiet = begin(book, State(), "demo", Context(now=NOW))
    traced = begin(book, State(), "demo", Context(now=NOW, trace=True))
    assert quiet.trace == []
    assert traced.trace, "a traced start walks at least one edge"
    assert all(block == "demo" for block, _, _ in traced.trace[:1])
    assert quiet.replies == traced.replies
