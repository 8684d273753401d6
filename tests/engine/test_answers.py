"""Typed answers: numbers, labels, a unique part of a label, several choices, yes/no."""

from __future__ import annotations

import pytest

from bot.engine.answers import (
    display,
    key_range,
    match_choice,
    normalize,
    parse_multi,
    parse_yesno,
    pick_choice,
)
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


KINDS = (
    Choice("ingrijpen", "Ingrijpen of de cliënt zelf laten kiezen"),
    Choice("uhp", "Uithuisplaatsing of thuis opgroeien"),
    Choice("delen", "Informatie delen"),
    Choice("veiligheid", "Zorgen over veiligheid"),
)
AGES = (
    Choice("onder-12", "Jonger dan 12 jaar"),
    Choice("12-15", "12 tot en met 15 jaar"),
    Choice("16-17", "16 of 17 jaar"),
    Choice("18+", "18 jaar of ouder"),
)


@pytest.mark.parametrize(
    ("typed", "choices", "key"),
    [
        ("ja", VIEW, "eens"),
        ("Ja!", VIEW, "eens"),
        ("nee", VIEW, "oneens"),
        ("deesl", VIEW, "deels"),
        ("uithuisplaatsng", KINDS, "uhp"),
        ("informatie deeln", KINDS, "delen"),
        ("zorgen", KINDS, "veiligheid"),
        ("14", AGES, "12-15"),
        ("14 jaar", AGES, "12-15"),
        ("veertien", AGES, "12-15"),
        ("17 jr", AGES, "16-17"),
        ("40", AGES, "18+"),
        ("2", AGES, "12-15"),  # an option number stays an option
        ("4", AGES, "18+"),
        ("5 jaar", AGES, "onder-12"),
    ],
)
def test_first_words_typos_and_ages_pick_the_option(
    typed: str, choices: tuple[Choice, ...], key: str
) -> None:
    found = pick_choice(typed, choices)
    assert found.choice is not None and found.choice.key == key


def test_two_options_that_fit_are_both_candidates() -> None:
    both = (Choice("thuis", "Ambulante hulp thuis"), Choice("school", "Ambulante hulp op school"))
    found = pick_choice("ambulante hulp", both)
    assert found.choice is None
    assert [c.key for c in found.candidates] == ["thuis", "school"]


@pytest.mark.parametrize(
    ("key", "span"),
    [("12-15", (12, 15)), ("16+", (16, 999)), ("onder-12", (0, 11)), ("eens", None)],
)
def test_range_keys(key: str, span: tuple[int, int] | None) -> None:
    assert key_range(key) == span
