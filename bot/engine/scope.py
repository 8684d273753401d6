"""What a step can see, and the answer log it writes to.

The base of the walker (:class:`~bot.engine.walker.Walker`): the book and
context of one engine step, the replies and effects so far, the answer tree
built from the log, the variables visible from a frame (answers up to a
called flow's edge, loop variables, the organisation settings), and the log
itself: writing entries and, during ``wijzig``, which answers changed. Pure.
"""

from __future__ import annotations

import operator
from typing import Any

from bot.engine.context import Context
from bot.engine.messages import EngineReply, RecordFinished
from bot.engine.state import JSON, EntryKind, Frame, LogEntry, Replay, State, evolve
from bot.flowspec.graph import AskStep, Block, FlowBook, ForeachStep, Step


def join_path(path: tuple[str, ...]) -> str:
    """An answer path as one key (``wie/per_partner/huisarts``)."""
    return "/".join(path)


def plain_json(value: Any) -> JSON:
    """Jinja values (e.g. Undefined) as plain JSON data."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    return None if not value else str(value)


def _adds_one(before: tuple[LogEntry, ...], after: tuple[LogEntry, ...]) -> bool:
    """Is ``after`` the very entries of ``before`` and one more?"""
    return len(after) == len(before) + 1 and all(map(operator.is_, before, after))


def _with_entry(tree: dict[str, Any], entry: LogEntry) -> dict[str, Any]:
    """``tree`` with ``entry`` added as ``Scope.tree`` adds it, leaving ``tree`` as it
    is: only the mappings along the entry's path are copied."""
    root = dict(tree)
    node = root
    for part in entry.path[:-1]:
        child = node.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        node[part] = child
        node = child
    node[entry.path[-1]] = entry.value
    return root


class Scope:
    """One step's working area: the book, the context, and the replies and effects so far."""

    def __init__(self, book: FlowBook, ctx: Context) -> None:
        self.book = book
        self.ctx = ctx
        self.replies: list[EngineReply] = []
        self.effects: list[RecordFinished] = []
        self.trace: list[tuple[str, str, str]] = []
        """Edges walked, as (block, from step, to step): only when ``ctx.trace`` is on."""
        self._org = book.org.model_dump()
        self._today = ctx.now.date().isoformat()
        # The answer tree of the log last asked for: one step reads the same log
        # for every condition, text and "because" line it evaluates.
        self._last_tree: tuple[tuple[LogEntry, ...], dict[str, Any]] | None = None

    @staticmethod
    def tree(log: tuple[LogEntry, ...]) -> dict[str, Any]:
        """The answers in ``log`` as nested mappings along their paths."""
        root: dict[str, Any] = {}
        for entry in log:
            node = root
            for part in entry.path[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
            node[entry.path[-1]] = entry.value
        return root

    def answers(self, log: tuple[LogEntry, ...]) -> dict[str, Any]:
        """``tree(log)``, built once per log: remembered until another log is asked for.

        Only read, never changed (flow expressions run in Jinja2's immutable sandbox).
        """
        last = self._last_tree
        if last is not None and last[0] is log:
            return last[1]
        if last is not None and _adds_one(last[0], log):
            tree = _with_entry(last[1], log[-1])  # the usual case: one entry logged
        else:
            tree = self.tree(log)
        self._last_tree = (log, tree)
        return tree

    @staticmethod
    def chain(stack: tuple[Frame, ...]) -> list[Frame]:
        """The frames whose answers the top frame can see (up to a called flow's edge)."""
        out: list[Frame] = []
        for frame in reversed(stack):
            out.append(frame)
            if frame.barrier:
                break
        out.reverse()
        return out

    def variables(self, state: State, stack: tuple[Frame, ...] | None = None) -> dict[str, Any]:
        stack = state.stack if stack is None else stack
        tree = self.answers(state.log)
        out: dict[str, Any] = {"org": self._org, "vandaag": self._today}
        for frame in self.chain(stack):
            node: Any = tree
            for part in frame.ns:
                node = node.get(part, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                out.update(node)
            out.update(frame.scope)
        return out

    def block(self, frame: Frame) -> Block:
        return self.book.blocks[frame.block]

    def step_of(self, frame: Frame) -> Step:
        return self.book.blocks[frame.block].steps[frame.step]

    def question_step(self, frame: Frame) -> AskStep:
        """The question ``frame`` stands at (a frame the walker stopped at is at one)."""
        step = self.step_of(frame)
        assert isinstance(step, AskStep), f"{frame.block}/{frame.step} is not a question"
        return step

    def foreach_step(self, frame: Frame) -> ForeachStep:
        """The ``foreach`` a loop body's parent frame stands at."""
        step = self.step_of(frame)
        assert isinstance(step, ForeachStep), f"{frame.block}/{frame.step} is not a foreach"
        return step

    def log(
        self,
        state: State,
        path: tuple[str, ...],
        value: JSON,
        kind: EntryKind,
        note: str | None = None,
    ) -> State:
        entry = LogEntry(path, value, kind, state.stack, self.ctx.now.isoformat(), note)
        return evolve(state, log=(*state.log, entry))

    def answered(self, state: State) -> list[LogEntry]:
        return [e for e in state.log if e.answered]

    def dirty(self, state: State, step: Step) -> bool:
        """Does ``step`` read an answer that changed during this ``wijzig``?"""
        replay = state.replay
        if replay is None or not replay.changed:
            return False
        for frame in self.chain(state.stack):
            for name in step.reads:
                cand = join_path((*frame.ns, name))
                for changed in replay.changed:
                    if (
                        changed == cand
                        or changed.startswith(cand + "/")
                        or cand.startswith(changed + "/")
                    ):
                        return True
        return False

    def mark_changed(self, state: State, path: tuple[str, ...], value: JSON) -> State:
        replay = state.replay
        if replay is None:
            return state
        key = join_path(path)
        old = replay.pool.get(key)
        if old is not None and old[0] == value:
            return state
        return evolve(state, replay=Replay(replay.pool, (*replay.changed, key)))
