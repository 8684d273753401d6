"""Finishing a flow: the summary data, the draft and final document, the record.

The engine renders nothing itself: it asks the service for a document
(:class:`~bot.engine.messages.DocumentRequest`) and, when the user confirms,
hands over a :class:`~bot.engine.messages.RecordFinished` effect.
"""

from __future__ import annotations

from typing import Any

from bot.engine import texts
from bot.engine.messages import Choice, DocumentRequest, RecordFinished, Say
from bot.engine.review import Reviewer
from bot.engine.scope import join_path
from bot.engine.state import EntryKind, Mode, State
from bot.flowspec.graph import AskStep, EndStep


class Finisher(Reviewer):
    """The walker's end of a flow."""

    def end_step(self, state: State) -> EndStep:
        step = self.step_of(state.stack[0])
        assert isinstance(step, EndStep), "the review opens at the top flow's end"
        return step

    def document(self, state: State, *, final: bool) -> DocumentRequest:
        flow = self.book.flows[state.flow or ""]
        step = self.end_step(state)
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
            if not isinstance(step, AskStep):
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
        end = self.end_step(state)
        if end.then:  # e.g. the offer to have a colleague confirm the vier-ogen overleg
            actions = tuple(Choice(key, label) for key, label in end.then_choices)
            self.replies.append(Say(end.then, actions=actions))
        return State(mode=Mode.IDLE, serial=state.serial + 1, ended=True)
