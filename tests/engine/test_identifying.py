"""Identifying details in a free-text answer: named back to the user, never kept,
and replaceable by a neutral word with one word (issue #13)."""

from __future__ import annotations

import json

from bot.identify import Finding, Kind, PatternDetector
from tests.support.chat import EngineChat, fixture_book


class KnowsOneName(PatternDetector):
    """The pattern checks plus one name (the real name lists load in tests/identify)."""

    def find(self, text: str) -> list[Finding]:
        found = super().find(text)
        start = text.find("Daan Jansen")
        if start >= 0:
            found.append(Finding(start, start + 11, Kind.NAME, "Daan Jansen"))
        return sorted(found)


def chat() -> EngineChat:
    c = EngineChat(fixture_book(), identifiers=KnowsOneName())
    c.start("demo")
    assert c.ask.step == "code"
    return c


def test_a_name_is_named_back_and_nothing_of_it_is_kept() -> None:
    c = chat()
    c.say("Daan Jansen")
    assert c.ask.step == "code"
    assert "«Daan Jansen» lijkt een naam." in c.ask.error
    assert "vervang" in c.ask.error and "«[naam]»" in c.ask.error
    assert len(c.ask.error) <= 600
    assert "Daan" not in json.dumps(c.state.to_json())  # only the neutral version waits


def test_vervang_keeps_the_answer_with_neutral_words() -> None:
    c = chat()
    c.say("Daan Jansen")
    c.say("vervang")
    assert c.ask.step != "code"
    (entry,) = [e for e in c.state.log if e.path == ("code",)]
    assert entry.value == "[naam]"


def test_a_new_answer_replaces_the_offer_and_vervang_is_then_an_ordinary_word() -> None:
    c = chat()
    c.say("bel 06-12345678")
    assert "«06-12345678» lijkt een telefoonnummer." in c.ask.error
    c.say("C-7")
    assert c.ask.step != "code"
    assert c.state.redacted is None
    (entry,) = [e for e in c.state.log if e.path == ("code",)]
    assert entry.value == "C-7"


def test_a_long_answer_is_not_quoted_back_whole() -> None:
    c = chat()
    c.say("C-1", "3")
    assert c.ask.step == "toelichting"
    c.say("Daan Jansen " + "en nog veel meer tekst " * 12)
    assert c.ask.step == "toelichting"
    assert len(c.ask.error) <= 320
    assert "«Daan Jansen» lijkt een naam." in c.ask.error
