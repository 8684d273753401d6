"""End to end on the shipped flows: a user walks each menu flow (the main flow
``dilemma`` first) from ``/start`` to the vastlegging file, pressing the first
button or typing a plausible answer, exactly as on a phone."""

from __future__ import annotations

import re

import pytest

from tests.peers.telegram.fixture import BotMessage, BotProcess, TelegramUser
from tests.telegram.conftest import shipped_menu_flows

pytestmark = pytest.mark.peer

TEXT_ANSWERS = ("Test <&> 😀 in het team besproken", "Test", "-")
DATE_ANSWERS = ("vandaag", "morgen", "gisteren", "12 maart")
MAX_TURNS = 200
DATE_HINT = re.compile(r"Typ (een datum|bijvoorbeeld: vrijdag)")


def _flows() -> list[str]:
    flows = list(shipped_menu_flows())
    return ["dilemma", *(f for f in flows if f != "dilemma")]


def progress_line(message: BotMessage) -> int | None:
    """Which line of a question is its progress line, in italics ("Vraag 3 van
    ongeveer 12", "Deel 2 van 4: …", or the flow's title); None if it has none.
    What the bot said just before a question shares its message, above it."""
    for number, line in enumerate(message.html.split("\n")):
        if line.startswith("<i>"):
            return number
    return None


def turn_done(new: list[BotMessage]) -> bool:
    """The bot has answered a turn: a question (buttons or a progress line) or the file."""
    if not new:
        return False
    last = new[-1]
    return bool(last.buttons or last.document or progress_line(last) is not None)


@pytest.mark.parametrize("flow_id", _flows())
def test_walk_a_shipped_flow_to_the_vastlegging(shipped_bot: BotProcess, flow_id: str) -> None:
    flows = shipped_menu_flows()
    if flow_id not in flows:
        pytest.skip(f"the shipped flow flows/{flow_id}.yaml does not exist yet")
    user = TelegramUser(shipped_bot)
    user.send("/start")
    menu = user.expect_question("Waarmee wil je aan de slag?")
    user.callback_answer(user.press(menu, flows[flow_id]))

    tries: dict[str, int] = {}
    for _ in range(MAX_TURNS):
        new = user.wait_until(turn_done, "the next question or the vastlegging")
        if any(m.document for m in new):
            (document,) = [m for m in new if m.document]
            assert document.document is not None
            assert document.document["file_name"].endswith(".txt")
            content = user.document_content(document)
            assert content.strip()
            # the same vastlegging also arrived as a message (escaped there, literal here)
            chat_text = "\n".join(m.text for m in new if not m.document)
            assert content.strip().split("\n")[0] in chat_text
            for callback_id in user.callbacks:
                user.callback_answer(callback_id)  # each press answered exactly once
            return
        question = new[-1]
        key = question_of(question)
        attempt = tries.get(key, 0)
        tries[key] = attempt + 1
        assert attempt < 4, f"stuck at a question:\n{question.text}"
        answer(user, question, attempt)
    pytest.fail(f"no vastlegging after {MAX_TURNS} turns")


def question_of(message: BotMessage) -> str:
    """The question itself: the line after the progress line (or the first line)."""
    lines = message.text.split("\n")
    number = progress_line(message)
    return lines[number + 1] if number is not None and number + 1 < len(lines) else lines[0]


def answer(user: TelegramUser, question: BotMessage, attempt: int) -> None:
    labels = [b.text for b in question.buttons]
    if "Klaar" in labels:  # multiple choice: tick one or two, then Klaar
        for label in labels[: 1 + attempt % 2]:
            if label != "Klaar":
                user.callback_answer(user.press(user.message(question.message_id), label))
        user.callback_answer(user.press(user.message(question.message_id), "Klaar"))
    elif labels:
        choice = next((b for b in labels if b.startswith("Klaar,")), labels[attempt % len(labels)])
        user.callback_answer(user.press(question, choice))
    elif DATE_HINT.search(question.text):
        user.send_text(DATE_ANSWERS[attempt % len(DATE_ANSWERS)])
    else:
        user.send_text(TEXT_ANSWERS[attempt % len(TEXT_ANSWERS)])


def test_an_articles_quick_reply_button_acts_as_typing(shipped_bot: BotProcess) -> None:
    """``Say.actions`` (e.g. "meer" under the first page of an article) are buttons;
    a press types the word: the next page comes, and the pressed buttons go."""
    user = TelegramUser(shipped_bot)
    user.send("/start")
    user.expect_question("Waarmee wil je aan de slag?")
    user.send("/kennis meldcode")
    new = user.wait_until(lambda n: bool(n) and bool(n[-1].buttons), "the article and the menu")
    pages = [m for m in new if any(b.data.startswith("a|") for b in m.buttons)]
    assert pages, "the article's first page carries a quick-reply button (meer)"
    page = pages[-1]
    action = next(b for b in page.buttons if b.data.startswith("a|"))
    assert len(action.data.encode()) <= 64
    answer = user.callback_answer(user.press(page, action.text))
    assert answer["text"] == ""
    later = user.wait_until(lambda n: bool(n), "the next page")
    assert later[0].text != page.text
    assert user.message(page.message_id).buttons == []  # pressed once, then gone
    stale = user.callback_answer(user.press(page, action.text))  # a phone still showing it
    assert stale["text"] == "Deze knop hoort bij een eerdere vraag."
