"""Typed answers: numbers, labels, a unique part of a label, several choices, yes/no."""

from __future__ import annotations

import pytest

from bot.engine.answers import display, match_choice, normalize, parse_multi, parse_yesno
from bot.engine.messages import Choice, QuestionKind

VIEW = (
    Choice("eens", "Ja, we zijn het eens"),
    Choice("deels", "Deels"),
    Choice("oneens", "Nee, we zijn het niet eens"),
)
PARTNERS = (
    Choice("huisarts", "Huisarts"),
    Choice("school", "School"),
    Choice("vt", "Veilig Thuis"),
)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("1", "eens"),
        ("3", "oneens"),
        ("deels", "deels"),
        ("DEELS!", "deels"),
        ("ja, we zijn het eens", "eens"),
        ("niet eens", "oneens"),
        ("oneens", "oneens"),
    ],
)
def test_a_choice_by_number_label_key_or_a_unique_part(typed: str, key: str) -> None:
    found = match_choice(typed, VIEW)
    assert found is not None and found.key == key


@pytest.mark.parametrize("typed", ["4", "0", "eens en deels", "het", "we zijn het"])
def test_an_unknown_or_ambiguous_choice_is_not_guessed(typed: str) -> None:
    assert match_choice(typed, VIEW) is None


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("1 3", ["huisarts", "vt"]),
        ("3,1", ["huisarts", "vt"]),
        ("1, 2 en 3", ["huisarts", "school", "vt"]),
        ("school en veilig thuis", ["school", "vt"]),
        ("geen", []),
    ],
)
def test_several_choices(typed: str, keys: list[str]) -> None:
    assert parse_multi(typed, PARTNERS) == keys


@pytest.mark.parametrize("typed", ["1 9", "school en bakker", "??"])
def test_several_choices_that_do_not_fit(typed: str) -> None:
    assert parse_multi(typed, PARTNERS) is None


def test_yes_and_no() -> None:
    assert [parse_yesno(t) for t in ("Ja", "j", "NEE", "n", "1", "2", "misschien")] == [
        "ja",
        "ja",
        "nee",
        "nee",
        "ja",
        "nee",
        None,
    ]


def test_normalize_drops_accents_case_and_spaces() -> None:
    assert normalize("  Cliënt   WIL  niet. ") == "client wil niet"


def test_display() -> None:
    assert display(QuestionKind.MULTI, ["vt", "huisarts"], PARTNERS) == "Veilig Thuis, Huisarts"
    assert display(QuestionKind.DATE, "2026-11-27") == "vrijdag 27 november 2026"
    assert display(QuestionKind.YESNO, "nee") == "Nee"
    assert display(QuestionKind.TEXT, None) == "—"
