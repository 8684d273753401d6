"""Presenting questions: the open question with its hint and progress, the menu,
the pause and restart questions, and an answer as the user would say it.

Pure: builds :class:`~bot.engine.messages.Ask` values from the scope.
"""

from __future__ import annotations

from bot.engine import texts
from bot.engine.answers import YES_NO, display
from bot.engine.messages import Ask, Choice, Progress, QuestionKind
from bot.engine.scope import Scope, join_path
from bot.engine.state import LogEntry, State
from bot.flowspec.graph import AskStep, CallStep

MENU_STEP = "menu"
PAUSED_STEP = "gestopt"
CONFIRM_STEP = "bevestig"


class Presenter(Scope):
    """The walker's questions and the progress hint above them."""

    def progress(self, state: State) -> Progress:
        """The hint above a question. In a flow of parts (two or more called flows)
        the part is named; otherwise "vraag N van ongeveer M", where M never goes
        up by more than 2 from one question to the next."""
        flow = self.book.flows.get(state.flow or "")
        if flow is not None:
            top = self.book.blocks[flow.block]
            calls = [s for s in top.steps.values() if isinstance(s, CallStep)]
            if len(calls) >= 2:
                return self.part_progress(state, calls, flow.title)
        counted = self.counted_progress(state)
        if state.base_total and counted.total > state.base_total + 2:
            total = max(counted.current, state.base_total + 2)
            return Progress(counted.current, total)
        return counted

    def part_progress(self, state: State, calls: list[CallStep], title: str) -> Progress:
        answered = sum(1 for e in state.log if e.answered)
        if len(state.stack) > 1:
            step_id = state.stack[0].step
            for n, call in enumerate(calls, start=1):
                if call.id == step_id:
                    callee = self.book.flows[call.callee]
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

    def question(self, state: State, error: str = "", note: str = "") -> Ask:
        frame = state.stack[-1]
        step = self.question_step(frame)
        variables = self.variables(state)
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
            question_id=state.question_id,
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
            state.question_id,
            MENU_STEP,
            QuestionKind.SINGLE,
            texts.MENU_QUESTION,
            choices,
            hint=texts.MENU_HINT,
            error=error,
        )

    def flow_title(self, state: State) -> str:
        flow = self.book.flows.get(state.flow or "")
        return flow.title if flow else ""

    def paused_ask(self, state: State) -> Ask:
        return Ask(
            state.question_id,
            PAUSED_STEP,
            QuestionKind.SINGLE,
            texts.PAUSED_REMINDER.format(flow=self.flow_title(state)),
            (Choice("verder", "Verder"), Choice("nieuw", "Opnieuw beginnen")),
            hint=texts.HINT_CHOICE,
        )

    def confirm_ask(self, state: State) -> Ask:
        return Ask(
            state.question_id,
            CONFIRM_STEP,
            QuestionKind.YESNO,
            texts.CONFIRM_RESTART,
            YES_NO,
            hint=texts.HINT_YESNO,
        )

    def question_and_answer(self, state: State, entry: LogEntry) -> tuple[str, str]:
        frame = entry.stack[-1]
        step = self.step_of(frame)
        variables = self.variables(state, entry.stack)
        if not isinstance(step, AskStep):
            return step.id, display(None, entry.value)
        question = step.text.render(variables)
        choices = YES_NO if step.question is QuestionKind.YESNO else step.choices
        return question, display(step.question, entry.value, choices)

    def describe(self, state: State, entry: LogEntry) -> str:
        question, answer = self.question_and_answer(state, entry)
        return f"{question} {answer}"
