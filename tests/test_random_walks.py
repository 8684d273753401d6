"""Property: any sequence of valid answers through any flow reaches the end.

Hypothesis plays a user through every startable flow — the shipped ones in
``flows/`` and the test fixtures — answering at random, sometimes going
``terug``, sometimes changing an answer with ``wijzig`` at the review, and
always finishing with ``klaar``. The walk runs through the real service, so
the vastlegging templates are rendered for every path it finds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import texts
from bot.engine.messages import Ask, ChannelTraits, Document, QuestionKind, Reply, Say, TextIn
from bot.engine.runner import REVIEW_STEP
from bot.flowspec.loader import load_book
from bot.service.ports import Arrival, ConversationKey
from tests.support.chat import FIXTURES
from tests.support.service import make_service

SHIPPED = Path(__file__).parent.parent / "flows"
TRAITS = ChannelTraits("test", end_to_end_encrypted=True)
MAX_MESSAGES = 400


def _targets() -> list[tuple[Path, str]]:
    out = [(FIXTURES / "flows", "demo")]
    if (SHIPPED / "dilemma.yaml").exists():
        out += [(SHIPPED, f.id) for f in load_book(SHIPPED).menu()]
    return out


TARGETS = _targets()


def _answer(data: st.DataObject, ask: Ask) -> str:
    kind = ask.kind
    if kind is QuestionKind.SINGLE:
        return str(data.draw(st.integers(1, len(ask.choices))))
    if kind is QuestionKind.YESNO:
        return data.draw(st.sampled_from(["ja", "nee"]))
    if kind is QuestionKind.MULTI:
        picked = data.draw(st.sets(st.integers(1, len(ask.choices)), min_size=1))
        return " ".join(str(n) for n in sorted(picked))
    if kind is QuestionKind.DATE:
        if ask.hint == texts.HINT_DATE_PAST:  # a question about the past refuses "morgen"
            return data.draw(st.sampled_from(["gisteren", "vandaag", "vorige week vrijdag"]))
        return data.draw(st.sampled_from(["morgen", "vrijdag", "12-3", "12 maart"]))
    return data.draw(st.sampled_from(["kort antwoord", "nog niet bekend"]))


@pytest.mark.parametrize(("folder", "flow_id"), TARGETS, ids=[f"{p.name}:{f}" for p, f in TARGETS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_walks_always_reach_the_vastlegging(
    folder: Path, flow_id: str, data: st.DataObject
) -> None:
    service = make_service(folder, main_flow=flow_id)
    key = ConversationKey("walk", flow_id)
    replies: list[Reply] = service.start_now(Arrival.starting(key, TRAITS), flow_id)
    backs = changes = 0
    for _ in range(MAX_MESSAGES):
        assert Say(texts.INTERNAL_ERROR) not in replies
        finals = [r for r in replies if isinstance(r, Document) and r.final]
        if finals:
            assert finals[0].text.strip()
            assert finals[0].markdown.strip()
            return
        asks = [r for r in replies if isinstance(r, Ask)]
        assert asks, f"no question and no vastlegging: {replies}"
        ask = asks[-1]
        if ask.step == REVIEW_STEP:
            drafts = [r for r in replies if isinstance(r, Document) and not r.final]
            if drafts:
                assert drafts[0].text.strip()
            if changes < 1 and data.draw(st.booleans()):
                changes += 1
                answered = sum(1 for e in service.store.load(key).log if e.answered)  # type: ignore[union-attr]
                line = f"wijzig {data.draw(st.integers(1, max(answered, 1)))}"
            else:
                line = "klaar"
        elif backs < 3 and data.draw(st.integers(0, 9)) == 0:
            backs += 1
            line = "terug"
        else:
            line = _answer(data, ask)
        replies = service.handle_now(Arrival(key, TextIn(line), TRAITS))
    pytest.fail(f"{flow_id}: no vastlegging after {MAX_MESSAGES} messages")
