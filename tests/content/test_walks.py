"""Property: random valid answers through any shipped flow reach the vastlegging.

Hypothesis plays a professional who answers every question with a random
valid answer, sometimes types ``terug`` or ``nood``, and at the review
sometimes changes an answer with ``wijzig N`` before typing ``klaar``. Every
walk must reach the review, then a vastlegging that renders in both formats
with the footer and no template leftovers. The same runs on a channel
without end-to-end encryption for an organisation that forbids free text
there: the case questions are skipped and the vastlegging says so.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.messages import Ask, ChannelTraits, QuestionKind
from bot.engine.state import Mode
from bot.flowspec.graph import FlowBook
from tests.content.support import CONSOLE, Play, render, shipped_book, with_org

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
TELEGRAM = ChannelTraits("telegram", buttons=False, end_to_end_encrypted=False)
MAX_MESSAGES = 250
TEXTS = ("Zorgen over de thuissituatie", "Afspraak met de mentor", "Zie dossier", "Ja, kort")
# Dates as people type them, by what the question asks (the engine refuses the other kind).
DATES = {
    "future": ("vandaag", "morgen", "vrijdag", "1 december", "over twee weken"),
    "past": ("vandaag", "gisteren", "vorige week vrijdag", "12-11", "1 november"),
}


@cache
def _strict_book() -> FlowBook:
    return with_org(vrije_tekst_zonder_versleuteling=False)


FLOWS = [f.id for f in shipped_book().menu()]


def _answer(data: st.DataObject, p: Play, ask: Ask) -> str:
    frame = p.state.stack[-1]
    step = p.book.blocks[frame.block].steps[frame.step]
    optional = step.optional
    kind = ask.kind
    if kind is QuestionKind.SINGLE:
        return str(data.draw(st.integers(1, len(ask.choices))))
    if kind is QuestionKind.YESNO:
        return data.draw(st.sampled_from(["ja", "nee"]))
    if kind is QuestionKind.MULTI:
        picked = data.draw(st.sets(st.integers(1, len(ask.choices)), min_size=0 if optional else 1))
        return " ".join(str(n) for n in sorted(picked)) if picked else "geen"
    if kind is QuestionKind.DATE:
        return data.draw(st.sampled_from(DATES[step.prefer]))
    if optional and data.draw(st.booleans()):
        return "-"
    limit = ask.max_length or 400
    return data.draw(st.sampled_from(TEXTS))[:limit]


def _walk(data: st.DataObject, book: FlowBook, flow: str, traits: ChannelTraits) -> Play:
    p = Play(book, flow, NOW, traits)
    p.start()
    changes = backs = 0
    for _ in range(MAX_MESSAGES):
        state = p.state
        if p.finished is not None:
            return p
        if state.mode is Mode.REVIEW:
            answered = sum(1 for e in state.log if e.answered)
            if changes < 2 and answered and data.draw(st.integers(0, 4)) == 4:
                changes += 1
                p.send(f"wijzig {data.draw(st.integers(1, answered))}")
            else:
                p.send("klaar")
            continue
        assert state.mode is Mode.ASKING, f"unexpected mode {state.mode}"
        # Hypothesis shrinks towards 0: make 0 a plain answer, so a shrunk walk still ends.
        roll = data.draw(st.integers(0, 19))
        if roll == 19 and backs < 8:
            backs += 1
            p.send("terug")
        elif roll == 18:
            before = p.state
            p.send("nood")
            assert p.state == before
        else:
            p.send(_answer(data, p, p.last_ask))
    raise AssertionError(f"{flow}: no vastlegging after {MAX_MESSAGES} messages")


def _check_vastlegging(p: Play, flow: str) -> str:
    assert p.review is not None, "the review was never shown"
    assert p.finished is not None and p.finished.flow_id == flow
    doc = render(p.book, p.finished.document)
    version = p.book.flows[flow].version
    footer = f"De professional heeft besloten. Flow: {flow}, versie {version}."
    assert doc.text.splitlines()[-1] == footer
    assert "De professional heeft besloten" in doc.markdown
    for text in (doc.text, doc.markdown):
        assert "None" not in text
        assert "Undefined" not in text
    return doc.text


@pytest.mark.parametrize("flow", FLOWS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_walks_reach_the_review_and_the_vastlegging(flow: str, data: st.DataObject) -> None:
    p = _walk(data, shipped_book(), flow, CONSOLE)
    _check_vastlegging(p, flow)


@pytest.mark.parametrize("flow", FLOWS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_without_encryption_case_questions_are_skipped_and_listed(
    flow: str, data: st.DataObject
) -> None:
    p = _walk(data, _strict_book(), flow, TELEGRAM)
    text = _check_vastlegging(p, flow)
    skipped = p.finished.document.data["skipped"] if p.finished else []
    assert isinstance(skipped, list)
    if flow in ("dilemma", "vier-ogen"):  # they always reach a question about the case
        assert skipped
    if skipped:
        assert "NIET GEVRAAGD" in text
        for item in skipped:
            assert item["question"] in text
