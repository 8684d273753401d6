"""Every shipped example, walked as a phone user would: no message longer than
600 characters (the final vastlegging excepted), and a progress hint that
never goes up by more than 2 from one question to the next.

Both the engine's own messages (review, sections, help, articles, welcome,
menu) and the texts written in the flows (questions, advice) are checked. The
question count of every example is printed (``pytest -s``) and kept as a user
property of its test; tests/content reports it in the normal output too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.channels.text import reply_text
from bot.engine.messages import Ask, EngineReply, Say, TextIn
from bot.engine.runner import MENU_STEP, REVIEW_STEP, step
from bot.engine.state import Mode, State
from bot.engine.walker import SECTION_STEP
from bot.knowledge.base import Article
from tests.content.support import Example, Play, examples, knowledge, play, shipped_book

LIMIT = 600
ENGINE_STEPS = {MENU_STEP, REVIEW_STEP, SECTION_STEP, "gestopt", "bevestig"}

EXAMPLES = examples()
IDS = [e.name for e in EXAMPLES]


def _text(reply: EngineReply) -> str | None:
    if isinstance(reply, Say | Ask):
        return reply_text(reply)
    return None


def _too_long(replies: list[EngineReply]) -> list[tuple[EngineReply, int]]:
    out = []
    for reply in replies:
        text = _text(reply)
        if text is not None and len(text) > LIMIT:
            out.append((reply, len(text)))
    return out


def _label(reply: EngineReply, length: int) -> str:
    if isinstance(reply, Ask):
        return f"question {reply.step!r} ({length} chars)"
    text = reply.text if isinstance(reply, Say) else ""
    return f"text {text[:50]!r}… ({length} chars)"


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_every_message_of_an_example_fits_a_phone(
    example: Example, record_property: Callable[[str, object], None]
) -> None:
    p = play(example)
    assert p.finished is not None, f"{example.name} did not reach the vastlegging"
    questions = 0
    last_id = None
    flow_texts: list[str] = []
    for result in p.results:
        for reply, length in _too_long(result.replies):
            if isinstance(reply, Ask) and reply.step in ENGINE_STEPS:
                pytest.fail(f"the engine's own {_label(reply, length)} is too long")
            flow_texts.append(_label(reply, length))
        for reply in result.replies:
            if isinstance(reply, Ask) and reply.step not in ENGINE_STEPS:
                if reply.question_id != last_id:
                    questions += 1
                last_id = reply.question_id
    record_property("questions", questions)
    print(f"\n{example.name}: {questions} questions")
    assert not flow_texts, flow_texts


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_the_progress_hint_never_goes_up_by_more_than_2(example: Example) -> None:
    p = play(example)
    last: tuple[str, int] | None = None
    seen = 0
    for result in p.results:
        for reply in result.replies:
            if not isinstance(reply, Ask) or reply.progress is None:
                continue
            progress = reply.progress
            if not progress.counted:
                last = None  # a named part; no count to compare
                continue
            if last is not None and reply.question_id != last[0]:
                assert progress.total <= last[1] + 2, (
                    f"{example.name}: van ongeveer {last[1]} -> {progress.total} at {reply.step}"
                )
                seen += 1
            last = (reply.question_id, progress.total)
    assert seen or all(
        not isinstance(r, Ask) or r.progress is None or not r.progress.counted
        for res in p.results
        for r in res.replies
    )


def _probe(p: Play, line: str) -> list[EngineReply]:
    return step(p.book, p.state, TextIn(line), p.ctx).replies


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_the_engines_own_messages_fit_at_every_question(example: Example) -> None:
    """hulp, uitleg (+ meer) and nood at every question; each review section opened."""
    checked = 0

    def probe(p: Play) -> None:
        nonlocal checked
        if p.state.mode is Mode.ASKING:
            lines = ["hulp", "uitleg", "nood"]
            if p.last_ask.help_article:
                lines.append("meer")
            for line in lines:
                replies = _probe(p, line)
                says = [r for r in replies if isinstance(r, Say)]
                assert says, line
                for say in says:
                    assert len(reply_text(say)) <= LIMIT, f"{line}: {say.text[:80]!r}"
            checked += 1
        elif p.state.mode is Mode.REVIEW:
            review = p.last_ask
            assert len(reply_text(review)) <= LIMIT
            for n in range(2, len(review.choices) + 1):  # every part (1 is Klaar)
                replies = _probe(p, str(n))
                for reply in replies:
                    text = _text(reply)
                    assert text is None or len(text) <= LIMIT, text

    play(example, before_each=probe)
    assert checked


ARTICLES = knowledge().all()


@pytest.mark.parametrize("article", ARTICLES, ids=[a.id for a in ARTICLES])
def test_every_article_reads_in_messages_of_at_most_600(article: Article) -> None:
    book = shipped_book()
    p = Play(book, "dilemma", EXAMPLES[0].now)
    p.start()
    opening = p.send(f"kennis {article.id}")
    first = [r for r in opening.replies if isinstance(r, Say)]
    assert first and first[0].article == article.id
    assert len(reply_text(first[0])) <= LIMIT
    if article.summary:
        assert article.summary.strip()[:40] in first[0].text
    rest = [r for r in p.send("meer").replies if isinstance(r, Say)]
    assert rest, "meer shows the rest"
    assert all(len(reply_text(r)) <= LIMIT for r in rest)
    assert "Gecontroleerd op" in rest[-1].text


def test_the_list_of_articles_and_the_menu_fit() -> None:
    book = shipped_book()
    p = Play(book, "dilemma", EXAMPLES[0].now)
    p.start()
    for reply in p.send("kennis").replies + p.send("meer").replies:
        text = _text(reply)
        assert text is None or len(text) <= LIMIT
    p = Play(book, "dilemma", EXAMPLES[0].now)
    result = step(book, State(), TextIn("start"), p.ctx)
    for reply in result.replies:
        text = _text(reply)
        assert text is not None and len(text) <= LIMIT
