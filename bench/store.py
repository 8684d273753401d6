"""The store's own work per step: load a conversation, save its next state.

Issue 15 gives the store a budget of its own (≤ 0.5 of an echo update on
SQLite). Measured here without the engine, the channel or the access gate:
the states of one walk of the main flow are made first (by the engine, not
timed); then, per timed step, ``SqlStore.run_step`` loads the conversation
and saves the next of those states (the loaded log with the step's new entries
after it), as the service does: one ``run_step``
per message (on SQLite a read and one write transaction; on PostgreSQL one
transaction under the conversation's advisory lock), sealed, the answer log
written as a diff. Warm: the process has done it before; the conversation's
log is in the store's cache, as it is for a chat that keeps talking.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import count

from bench.engine import NOW, TRAITS, answer_for
from bot.crypto import MasterKey
from bot.engine.context import Context, KnowledgeLike, NoKnowledge
from bot.engine.messages import Ask, DocumentRequest
from bot.engine.runner import begin, step
from bot.engine.state import State, evolve
from bot.flowspec.graph import FlowBook
from bot.service.ports import ConversationKey, LoadedStep, StepWrite
from bot.store.migrate import upgrade
from bot.store.sql import SqlStore, create_store

MAX_STEPS = 400


def walk_states(
    book: FlowBook, flow_id: str, knowledge: KnowledgeLike | None = None
) -> list[State]:
    """The state after each step of one walk of ``flow_id`` (a user who presses
    the first button or types a short answer), up to the vastlegging."""
    ctx = Context(now=NOW, traits=TRAITS, knowledge=knowledge or NoKnowledge())
    result = begin(book, State(), flow_id, ctx)
    states = [result.state]
    for _ in range(MAX_STEPS):
        if any(isinstance(r, DocumentRequest) and r.final for r in result.replies):
            return states
        asks = [r for r in result.replies if isinstance(r, Ask)]
        result = step(book, result.state, answer_for(asks[-1]), ctx)
        states.append(result.state)
    msg = f"{flow_id}: no vastlegging after {MAX_STEPS} steps"
    raise AssertionError(msg)


def _common(states: list[State], index: int) -> int:
    if index == 0:
        return 0
    before, after = states[index - 1].log, states[index].log
    same = 0
    while same < min(len(before), len(after)) and before[same] == after[same]:
        same += 1
    return same


@dataclass
class StoreBench:
    """A migrated database, its ``SqlStore``, and the states it saves."""

    store: SqlStore
    states: list[State]
    kept: list[int]
    """Per state: how many entries of the previous state's log it starts with."""
    _chats: count[int]

    @classmethod
    def create(cls, url: str, states: list[State]) -> StoreBench:
        upgrade(url)
        # The key of the environment: (e) seals the same database with it.
        store = create_store(url, master=MasterKey.from_environment())
        return cls(store, states, [_common(states, i) for i in range(len(states))], count(1))

    def walk(self) -> tuple[float, int]:
        """Save every state of the walk in a new chat; (seconds, steps)."""
        key = ConversationKey("bench-store", str(next(self._chats)))
        seconds = 0.0
        for state, same in zip(self.states, self.kept, strict=True):

            def plan(
                loaded: LoadedStep, state: State = state, same: int = same
            ) -> tuple[StepWrite, None]:
                # As the engine does: the loaded entries it keeps, its new ones after them.
                if loaded.state is not None:
                    state = evolve(state, log=loaded.state.log[:same] + state.log[same:])
                return StepWrite(key, loaded.revision, state), None

            started = time.perf_counter()
            self.store.run_step(key, plan)
            seconds += time.perf_counter() - started
        return seconds, len(self.states)

    def close(self) -> None:
        self.store.close()
