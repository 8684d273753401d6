"""Every question of the shipped flows is phone-ready and explains itself.

- Every button label (every choice of every question, and every list in
  ``organisatie.yaml``) is at most 24 characters and has no number prefix: a
  phone shows about 20 to 25 characters per button, and the full meaning stays
  in the question text.
- Every question has ``why`` (shown by ``hulp``) and ``example``.
- Every date question says in its YAML whether it wants a past or a future
  date (``prefer``), and its text says so too: "Wanneer was het overleg?" for
  the past, "Wanneer wil je ...?" for the future.
- Every age question is a choice whose keys are ranges (``0-3``, ``18+``), so a
  typed "14 jaar" can be mapped to one.
- For a child under 12, the consent question never offers "de jongere".
"""

from __future__ import annotations

import re

import pytest

from bot.engine.messages import QuestionKind
from bot.flowspec.graph import Step
from bot.flowspec.source import read_yaml
from tests.content.support import FLOWS, shipped_book

MAX_BUTTON = 24
NUMBER_PREFIX = re.compile(r"^\s*\d+\s*[.):-]")
AGE_KEY = re.compile(r"^\d+-\d+$|^\d+\+$")
PAST_WORDS = re.compile(r"\b(?:was|waren|kreeg|kreeg je|had|gebeurde|heb je gekregen)\b")
FLOW_FILES = sorted(p for p in FLOWS.glob("*.yaml") if p.name != "organisatie.yaml")


def _questions() -> list[tuple[str, Step]]:
    book = shipped_book()
    return [
        (block_id, s)
        for block_id, block in book.blocks.items()
        for s in block.steps.values()
        if s.kind == "ask"
    ]


def _raw_steps(steps: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for s in steps:
        out.append(s)
        nested = s.get("steps")
        if isinstance(nested, list):
            out += _raw_steps(nested)
    return out


def test_the_flows_have_questions_with_choices() -> None:
    assert sum(1 for _, s in _questions() if s.choices) >= 25


@pytest.mark.parametrize("block_step", _questions(), ids=lambda bs: f"{bs[0]}.{bs[1].id}")
def test_every_button_label_is_short_and_has_no_number(block_step: tuple[str, Step]) -> None:
    block_id, step = block_step
    for choice in step.choices:
        assert len(choice.label) <= MAX_BUTTON, (block_id, step.id, choice.label)
        assert not NUMBER_PREFIX.match(choice.label), (block_id, step.id, choice.label)


def test_every_organisation_list_label_is_short_and_has_no_number() -> None:
    lists = shipped_book().org.lijsten
    assert {"partners", "disciplines"} <= set(lists)
    for name, items in lists.items():
        for key, label in items.items():
            assert len(label) <= MAX_BUTTON, (name, key, label)
            assert not NUMBER_PREFIX.match(label), (name, key, label)


def test_the_label_check_would_catch_a_long_or_numbered_label() -> None:
    assert len("Opschalen naar het Team complexe problematiek") > MAX_BUTTON
    assert NUMBER_PREFIX.match("5. Opschalen")
    assert not NUMBER_PREFIX.match("18 jaar of ouder")


@pytest.mark.parametrize("block_step", _questions(), ids=lambda bs: f"{bs[0]}.{bs[1].id}")
def test_every_question_says_why_and_gives_an_example(block_step: tuple[str, Step]) -> None:
    block_id, step = block_step
    assert step.why and len(step.why) >= 20, (block_id, step.id)
    assert step.example, (block_id, step.id)


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.stem)
def test_every_date_question_says_past_or_future(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    data = read_yaml(str(path), path.read_text(encoding="utf-8")).data
    for raw in _raw_steps(list(data["steps"])):
        if raw.get("ask") != "date":
            continue
        prefer = raw.get("prefer")
        assert prefer in ("past", "future"), f"{path.name}: {raw['id']} sets no prefer"
        text = str(raw["text"])
        assert text.startswith("Wanneer"), (raw["id"], text)
        if prefer == "past":
            assert PAST_WORDS.search(text), f"{raw['id']}: a past date question in the past tense"
        else:
            assert not PAST_WORDS.search(text), f"{raw['id']}: a future date question, not past"


def test_every_age_question_offers_ranges() -> None:
    ages = [(b, s) for b, s in _questions() if s.id == "leeftijd"]
    assert len(ages) >= 3  # dilemma, vier-ogen, toestemming
    for block_id, step in ages:
        assert step.question is QuestionKind.SINGLE, block_id
        keys = [c.key for c in step.choices]
        assert all(AGE_KEY.match(k) for k in keys), (block_id, keys)
        assert keys[0].startswith("0-") and keys[-1] == "18+", (block_id, keys)


def test_under_twelve_the_consent_question_does_not_offer_the_young_person() -> None:
    book = shipped_book()
    block = next(b for b in book.blocks.values() if "antwoord_kind" in b.steps)
    kind = block.steps["antwoord_kind"]
    assert kind.when is not None and "jong" in kind.when.source
    labels = " ".join(c.label.lower() for c in kind.choices)
    assert "jongere" not in labels and "cliënt" not in labels
    assert {c.key for c in kind.choices} >= {"ouders", "voogd"}
