"""The engine: ``step(book, state, incoming, context) -> StepResult``. Pure.

One call handles one user message. Universal words (``terug``, ``stop``,
``nood`` …) work at every question; everything else is an answer to the open
question, a choice in the start menu, or a command at the review. After a
valid answer the engine *advances*: it walks the flow graph, saying texts,
entering sub-flows and ``foreach`` items, skipping questions whose ``when``
does not hold, until it reaches the next question or the end.

After ``wijzig N`` the engine walks again with the earlier answers in a pool
(:class:`~bot.engine.state.Replay`): a question whose answer is in the pool
is kept silently unless it reads an answer that changed, so only dependent
questions are asked again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.engine import texts
from bot.engine.answers import (
    YES_NO,
    display,
    match_choice,
    normalize,
    parse_multi,
    parse_yesno,
)
from bot.engine.context import Context
from bot.engine.dates import parse_dutch_date
from bot.engine.messages import (
    Ask,
    Choice,
    ChoiceIn,
    DocumentRequest,
    DoneIn,
    EngineReply,
    Incoming,
    MultiIn,
    Progress,
    QuestionKind,
    RecordFinished,
    Say,
    Stale,
    StepResult,
    Unsupported,
)
from bot.engine.privacy import find_identifiers
from bot.engine.state import JSON, EntryKind, Frame, LogEntry, Mode, Replay, State
from bot.flowspec.graph import Block, FlowBook, Step

MENU_STEP = "menu"
REVIEW_STEP = "overzicht"
PAUSED_STEP = "gestopt"
CONFIRM_STEP = "bevestig"
DONE_KEY = "klaar"
_WIJZIG = re.compile(r"^(?:wijzig|wijzigen|verander)\s*(\d+)$")
_KENNIS = re.compile(r"^(?:kennis|/kennis)(?:\s+(.+))?$")
_MAX_ADVANCE = 10_000


def _join(path: tuple[str, ...]) -> str:
    return "/".join(path)


class _Run:
    """One step's working area: the book, the context and the replies so far."""

    def __init__(self, book: FlowBook, ctx: Context) -> None:
        self.book = book
        self.ctx = ctx
        self.replies: list[EngineReply] = []
        self.effects: list[RecordFinished] = []
        self.trace: list[tuple[str, str, str]] = []
        self._org = book.org.model_dump()

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
        tree = self.tree(state.log)
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
        answered = sum(1 for e in state.log if e.answered)
        remaining = 0.0
        for depth, frame in enumerate(reversed(state.stack)):
            block = self.block(frame)
            step = block.steps[frame.step]
            if depth == 0:
                lo, hi = block.estimate[frame.step]
            else:
                nexts = [block.estimate[b.target] for b in step.branches]
                lo = min((n[0] for n in nexts), default=0)
                hi = max((n[1] for n in nexts), default=0)
            remaining += (lo + hi) / 2
            if frame.items:
                body = self.block(frame)
                blo, bhi = body.estimate[body.start]
                remaining += (len(frame.items) - frame.index - 1) * (blo + bhi) / 2
        current = answered + 1
        return Progress(current, max(current, answered + round(remaining)))

    # ------------------------------------------------------------ asking

    def question(self, state: State, error: str = "") -> Ask:
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
                QuestionKind.DATE: texts.HINT_DATE,
            }[kind]
        path = _join((*frame.ns, step.id))
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
            progress=self.progress(state),
            help_article=step.help,
            max_length=step.max_length if kind is QuestionKind.TEXT else None,
            selected=state.selection,
            previous=previous,
        )

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

    def review_ask(self, state: State, error: str = "") -> Ask:
        return Ask(
            str(state.serial),
            REVIEW_STEP,
            QuestionKind.SINGLE,
            texts.REVIEW_QUESTION,
            (Choice(DONE_KEY, "Klaar, maak de vastlegging"),),
            hint=texts.REVIEW_HINT,
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
                cand = _join((*frame.ns, name))
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
        key = _join(path)
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
                if step.kind in ("ask", "call", "foreach"):
                    state = self.log(state, path, None, EntryKind.SKIP)
                state = self.goto_next(state, step)
                continue
            if step.kind == "say":
                assert step.text is not None
                self.replies.append(Say(step.text.render(variables)))
                state = self.goto_next(state, step)
            elif step.kind == "advise":
                assert step.text is not None and step.record is not None
                self.replies.append(Say(step.text.render(variables)))
                because = self.because(state, step)
                value = {"text": step.record.render(variables), "because": because}
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
                key = _join(path)
                pooled = state.replay.pool.get(key) if state.replay else None
                if (
                    pooled is not None
                    and pooled[1] in ("answer", "kept")
                    and not self.dirty(state, step)
                ):
                    state = self.goto_next(self.log(state, path, pooled[0], EntryKind.KEPT), step)
                    continue
                state = replace(state, mode=Mode.ASKING, serial=state.serial + 1, selection=())
                self.replies.append(self.question(state))
                return state
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
        """The answers an advice rests on, as "question: answer" lines."""
        lines: list[str] = []
        chain = self.chain(state.stack)
        for name in sorted(step.reads):
            for frame in reversed(chain):
                path = (*frame.ns, name)
                entry = next((e for e in reversed(state.log) if e.path == path), None)
                if entry is not None and entry.kind is not EntryKind.INPUT:
                    lines.append(self.describe(state, entry))
                    break
        return lines

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
        state = replace(state, mode=Mode.REVIEW, replay=None, serial=state.serial + 1, previous={})
        lines = [texts.REVIEW_INTRO]
        for n, entry in enumerate(self.answered(state), start=1):
            question, answer = self.question_and_answer(state, entry)
            lines.append(f"{n}. {_short(question, 70)} → {_short(answer, 90)}")
        self.replies.append(Say("\n".join(lines)))
        self.replies.append(self.document(state, final=False))
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
        tree = self.tree(tuple(e for e in state.log if e.kind is not EntryKind.ADVICE))
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
            items.append({"question": question, "answer": answer, "path": _join(entry.path)})
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
        self.replies.append(Say(texts.DONE))
        self.replies.append(doc)
        return State(mode=Mode.IDLE, serial=state.serial + 1)

    # ------------------------------------------------------------ starting

    def start_flow(self, state: State, flow_id: str) -> State:
        flow = self.book.flows[flow_id]
        block = self.book.blocks[flow.block]
        fresh = State(
            mode=Mode.ASKING,
            flow=flow_id,
            book=self.book.hash,
            stack=(Frame(block=flow.block, step=block.start),),
            serial=state.serial,
            started_at=self.ctx.now.isoformat(),
        )
        return self.advance(fresh)


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


def step(book: FlowBook, state: State, incoming: Incoming, ctx: Context) -> StepResult:
    """Handle one incoming message. Never raises for bad input."""
    run = _Run(book, ctx)
    new_state = _dispatch(run, state, incoming)
    return StepResult(new_state, run.replies, run.effects, run.trace)


def _dispatch(run: _Run, state: State, incoming: Incoming) -> State:
    if isinstance(incoming, Unsupported):
        run.replies.append(Say(texts.UNSUPPORTED))
        run.replies.append(run.prompt(state))
        return state
    if isinstance(incoming, ChoiceIn | DoneIn | MultiIn):
        if incoming.question_id != str(state.serial):
            run.replies.append(Stale())
            return state
        return _button(run, state, incoming)
    text = incoming.text
    word = normalize(text).lstrip("/")
    handled = _universal(run, state, word)
    if handled is not None:
        return handled
    if state.mode is Mode.IDLE:
        return _menu_answer(run, state, text)
    if state.mode is Mode.PAUSED:
        run.replies.append(run.paused_ask(state))
        return state
    if state.mode is Mode.CONFIRM_RESTART:
        return _confirm_answer(run, state, parse_yesno(text))
    if state.mode is Mode.REVIEW:
        return _review_answer(run, state, word)
    return _answer_text(run, state, text)


def _universal(run: _Run, state: State, word: str) -> State | None:
    """Words that work everywhere. Returns None when ``word`` is not one of them."""
    in_flow = state.mode is not Mode.IDLE
    if word == "nood":
        run.replies.append(Say(texts.NOOD.format(achterwacht=run.book.org.achterwacht)))
        run.replies.append(run.prompt(state))
        return state
    if word in ("hulp", "help", "?"):
        lines = []
        if state.mode is Mode.ASKING:
            lines.append(run.question(state).hint)
        lines.append(texts.HELP_COMMON)
        run.replies.append(Say("\n\n".join(lines)))
        run.replies.append(run.prompt(state))
        return state
    if word == "uitleg":
        article = None
        if state.mode is Mode.ASKING and state.stack:
            article_id = run.step_of(state.stack[-1]).help
            article = run.ctx.knowledge.get(article_id) if article_id else None
        run.replies.append(
            Say(article.as_message() if article else texts.NO_ARTICLE_HERE)
        )
        run.replies.append(run.prompt(state))
        return state
    kennis = _KENNIS.match(word)
    if kennis:
        run.replies.append(Say(_knowledge(run, kennis.group(1))))
        run.replies.append(run.prompt(state))
        return state
    if word in ("start", "begin", "menu", "hallo", "hoi"):
        if not in_flow:
            run.replies.append(Say(run.book.org.welkom or texts.WELCOME))
            run.replies.append(run.menu(state))
            return state
        return _resume(run, state)
    if word == "verder":
        if in_flow:
            return _resume(run, state)
        run.replies.append(Say(texts.NO_FLOW))
        run.replies.append(run.menu(state))
        return state
    if word == "stop":
        if not in_flow or state.mode is Mode.PAUSED:
            run.replies.append(Say(texts.STOPPED if in_flow else texts.NO_FLOW))
            return state
        run.replies.append(Say(texts.STOPPED))
        resume = state.resume_mode if state.mode is Mode.CONFIRM_RESTART else state.mode
        return replace(state, mode=Mode.PAUSED, resume_mode=resume, serial=state.serial + 1)
    if word in ("opnieuw", "nieuw", "/nieuw"):
        if not in_flow:
            run.replies.append(Say(run.book.org.welkom or texts.WELCOME))
            run.replies.append(run.menu(state))
            return state
        resume = (
            state.resume_mode if state.mode in (Mode.PAUSED, Mode.CONFIRM_RESTART) else state.mode
        )
        new = replace(
            state,
            mode=Mode.CONFIRM_RESTART,
            resume_mode=resume,
            confirm=word,
            serial=state.serial + 1,
        )
        run.replies.append(run.confirm_ask(new))
        return new
    if word == "terug":
        return _back(run, state)
    if _WIJZIG.match(word) and state.mode is not Mode.REVIEW:
        run.replies.append(Say(texts.WIJZIG_ONLY_IN_REVIEW))
        run.replies.append(run.prompt(state))
        return state
    return None


def _knowledge(run: _Run, query: str | None) -> str:
    kb = run.ctx.knowledge
    if not query:
        articles = kb.all()
        if not articles:
            return texts.KNOWLEDGE_MISSING
        lines = [texts.KNOWLEDGE_LIST] + [f"• {a.title} (kennis {a.id})" for a in articles]
        return "\n".join(lines)
    found = kb.search(query)
    if not found:
        return texts.KNOWLEDGE_NONE.format(query=query)
    text = found[0].as_message()
    if len(found) > 1:
        text += "\n\nZie ook: " + ", ".join(f"kennis {a.id}" for a in found[1:4])
    return text


def _resume(run: _Run, state: State) -> State:
    mode = state.mode
    if mode in (Mode.PAUSED, Mode.CONFIRM_RESTART):
        mode = state.resume_mode or Mode.ASKING
    new = replace(state, mode=mode, resume_mode=None, confirm=None)
    run.replies.append(Say(texts.RESUME_PROMPT.format(flow=run.flow_title(state))))
    run.replies.append(run.prompt(new))
    return new


def _back(run: _Run, state: State) -> State:
    if state.mode in (Mode.IDLE, Mode.PAUSED, Mode.CONFIRM_RESTART):
        run.replies.append(run.prompt(state, texts.ERR_NOT_NOW))
        return state
    answered = [i for i, e in enumerate(state.log) if e.answered]
    if not answered:
        run.replies.append(Say(texts.BACK_AT_START))
        run.replies.append(run.prompt(state))
        return state
    idx = answered[-1]
    entry = state.log[idx]
    new = replace(
        state,
        mode=Mode.ASKING,
        stack=entry.stack,
        log=state.log[:idx],
        serial=state.serial + 1,
        selection=(),
        previous={_join(entry.path): entry.value},
    )
    run.replies.append(run.question(new))
    return new


def _menu_answer(run: _Run, state: State, text: str) -> State:
    menu = run.menu(state)
    choice = match_choice(text, menu.choices)
    if choice is None:
        run.replies.append(Say(run.book.org.welkom or texts.WELCOME))
        run.replies.append(run.menu(state))
        return state
    return run.start_flow(state, choice.key)


def _confirm_answer(run: _Run, state: State, answer: str | None) -> State:
    if answer is None:
        run.replies.append(replace(run.confirm_ask(state), error=texts.ERR_YESNO))
        return state
    if answer == "nee":
        return _resume(run, state)
    if state.confirm == "nieuw" or state.flow not in run.book.flows:
        fresh = State(mode=Mode.IDLE, serial=state.serial + 1)
        run.replies.append(run.menu(fresh))
        return fresh
    return run.start_flow(State(serial=state.serial + 1), state.flow or "")


def _review_answer(run: _Run, state: State, word: str) -> State:
    if word in (DONE_KEY, "ja", "ok", "klopt", "afronden"):
        return run.finish(state)
    match = _WIJZIG.match(word)
    answered = run.answered(state)
    if match is None:
        run.replies.append(run.review_ask(state, texts.REVIEW_HINT))
        return state
    n = int(match.group(1))
    if not 1 <= n <= len(answered):
        run.replies.append(
            run.review_ask(state, texts.REVIEW_BAD_NUMBER.format(n=n, max=len(answered)))
        )
        return state
    entry = answered[n - 1]
    idx = state.log.index(entry)
    pool = {_join(e.path): [e.value, e.kind.value] for e in state.log}
    new = replace(
        state,
        mode=Mode.ASKING,
        stack=entry.stack,
        log=state.log[:idx],
        replay=Replay(pool, ()),
        serial=state.serial + 1,
        selection=(),
    )
    run.replies.append(Say(texts.CHANGED_KEPT))
    run.replies.append(run.question(new))
    return new


def _button(run: _Run, state: State, incoming: ChoiceIn | DoneIn | MultiIn) -> State:
    ask = run.prompt(state)
    if (
        isinstance(incoming, ChoiceIn)
        and state.mode is Mode.ASKING
        and ask.kind is QuestionKind.MULTI
    ):
        if incoming.key not in {c.key for c in ask.choices}:
            run.replies.append(Stale())
            return state
        chosen = set(state.selection) ^ {incoming.key}
        new = replace(state, selection=tuple(c.key for c in ask.choices if c.key in chosen))
        run.replies.append(run.question(new))
        return new
    if isinstance(incoming, DoneIn | MultiIn):
        if state.mode is not Mode.ASKING or ask.kind is not QuestionKind.MULTI:
            run.replies.append(Stale())
            return state
        keys = state.selection if isinstance(incoming, DoneIn) else incoming.keys
        return _accept_multi(run, state, list(keys))
    choice = next((c for c in ask.choices if c.key == incoming.key), None)
    if choice is None:
        run.replies.append(Stale())
        return state
    if state.mode is Mode.ASKING:
        return _accept(run, state, choice.key)
    if state.mode is Mode.IDLE:
        return run.start_flow(state, choice.key)
    if state.mode is Mode.REVIEW:
        return _review_answer(run, state, choice.key)
    if state.mode is Mode.PAUSED:
        return _universal(run, state, choice.key) or state
    return _confirm_answer(run, state, choice.key)


def _accept_multi(run: _Run, state: State, keys: list[str]) -> State:
    step = run.step_of(state.stack[-1])
    valid = {c.key for c in step.choices}
    keys = [c.key for c in step.choices if c.key in set(keys) & valid]
    if not keys and not step.optional:
        run.replies.append(run.question(state, texts.ERR_MULTI_EMPTY))
        return state
    return _accept(run, state, keys)


def _answer_text(run: _Run, state: State, text: str) -> State:
    frame = state.stack[-1]
    step = run.step_of(frame)
    kind = step.question
    word = normalize(text)
    if kind is QuestionKind.SINGLE:
        choice = match_choice(text, step.choices)
        if choice is None:
            run.replies.append(run.question(state, texts.ERR_CHOICE))
            return state
        return _accept(run, state, choice.key)
    if kind is QuestionKind.YESNO:
        yn = parse_yesno(text)
        if yn is None:
            run.replies.append(run.question(state, texts.ERR_YESNO))
            return state
        return _accept(run, state, yn)
    if kind is QuestionKind.MULTI:
        if word == DONE_KEY and run.ctx.traits.confirm_multi | run.ctx.traits.buttons:
            return _accept_multi(run, state, list(state.selection))
        keys = parse_multi(text, step.choices)
        if keys is None:
            run.replies.append(run.question(state, texts.ERR_MULTI))
            return state
        if not keys and not step.optional:
            run.replies.append(run.question(state, texts.ERR_MULTI_EMPTY))
            return state
        if run.ctx.traits.confirm_multi:
            new = replace(state, selection=tuple(keys))
            labels = display(QuestionKind.MULTI, keys, step.choices)
            run.replies.append(run.question(new, texts.SELECTED.format(labels=labels)))
            return new
        return _accept(run, state, keys)
    if kind is QuestionKind.DATE:
        found = parse_dutch_date(text, run.ctx.now, step.prefer)
        if found is None:
            run.replies.append(run.question(state, texts.ERR_DATE))
            return state
        return _accept(run, state, found.isoformat())
    # free text
    cleaned = text.strip()
    if step.optional and cleaned in ("-", ""):
        return _accept(run, state, None)
    if not cleaned:
        run.replies.append(run.question(state, texts.ERR_TEXT_EMPTY))
        return state
    if len(cleaned) > step.max_length:
        error = texts.ERR_TEXT_LONG.format(length=len(cleaned), max=step.max_length)
        run.replies.append(run.question(state, error))
        return state
    found_ids = find_identifiers(cleaned)
    if found_ids:
        error = texts.ERR_TEXT_IDENTIFYING.format(what=" of ".join(found_ids))
        run.replies.append(run.question(state, error))
        return state
    return _accept(run, state, cleaned)


def _accept(run: _Run, state: State, value: JSON) -> State:
    frame = state.stack[-1]
    step = run.step_of(frame)
    path = (*frame.ns, step.id)
    state = run.log(state, path, value, EntryKind.ANSWER)
    state = run.mark_changed(state, path, value)
    state = replace(state, selection=(), previous={})
    state = run.goto_next(state, step)
    return run.advance(state)


def begin(book: FlowBook, state: State, flow_id: str, ctx: Context) -> StepResult:
    """Start ``flow_id`` afresh, dropping any conversation in progress."""
    run = _Run(book, ctx)
    if flow_id not in book.flows:
        run.replies.append(run.menu(state))
        return StepResult(state, run.replies, run.effects)
    new_state = run.start_flow(State(serial=state.serial + 1), flow_id)
    return StepResult(new_state, run.replies, run.effects, run.trace)
