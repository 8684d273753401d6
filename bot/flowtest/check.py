"""Run a script and say, in Dutch, at which step it went wrong and what was expected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.engine.context import KnowledgeLike
from bot.flowspec.graph import FlowBook
from bot.flowtest.player import Play, reply_texts
from bot.flowtest.script import Script

_MISSING = object()


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; an empty mapping stays a leaf ``{}``."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = dict(value) if isinstance(value, Mapping) else value
    return out


def answer_differences(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """Every dotted answer path whose value differs, in Dutch."""
    out = []
    for path in sorted(set(actual) | set(expected)):
        got = actual.get(path, _MISSING)
        want = expected.get(path, _MISSING)
        if got != want:
            shown_got = "(ontbreekt)" if got is _MISSING else repr(got)
            shown_want = "(niet verwacht)" if want is _MISSING else repr(want)
            out.append(f"antwoord {path}: kreeg {shown_got}, verwacht {shown_want}")
    return out


@dataclass
class Outcome:
    """What running one script gave: the play and every failure found."""

    script: Script
    play: Play
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _step_name(index: int, line: str) -> str:
    return f"stap {index} (je typt '{line}')"


def run_script(book: FlowBook, script: Script, knowledge: KnowledgeLike | None = None) -> Outcome:
    """Play ``script`` on ``book`` and compare with what it expects."""
    if script.flow not in book.flows:
        play = Play(book, script.flow, script.now)
        known = ", ".join(sorted(book.flows))
        return Outcome(script, play, [f"de flow '{script.flow}' bestaat niet (wel: {known})"])
    play = Play(book, script.flow, script.now)
    if knowledge is not None:
        play.knowledge = knowledge
    play.start()
    outcome = Outcome(script, play)
    fail = outcome.failures.append
    for index, item in enumerate(script.steps, start=1):
        where = _step_name(index, item.answer)
        if play.finished is not None and play.open_question is None:
            fail(f"{where}: het gesprek was al klaar; verwacht werd nog een vraag")
            return outcome
        if item.ask is not None:
            question = play.open_question
            if question is None:
                fail(f"{where}: er stond geen vraag open; verwacht: '{item.ask}'")
            elif item.ask not in question.text:
                fail(f"{where}: de vraag was '{question.text}'; verwacht: '{item.ask}'")
        result = play.send(item.answer)
        if item.then is not None:
            texts = reply_texts(result.replies)
            if not any(item.then in text for text in texts):
                shown = " | ".join(t[:80] for t in texts) or "(niets)"
                fail(f"{where}: de bot zei niet '{item.then}'; wel: {shown}")
    if not script.expects_end:
        return outcome
    if play.finished is None:
        question = play.open_question
        now = f" De open vraag is: '{question.text}'" if question else ""
        fail(f"einde: het gesprek kwam niet tot de vastlegging.{now}")
        return outcome
    data = play.data()
    if play.finished.flow_id != script.flow:
        fail(f"einde: de vastlegging is van flow '{play.finished.flow_id}', niet '{script.flow}'")
    if script.expects_case_code and data.get("case_code") != script.case_code:
        fail(f"einde: casuscode is {data.get('case_code')!r}, verwacht {script.case_code!r}")
    answers = data.get("answers")
    if script.answers is not None and isinstance(answers, Mapping):
        outcome.failures += [
            f"einde: {d}" for d in answer_differences(flatten(answers), script.answers)
        ]
    advice = data.get("advice")
    if script.advice is not None and isinstance(advice, list):
        given = [a["text"] for a in advice]
        if given != list(script.advice):
            fail(f"einde: adviezen waren {given}, verwacht {list(script.advice)}")
    if script.vastlegging:
        try:
            lines = play.document().text.splitlines()
        except Exception as exc:  # a template error is the author's to fix, not a crash
            fail(f"einde: de vastlegging kon niet gemaakt worden: {exc}")
            return outcome
        for line in script.vastlegging:
            if line not in lines:
                fail(f"einde: de vastlegging mist de regel '{line}'")
    return outcome
