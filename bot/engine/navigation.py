"""Navigation: moving a conversation through the compiled flow graph.

From the current step the walker *advances*: it says texts, enters called
flows and ``foreach`` items, skips steps whose ``when`` does not hold, keeps
earlier answers during ``wijzig`` unless they depend on a changed one, and
stops at the next open question or at the review. Each kind of step is its
own type, so the ``match`` in :meth:`Navigator.advance` is checked to handle
every kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_never

from bot.engine import texts
from bot.engine.finishing import Finisher
from bot.engine.messages import Say
from bot.engine.scope import join_path, plain_json
from bot.engine.state import EntryKind, Frame, Mode, State, evolve
from bot.flowspec.graph import (
    AdviseStep,
    AskStep,
    CallStep,
    EndStep,
    ForeachStep,
    SayStep,
    SetStep,
    Step,
)

WELCOME_STEP = "welkom"
"""A top flow's opening ``say`` with this id is its welcome: left out when the
user was just welcomed by the menu."""
_MAX_ADVANCE = 10_000


class Navigator(Finisher):
    """The walker's moves: along branches, into and out of blocks, to the next question."""

    def start_flow(self, state: State, flow_id: str, *, welcomed: bool = False) -> State:
        """Start ``flow_id``. ``welcomed``: the user was just welcomed (the menu, a
        restart), so the flow's own opening ``say`` with id ``welkom`` is left out."""
        flow = self.book.flows[flow_id]
        block = self.book.blocks[flow.block]
        start = block.start
        first = block.steps[start]
        if welcomed and first.id == WELCOME_STEP and first.kind == "say" and first.branches:
            start = first.branches[0].target if first.branches[0].condition is None else start
        fresh = State(
            mode=Mode.ASKING,
            flow=flow_id,
            book=self.book.hash,
            stack=(Frame(block=flow.block, step=start),),
            serial=state.serial,
            started_at=self.ctx.now.isoformat(),
        )
        return self.advance(fresh)

    def advance(self, state: State) -> State:
        """Walk from the current step to the next open question or the end."""
        for _ in range(_MAX_ADVANCE):
            frame = state.stack[-1]
            step = self.step_of(frame)
            # A question reads no variables here (``question`` builds its own).
            variables = (
                {} if step.when is None and isinstance(step, AskStep) else self.variables(state)
            )
            path = (*frame.ns, step.id)
            if step.when is not None and not step.when.holds(variables):
                if not isinstance(step, SayStep | AdviseStep | EndStep):
                    state = self.log(state, path, None, EntryKind.SKIP)
                state = self.goto_next(state, step)
                continue
            match step:
                case SayStep():
                    # During ``wijzig`` a section line already seen is not said again;
                    # a conditional text that reads a changed answer may be new, so it is.
                    if state.replay is None or (step.when is not None and self.dirty(state, step)):
                        self.replies.append(Say(step.text.render(variables)))
                    state = self.goto_next(state, step)
                case AdviseStep():
                    because = self.because(state, step)
                    value = {"text": step.record.render(variables), "because": because}
                    seen = state.replay.pool.get(join_path(path)) if state.replay else None
                    if not (isinstance(seen, list) and seen and seen[0] == value):
                        self.replies.append(Say(step.text.render(variables)))
                    state = self.goto_next(self.log(state, path, value, EntryKind.ADVICE), step)
                case AskStep():
                    inputs = {e.path for e in state.log if e.kind is EntryKind.INPUT}
                    if path in inputs:
                        state = self.goto_next(state, step)
                        continue
                    if (
                        step.describes_case
                        and not self.ctx.traits.end_to_end_encrypted
                        and not self.book.org.vrije_tekst_zonder_versleuteling
                    ):
                        self.replies.append(Say(texts.SKIPPED_FREE_TEXT))
                        state = self.log(state, path, None, EntryKind.SKIP, texts.SKIPPED_NOTE)
                        state = self.goto_next(state, step)
                        continue
                    key = join_path(path)
                    pooled = state.replay.pool.get(key) if state.replay else None
                    if (
                        pooled is not None
                        and pooled[1] in ("answer", "kept")
                        and not self.dirty(state, step)
                    ):
                        kept = self.log(state, path, pooled[0], EntryKind.KEPT)
                        state = self.goto_next(kept, step)
                        continue
                    state = evolve(
                        state,
                        mode=Mode.ASKING,
                        serial=state.serial + 1,
                        selection=(),
                        base_total=state.shown_total,
                    )
                    ask = self.question(state)
                    shown = ask.progress.total if ask.progress and ask.progress.counted else 0
                    state = evolve(state, shown_total=shown)
                    self.replies.append(ask)
                    return state
                case SetStep():
                    value = plain_json(step.expression.value(variables))
                    state = self.log(state, path, value, EntryKind.COMPUTED)
                    state = self.goto_next(self.mark_changed(state, path, value), step)
                case CallStep():
                    callee = self.book.flows[step.callee]
                    frame_in = Frame(
                        block=callee.block, step=self.book.blocks[callee.block].start, ns=path
                    )
                    state = evolve(state, stack=(*state.stack, frame_in))
                    for name, expr in step.inputs:
                        value = plain_json(expr.value(variables))
                        state = self.log(state, (*path, name), value, EntryKind.INPUT)
                        state = self.mark_changed(state, (*path, name), value)
                case ForeachStep():
                    items = self.loop_items(step, variables)
                    if not items:
                        state = self.goto_next(self.log(state, path, {}, EntryKind.SKIP), step)
                        continue
                    first = self.loop_frame(frame, step, 0, items)
                    state = evolve(state, stack=(*state.stack, first))
                case EndStep():
                    if len(state.stack) == 1:
                        return self.enter_review(state)
                    state = self.leave_block(state)  # back to the calling flow
                case _:
                    assert_never(step)
        raise RuntimeError("flow did not settle")  # pragma: no cover - graphs are acyclic

    def goto_next(self, state: State, step: Step) -> State:
        """Leave ``step`` along its first branch that holds (or fall off the block)."""
        variables: dict[str, Any] | None = None  # built only for a branch with a condition
        for branch in step.branches:
            if branch.condition is not None:
                if variables is None:
                    variables = self.variables(state)
                if not branch.condition.holds(variables):
                    continue
            if self.ctx.trace:
                self.trace.append((state.stack[-1].block, step.id, branch.target))
            top = state.stack[-1].at(branch.target)
            return evolve(state, stack=(*state.stack[:-1], top))
        if self.ctx.trace:
            self.trace.append((state.stack[-1].block, step.id, ""))
        return self.leave_block(state)

    def leave_block(self, state: State) -> State:
        """The top block is done: next foreach item, or back to the caller."""
        top = state.stack[-1]
        rest = state.stack[:-1]
        if top.items and top.index + 1 < len(top.items):
            loop = self.foreach_step(rest[-1])
            return evolve(
                state, stack=(*rest, self.loop_frame(rest[-1], loop, top.index + 1, top.items))
            )
        if not rest:
            return state
        parent = rest[-1]
        return self.goto_next(evolve(state, stack=rest), self.step_of(parent))

    def loop_frame(
        self, parent: Frame, step: ForeachStep, index: int, items: tuple[str, ...]
    ) -> Frame:
        item = items[index]
        label = self.item_label(parent, step, item)
        return Frame(
            block=step.body,
            step=self.book.blocks[step.body].start,
            ns=(*parent.ns, step.id, item),
            scope={step.loop_var: item, f"{step.loop_var}_label": label},
            items=items,
            index=index,
            barrier=False,
        )

    def item_label(self, parent: Frame, step: ForeachStep, item: str) -> str:
        """The label of a foreach item, found in the question its list came from."""
        block = self.block(parent)
        for name in step.over.reads:
            source = block.steps.get(name)
            if isinstance(source, AskStep):
                for choice in source.choices:
                    if choice.key == item:
                        return choice.label
        return item

    def loop_items(self, step: ForeachStep, variables: Mapping[str, Any]) -> tuple[str, ...]:
        raw = step.over.value(variables)
        if raw is None or isinstance(raw, str) or not hasattr(raw, "__iter__"):
            return ()
        items: list[str] = []
        for item in raw:
            if step.where is not None:
                scope = {**variables, step.loop_var: item, f"{step.loop_var}_label": str(item)}
                if not step.where.holds(scope):
                    continue
            items.append(str(item))
        return tuple(items)

    def because(self, state: State, step: Step) -> list[str]:
        """The answers an advice rests on, as "question answer" lines, in the order given.

        Only answers the advice's ``when`` (or text) reads by name count; a
        question that was skipped (its answer is empty) is no reason.
        """
        paths = {(*frame.ns, name) for frame in self.chain(state.stack) for name in step.reads}
        return [
            self.describe(state, entry)
            for entry in state.log
            if entry.answered and entry.value is not None and entry.path in paths
        ]
