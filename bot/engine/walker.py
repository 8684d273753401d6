"""The walker: moves a conversation through the compiled flow graph.

It builds the variables a step can see (answers, loop variables, the
organisation settings), renders questions with their progress hint, and
*advances*: from the current step it says texts, enters called flows and
``foreach`` items, skips questions whose ``when`` does not hold, keeps
earlier answers during ``wijzig`` unless they depend on a changed one, and
stops at the next open question or at the review. It also builds the review,
the summary data and the finished record. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.engine import texts
from bot.engine.answers import (
    YES_NO,
    display,
)
from bot.engine.context import Context
from bot.engine.messages import (
    Ask,
    Choice,
    DocumentRequest,
    EngineReply,
    Progress,
    QuestionKind,
    RecordFinished,
    Say,
)
from bot.engine.state import JSON, EntryKind, Frame, LogEntry, Mode, Replay, State
from bot.flowspec.graph import Block, FlowBook, Step

MENU_STEP = "menu"
REVIEW_STEP = "overzicht"
SECTION_STEP = "deel"
SECTION_SIZE = 5
"""Answers per review page: each page is a question of at most 600 characters."""
BACK_KEY = "overzicht"
PAUSED_STEP = "gestopt"
CONFIRM_STEP = "bevestig"
DONE_KEY = "klaar"
WELCOME_STEP = "welkom"
"""A top flow's opening ``say`` with this id is its welcome: left out when the
user was just welcomed by the menu."""
_MAX_ADVANCE = 10_000


def join_path(path: tuple[str, ...]) -> str:
    return "/".join(path)


class Walker:
    """One step's working area: the book, the context, and the replies and effects so far."""

    def __init__(self, book: FlowBook, ctx: Context) -> None:
        self.book = book
        self.ctx = ctx
        self.replies: list[EngineReply] = []
        self.effects: list[RecordFinished] = []
        self.trace: list[tuple[str, str, str]] = []
        self._org = book.org.model_dump()
        # The answer tree of the log last asked for: one step reads the same log
        # for every condition, text and "because" line it evaluates.
        self._last_tree: tuple[tuple[LogEntry, ...], dict[str, Any]] | None = None

    # ------------------------------------------------------------ answers and scope

    @staticmethod
    def tree(log: tuple[LogEntry, ...]) -> dict[str, Any]:
        root: dict[str, Any] = {}
        for entry in log:
            node = root
            for part in entry.path[:-1]:
                nxt = node.get(part)
                if not isinstance(nxt, dict):
                    nxt = {}
                    node[part] = nxt
                node = nxt
            node[entry.path[-1]] = entry.value
        return root

    def answers(self, log: tuple[LogEntry, ...]) -> dict[str, Any]:
        """``tree(log)``, built once per log: remembered until another log is asked for.

        Only read, never changed (flow expressions run in Jinja2's immutable sandbox).
        """
        last = self._last_tree
        if last is None or last[0] is not log:
            last = (log, self.tree(log))
            self._last_tree = last
        return last[1]

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
        out: dict[str, Any] = {"org": self._org, "vandaag": self.ctx.now.date().isoformat()}
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

    # ------------------------------------------------------------ progress

    def progress(self, state: State) -> Progress:
        """The hint above a question. In a flow of parts (two or more called flows)
        the part is named; otherwise "vraag N van ongeveer M", where M never goes
        up by more than 2 from one question to the next."""
        flow = self.book.flows.get(state.flow or "")
        if flow is not None:
            top = self.book.blocks[flow.block]
            calls = [s for s in top.steps.values() if s.kind == "call" and s.callee]
            if len(calls) >= 2:
                return self.part_progress(state, calls, flow.title)
        counted = self.counted_progress(state)
        if state.base_total and counted.total > state.base_total + 2:
            total = max(counted.current, state.base_total + 2)
            return Progress(counted.current, total)
        return counted

    def part_progress(self, state: State, calls: list[Step], title: str) -> Progress:
        answered = sum(1 for e in state.log if e.answered)
        if len(state.stack) > 1:
            step_id = state.stack[0].step
            for n, call in enumerate(calls, start=1):
                if call.id == step_id:
                    callee = self.book.flows[call.callee or ""]
                    return Progress(answered + 1, 0, n, len(calls), callee.title)
        return Progress(answered + 1, 0, title=title)

    def counted_progress(self, state: State) -> Progress:
        answered = sum(1 for e in state.log if e.answered)
        remaining = 0.0
        for depth, frame in enumerate(reversed(state.stack)):
            block = self.block(frame)
            step = block.steps[frame.step]
            if depth == 0:
                # The open question counts whole, even if a ``when`` guarded it.
                remaining += block.estimate[frame.step] + (0.5 if step.when else 0.0)
            else:
                nexts = [block.estimate[b.target] for b in step.branches]
                remaining += sum(nexts) / len(nexts) if nexts else 0.0
            if frame.items:
                body = self.block(frame)
                remaining += (len(frame.items) - frame.index - 1) * body.estimate[body.start]
        current = answered + 1
        return Progress(current, max(current, answered + round(remaining)))

    # ------------------------------------------------------------ asking

    def question(self, state: State, error: str = "", note: str = "") -> Ask:
        frame = state.stack[-1]
        step = self.step_of(frame)
        variables = self.variables(state)
        assert step.question is not None and step.text is not None
        kind = step.question
        choices = YES_NO if kind is QuestionKind.YESNO else step.choices
        if step.hint:
            hint = step.hint
        elif kind is QuestionKind.MULTI:
            if self.ctx.traits.buttons:
                hint = texts.HINT_MULTI_BUTTONS
            elif self.ctx.traits.confirm_multi:
                hint = texts.HINT_MULTI_CONFIRM
            else:
                hint = texts.HINT_MULTI_OPTIONAL if step.optional else texts.HINT_MULTI
        elif kind is QuestionKind.TEXT:
            base = texts.HINT_TEXT_OPTIONAL if step.optional else texts.HINT_TEXT
            hint = base.format(max=step.max_length)
        else:
            hint = {
                QuestionKind.SINGLE: texts.HINT_CHOICE,
                QuestionKind.YESNO: texts.HINT_YESNO,
                QuestionKind.DATE: (
                    texts.HINT_DATE_PAST if step.prefer == "past" else texts.HINT_DATE_FUTURE
                ),
            }[kind]
        path = join_path((*frame.ns, step.id))
        previous = None
        if path in state.previous:
            previous = display(kind, state.previous[path], choices)
        elif state.replay and path in state.replay.pool:
            previous = display(kind, state.replay.pool[path][0], choices)
        return Ask(
            question_id=str(state.serial),
            step=step.id,
            kind=kind,
            text=step.text.render(variables),
            choices=tuple(choices),
            hint=hint,
            error=error,
            note=note,
            progress=self.progress(state),
            help_article=step.help,
            max_length=step.max_length if kind is QuestionKind.TEXT else None,
            selected=state.selection,
            previous=previous,
        )

    def welcome(self) -> str:
        """The organisation's welcome, or ours with its achterwacht."""
        org = self.book.org
        if org.welkom:
            return org.welkom
        text = texts.WELCOME.format(achterwacht=org.achterwacht)
        if self.ctx.traits.end_to_end_encrypted:
            text += "\n" + texts.WELCOME_PRIVATE
        return text

    def menu(self, state: State, error: str = "") -> Ask:
        choices = tuple(Choice(f.id, f.title) for f in self.book.menu())
        return Ask(
            str(state.serial),
            MENU_STEP,
            QuestionKind.SINGLE,
            texts.MENU_QUESTION,
            choices,
            hint=texts.MENU_HINT,
            error=error,
        )

    def sections(self, state: State) -> list[Section]:
        """The review's parts: the top flow's own answers, then one per called flow
        (its title), in the order they were answered; long parts in pages."""
        top = self.book.blocks[self.book.flows[state.flow or ""].block]
        groups: dict[str, list[int]] = {}
        titles: dict[str, str] = {}
        for n, entry in enumerate(self.answered(state), start=1):
            head = entry.path[0] if len(entry.path) > 1 else ""
            step = top.steps.get(head)
            if step is None or step.kind != "call" or step.callee is None:
                head = ""
                titles[head] = texts.REVIEW_GENERAL
            else:
                titles[head] = self.book.flows[step.callee].title
            groups.setdefault(head, []).append(n)
        out: list[Section] = []
        order = ([""] if "" in groups else []) + [g for g in groups if g]
        for head in order:
            numbers = groups[head]
            pages = [numbers[i : i + SECTION_SIZE] for i in range(0, len(numbers), SECTION_SIZE)]
            for p, page in enumerate(pages, start=1):
                count = f"{len(page)}" if len(pages) == 1 else f"{p}/{len(pages)}"
                title = f"{titles[head]} ({count})"
                out.append(Section(title, tuple(page)))
        return out

    def review_ask(self, state: State, error: str = "") -> Ask:
        if state.section:
            return self.section_ask(state, error)
        parts = self.sections(state)
        # Klaar first: what most people do; the parts follow, to look at or change.
        choices = [Choice(DONE_KEY, texts.REVIEW_DONE_LABEL)]
        choices += [
            Choice(f"deel-{n}", _short(part.title, 44)) for n, part in enumerate(parts, start=1)
        ]
        return Ask(
            str(state.serial),
            REVIEW_STEP,
            QuestionKind.SINGLE,
            texts.REVIEW_QUESTION,
            tuple(choices),
            hint=texts.REVIEW_HINT,
            error=error,
        )

    def section_ask(self, state: State, error: str = "") -> Ask:
        parts = self.sections(state)
        part = parts[min(state.section, len(parts)) - 1]
        answered = self.answered(state)
        choices = []
        for n in part.answers:
            question, answer = self.question_and_answer(state, answered[n - 1])
            choices.append(
                Choice(f"antwoord-{n}", f"{_short(question, 38)} → {_short(answer, 26)}")
            )
        choices.append(Choice(BACK_KEY, texts.REVIEW_BACK_LABEL))
        return Ask(
            str(state.serial),
            SECTION_STEP,
            QuestionKind.SINGLE,
            texts.SECTION_QUESTION.format(title=part.title.rsplit(" (", 1)[0]),
            tuple(choices),
            hint=texts.SECTION_HINT,
            error=error,
        )

    def flow_title(self, state: State) -> str:
        flow = self.book.flows.get(state.flow or "")
        return flow.title if flow else ""

    def paused_ask(self, state: State) -> Ask:
        return Ask(
            str(state.serial),
            PAUSED_STEP,
            QuestionKind.SINGLE,
            texts.PAUSED_REMINDER.format(flow=self.flow_title(state)),
            (Choice("verder", "Verder"), Choice("nieuw", "Opnieuw beginnen")),
            hint=texts.HINT_CHOICE,
        )

    def confirm_ask(self, state: State) -> Ask:
        return Ask(
            str(state.serial),
            CONFIRM_STEP,
            QuestionKind.YESNO,
            texts.CONFIRM_RESTART,
            YES_NO,
            hint=texts.HINT_YESNO,
        )

    def prompt(self, state: State, error: str = "") -> Ask:
        """The question that is open now, whatever the mode."""
        if state.mode is Mode.ASKING and state.stack:
            return self.question(state, error)
        if state.mode is Mode.REVIEW:
            return self.review_ask(state, error)
        if state.mode is Mode.PAUSED:
            return self.paused_ask(state)
        if state.mode is Mode.CONFIRM_RESTART:
            return self.confirm_ask(state)
        return self.menu(state, error)

    # ------------------------------------------------------------ moving

    def goto_next(self, state: State, step: Step) -> State:
        """Leave ``step`` along its first branch that holds (or fall off the block)."""
        variables = self.variables(state)
        for branch in step.branches:
            if branch.condition is None or branch.condition.holds(variables):
                self.trace.append((state.stack[-1].block, step.id, branch.target))
                top = state.stack[-1].at(branch.target)
                return replace(state, stack=(*state.stack[:-1], top))
        self.trace.append((state.stack[-1].block, step.id, ""))
        return self.leave_block(state)

    def leave_block(self, state: State) -> State:
        """The top block is done: next foreach item, or back to the caller."""
        top = state.stack[-1]
        rest = state.stack[:-1]
        if top.items and top.index + 1 < len(top.items):
            return replace(
                state, stack=(*rest, self.loop_frame(rest[-1], top.index + 1, top.items))
            )
        if not rest:
            return state
        parent = rest[-1]
        return self.goto_next(replace(state, stack=rest), self.step_of(parent))

    def loop_frame(self, parent: Frame, index: int, items: tuple[str, ...]) -> Frame:
        step = self.step_of(parent)
        assert step.body is not None and step.loop_var is not None
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

    def item_label(self, parent: Frame, step: Step, item: str) -> str:
        """The label of a foreach item, found in the question its list came from."""
        assert step.over is not None
        block = self.block(parent)
        for name in step.over.reads:
            source = block.steps.get(name)
            if source is not None:
                for choice in source.choices:
                    if choice.key == item:
                        return choice.label
        return item

    def log(
        self,
        state: State,
        path: tuple[str, ...],
        value: JSON,
        kind: EntryKind,
        note: str | None = None,
    ) -> State:
        entry = LogEntry(path, value, kind, state.stack, self.ctx.now.isoformat(), note)
        return replace(state, log=(*state.log, entry))

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
        return replace(state, replay=Replay(replay.pool, (*replay.changed, key)))

    def advance(self, state: State) -> State:
        """Walk from the current step to the next open question or the end."""
        for _ in range(_MAX_ADVANCE):
            frame = state.stack[-1]
            step = self.step_of(frame)
            variables = self.variables(state)
            path = (*frame.ns, step.id)
            if step.when is not None and not step.when.holds(variables):
                if step.kind in ("ask", "set", "call", "foreach"):
                    state = self.log(state, path, None, EntryKind.SKIP)
                state = self.goto_next(state, step)
                continue
            if step.kind == "say":
                assert step.text is not None
                # During ``wijzig`` a section line already seen is not said again;
                # a conditional text that reads a changed answer may be new, so it is.
                if state.replay is None or (step.when is not None and self.dirty(state, step)):
                    self.replies.append(Say(step.text.render(variables)))
                state = self.goto_next(state, step)
            elif step.kind == "advise":
                assert step.text is not None and step.record is not None
                because = self.because(state, step)
                value = {"text": step.record.render(variables), "because": because}
                seen = state.replay.pool.get(join_path(path)) if state.replay else None
                if not (isinstance(seen, list) and seen and seen[0] == value):
                    self.replies.append(Say(step.text.render(variables)))
                state = self.goto_next(self.log(state, path, value, EntryKind.ADVICE), step)
            elif step.kind == "ask":
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
                    state = self.goto_next(self.log(state, path, pooled[0], EntryKind.KEPT), step)
                    continue
                state = replace(
                    state,
                    mode=Mode.ASKING,
                    serial=state.serial + 1,
                    selection=(),
                    base_total=state.shown_total,
                )
                ask = self.question(state)
                shown = ask.progress.total if ask.progress and ask.progress.counted else 0
                state = replace(state, shown_total=shown)
                self.replies.append(ask)
                return state
            elif step.kind == "set":
                assert step.expression is not None
                value = _plain(step.expression.value(variables))
                state = self.log(state, path, value, EntryKind.COMPUTED)
                state = self.goto_next(self.mark_changed(state, path, value), step)
            elif step.kind == "call":
                assert step.callee is not None
                callee = self.book.flows[step.callee]
                frame_in = Frame(
                    block=callee.block, step=self.book.blocks[callee.block].start, ns=path
                )
                state = replace(state, stack=(*state.stack, frame_in))
                for name, expr in step.inputs:
                    value = _plain(expr.value(variables))
                    state = self.log(state, (*path, name), value, EntryKind.INPUT)
                    state = self.mark_changed(state, (*path, name), value)
            elif step.kind == "foreach":
                assert step.over is not None
                items = self.loop_items(step, variables)
                if not items:
                    state = self.goto_next(self.log(state, path, {}, EntryKind.SKIP), step)
                    continue
                state = replace(state, stack=(*state.stack, self.loop_frame(frame, 0, items)))
            elif step.kind == "end":
                if len(state.stack) == 1:
                    return self.enter_review(state)
                state = self.leave_block(state)  # back to the calling flow
        raise RuntimeError("flow did not settle")  # pragma: no cover - graphs are acyclic

    def loop_items(self, step: Step, variables: Mapping[str, Any]) -> tuple[str, ...]:
        assert step.over is not None and step.loop_var is not None
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

    def describe(self, state: State, entry: LogEntry) -> str:
        question, answer = self.question_and_answer(state, entry)
        return f"{question} {answer}"

    def question_and_answer(self, state: State, entry: LogEntry) -> tuple[str, str]:
        frame = entry.stack[-1]
        step = self.step_of(frame)
        variables = self.variables(state, entry.stack)
        question = step.text.render(variables) if step.text else step.id
        choices = YES_NO if step.question is QuestionKind.YESNO else step.choices
        return question, display(step.question, entry.value, choices)

    # ------------------------------------------------------------ review and finish

    def answered(self, state: State) -> list[LogEntry]:
        return [e for e in state.log if e.answered]

    def enter_review(self, state: State) -> State:
        state = replace(
            state, mode=Mode.REVIEW, replay=None, serial=state.serial + 1, previous={}, section=0
        )
        self.replies.append(self.review_ask(state))
        return state

    def end_step(self, state: State) -> Step:
        return self.step_of(state.stack[0])

    def document(self, state: State, *, final: bool) -> DocumentRequest:
        flow = self.book.flows[state.flow or ""]
        step = self.end_step(state)
        assert step.template is not None
        title = flow.title if final else f"{texts.DRAFT_TITLE}: {flow.title}"
        return DocumentRequest(step.template, self.summary_data(state), final, title)

    def summary_data(self, state: State) -> dict[str, object]:
        flow = self.book.flows[state.flow or ""]
        # What the user answered: no advice, no values computed by ``set`` steps.
        derived = (EntryKind.ADVICE, EntryKind.COMPUTED)
        tree = self.tree(tuple(e for e in state.log if e.kind not in derived))
        labels: dict[str, Any] = {}
        items = []
        advice = []
        skipped = []
        for entry in state.log:
            if entry.kind is EntryKind.ADVICE:
                advice.append(entry.value)
                continue
            if entry.kind is EntryKind.INPUT:
                continue
            frame = entry.stack[-1]
            step = self.step_of(frame)
            if step.kind != "ask":
                continue
            question, answer = self.question_and_answer(state, entry)
            if entry.kind is EntryKind.SKIP:
                if entry.note:
                    skipped.append({"question": question, "note": entry.note})
                continue
            node = labels
            for part in entry.path[:-1]:
                node = node.setdefault(part, {})
            node[entry.path[-1]] = answer
            items.append({"question": question, "answer": answer, "path": join_path(entry.path)})
        case_code = None
        if flow.case_code is not None:
            raw = tree.get(flow.case_code)
            case_code = str(raw) if raw else None
        return {
            "flow": {
                "id": flow.id,
                "version": flow.version,
                "title": flow.title,
                "hash": self.book.hash,
            },
            "date": self.ctx.now.date().isoformat(),
            "case_code": case_code,
            "answers": tree,
            "labels": labels,
            "items": items,
            "advice": advice,
            "skipped": skipped,
            "org": self._org,
            "channel": self.ctx.traits.name,
        }

    def finish(self, state: State) -> State:
        flow = self.book.flows[state.flow or ""]
        doc = self.document(state, final=True)
        data = doc.data
        self.effects.append(
            RecordFinished(
                flow.id,
                flow.version,
                self.book.hash,
                data["case_code"] if isinstance(data["case_code"], str) else None,
                dict(data["answers"]) if isinstance(data["answers"], dict) else {},
                doc,
            )
        )
        self.replies.append(Say(texts.DONE.format(days=self.book.org.bewaartermijn_dagen)))
        self.replies.append(doc)
        return State(mode=Mode.IDLE, serial=state.serial + 1, ended=True)

    # ------------------------------------------------------------ starting

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


@dataclass(frozen=True)
class Section:
    """One part of the review: a title and the numbers of its answers (1-based)."""

    title: str
    answers: tuple[int, ...]


def _plain(value: Any) -> JSON:
    """Jinja values (e.g. Undefined) as plain JSON data."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return None if not value else str(value)


def _short(text: str, limit: int) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


# ---------------------------------------------------------------- entry point
