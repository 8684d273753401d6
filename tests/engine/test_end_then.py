"""An end step's ``then``: a text said after the vastlegging (once, at the top
level), with ``then_choices`` as quick replies; labels longer than a phone
button are refused where they are written."""

from __future__ import annotations

import pytest

from bot.engine.messages import DocumentRequest, Say
from bot.flowspec.compile import compile_book
from bot.flowspec.errors import FlowLoadError
from bot.flowspec.graph import FlowBook
from tests.support.chat import EngineChat

FLOW = """
id: kort
version: "1"
title: Kort
steps:
  - id: wat
    ask: choice
    text: Wat is er?
    choices:
      a: Iets
      b: Iets anders
  - id: einde
    end: demo
    then: Wil je dat een collega dit bevestigt?
    then_choices:
      bevestigen: {label}
"""
TEMPLATE = "Vastlegging {{ answers.wat }}\n"


def book(label: str = "Collega laten bevestigen") -> FlowBook:
    return compile_book(
        {
            "kort.yaml": FLOW.format(label=label),
            "templates/demo.txt.j2": TEMPLATE,
            "templates/demo.md.j2": TEMPLATE,
        }
    )


def test_then_is_said_after_the_vastlegging_with_its_quick_replies() -> None:
    chat = EngineChat(book())
    chat.start("kort")
    review = chat.say("1")
    assert not any(isinstance(r, Say) and "collega" in r.text for r in review)  # not before
    replies = chat.say("klaar")
    kinds = [type(r).__name__ for r in replies]
    assert kinds[-2:] == ["DocumentRequest", "Say"]
    assert isinstance(replies[-2], DocumentRequest) and replies[-2].final
    then = replies[-1]
    assert isinstance(then, Say) and then.text == "Wil je dat een collega dit bevestigt?"
    assert [(a.key, a.label) for a in then.actions] == [("bevestigen", "Collega laten bevestigen")]
    assert len(chat.records) == 1


def test_a_then_choice_label_longer_than_a_button_is_refused() -> None:
    with pytest.raises(FlowLoadError) as error:
        book("Een collega laten bevestigen graag")
    assert "kort.yaml" in str(error.value)
