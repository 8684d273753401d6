"""The answer tree, grown one entry at a time, is the tree built from the whole log.

``Scope.answers`` adds a newly logged entry to the last tree instead of
building it again (issue 15: rebuilding was a tenth of an engine step). These
tests hold the shortcut to the full build, for logs that overwrite answers,
nest them, and put a mapping where a plain value was (and the other way).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.engine.context import Context, NoKnowledge
from bot.engine.messages import ChannelTraits
from bot.engine.scope import Scope
from bot.engine.state import EntryKind, LogEntry
from bot.flowspec.loader import load_book
from bot.settings import Settings

PARTS = ("wie", "per_partner", "huisarts", "school", "weet_al", "antwoord")
_BOOK = load_book(Settings().flows_dir)


def _entry(path: tuple[str, ...], value: object) -> LogEntry:
    return LogEntry(path, value, EntryKind.ANSWER, (), "2026-01-01T00:00:00")


def _scope() -> Scope:
    ctx = Context(
        now=datetime(2026, 1, 1, tzinfo=UTC),
        traits=ChannelTraits(name="test", buttons=True),
        knowledge=NoKnowledge(),
    )
    return Scope(_BOOK, ctx)


paths = st.lists(st.sampled_from(PARTS), min_size=1, max_size=4).map(tuple)
values = st.one_of(st.none(), st.text(max_size=3), st.integers(), st.lists(st.text(max_size=2)))


@given(st.lists(st.tuples(paths, values), max_size=25))
def test_growing_the_tree_gives_the_whole_build(
    entries: list[tuple[tuple[str, ...], object]],
) -> None:
    scope = _scope()
    log: tuple[LogEntry, ...] = ()
    seen: list[tuple[tuple[LogEntry, ...], dict[str, object]]] = []
    for path, value in entries:
        log = (*log, _entry(path, value))
        grown = scope.answers(log)
        assert grown == Scope.tree(log)
        seen.append((log, Scope.tree(log)))
    # Earlier trees were left as they were (nothing shared was changed).
    for earlier, expected in seen:
        assert Scope.tree(earlier) == expected


def test_a_log_that_is_not_one_longer_is_built_anew() -> None:
    scope = _scope()
    rng = random.Random(15)
    log = tuple(_entry((rng.choice(PARTS), rng.choice(PARTS)), i) for i in range(10))
    assert scope.answers(log) == Scope.tree(log)
    shorter = log[:6]  # ``terug``/``wijzig`` cut the log
    assert scope.answers(shorter) == Scope.tree(shorter)
    other = (*log[:5], _entry(("wie",), "x"), _entry(("school",), "y"))
    assert scope.answers(other) == Scope.tree(other)
