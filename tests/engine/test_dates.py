"""Dutch dates as people type them, with today fixed on Wednesday 2 December 2026.

A table of the common relative expressions (weekdays, "over twee weken",
"eind van de maand", "na het weekend", written numbers), plus what must be
refused: a bare number, an impossible date, an ambiguous "5 1".
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine.dates import read_dutch_date, wrong_side

TODAY = date(2026, 12, 2)  # a Wednesday

FUTURE = [
    ("vandaag", date(2026, 12, 2)),
    ("morgen", date(2026, 12, 3)),
    ("overmorgen", date(2026, 12, 4)),
    ("dinsdag", date(2026, 12, 8)),
    ("Dinsdag", date(2026, 12, 8)),
    ("vrijdag", date(2026, 12, 4)),
    ("woensdag", date(2026, 12, 9)),
    ("komende vrijdag", date(2026, 12, 4)),
    ("a.s. maandag", date(2026, 12, 7)),
    ("volgende week dinsdag", date(2026, 12, 8)),
    ("volgende week vrijdag", date(2026, 12, 11)),
    ("dinsdag volgende week", date(2026, 12, 8)),
    ("maandag volgende week", date(2026, 12, 7)),
    ("dinsdag over een week", date(2026, 12, 15)),
    ("vrijdag over twee weken", date(2026, 12, 18)),
    ("donderdag deze week", date(2026, 12, 3)),
    ("over twee weken", date(2026, 12, 16)),
    ("over 2 weken", date(2026, 12, 16)),
    ("over een week", date(2026, 12, 9)),
    ("over drie dagen", date(2026, 12, 5)),
    ("over veertien dagen", date(2026, 12, 16)),
    ("over een maand", date(2027, 1, 2)),
    ("over een half jaar", date(2027, 6, 2)),
    ("volgende week", date(2026, 12, 9)),
    ("volgende maand", date(2027, 1, 2)),
    ("eind van de maand", date(2026, 12, 31)),
    ("eind deze maand", date(2026, 12, 31)),
    ("einde van de maand", date(2026, 12, 31)),
    ("eind volgende maand", date(2027, 1, 31)),
    ("begin volgende maand", date(2027, 1, 1)),
    ("half januari", date(2027, 1, 15)),
    ("eind januari", date(2027, 1, 31)),
    ("eind van de week", date(2026, 12, 4)),
    ("eind van het jaar", date(2026, 12, 31)),
    ("na het weekend", date(2026, 12, 7)),
    ("dit weekend", date(2026, 12, 5)),
    ("5-1", date(2027, 1, 5)),
    ("5/1", date(2027, 1, 5)),
    ("5.1", date(2027, 1, 5)),
    ("5 januari", date(2027, 1, 5)),
    ("5 jan", date(2027, 1, 5)),
    ("vijf januari", date(2027, 1, 5)),
    ("de vijfde januari", date(2027, 1, 5)),
    ("1e februari", date(2027, 2, 1)),
    ("eenentwintig december", date(2026, 12, 21)),
    ("12 maart 2027", date(2027, 3, 12)),
    ("12-3-27", date(2027, 3, 12)),
    ("dinsdag 8 december", date(2026, 12, 8)),
    ("2026-12-08", date(2026, 12, 8)),
]

PAST = [
    ("vandaag", date(2026, 12, 2)),
    ("gisteren", date(2026, 12, 1)),
    ("eergisteren", date(2026, 11, 30)),
    ("dinsdag", date(2026, 12, 1)),
    ("woensdag", date(2026, 11, 25)),
    ("maandag", date(2026, 11, 30)),
    ("afgelopen maandag", date(2026, 11, 30)),
    ("vorige week vrijdag", date(2026, 11, 27)),
    ("vrijdag vorige week", date(2026, 11, 27)),
    ("vorige week", date(2026, 11, 25)),
    ("drie dagen geleden", date(2026, 11, 29)),
    ("twee weken geleden", date(2026, 11, 18)),
    ("een maand geleden", date(2026, 11, 2)),
    ("vorig weekend", date(2026, 11, 28)),
    ("begin van de maand", date(2026, 12, 1)),
    ("12 maart", date(2026, 3, 12)),
    ("12-3", date(2026, 3, 12)),
    ("1 december", date(2026, 12, 1)),
    ("30 november", date(2026, 11, 30)),
]


@pytest.mark.parametrize(("typed", "expected"), FUTURE, ids=[t for t, _ in FUTURE])
def test_a_future_date_as_people_type_it(typed: str, expected: date) -> None:
    assert read_dutch_date(typed, TODAY, "future").day == expected


@pytest.mark.parametrize(("typed", "expected"), PAST, ids=[t for t, _ in PAST])
def test_a_past_date_as_people_type_it(typed: str, expected: date) -> None:
    assert read_dutch_date(typed, TODAY, "past").day == expected


def test_the_table_is_big_enough() -> None:
    assert len(FUTURE) + len(PAST) >= 40


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("99", "number"),
        ("5", "number"),
        ("12", "number"),
        ("vijf", "number"),
        ("5 1", "ambiguous"),
        ("12 3 2027", "ambiguous"),
        ("31-2", "impossible"),
        ("30 februari", "impossible"),
        ("32 januari", "impossible"),
        ("13-13", "impossible"),
        ("31-11-2026", "impossible"),
        ("ik weet het niet", "unknown"),
        ("", "unknown"),
    ],
)
def test_numbers_alone_ambiguous_and_impossible_dates_are_not_read(
    typed: str, problem: str
) -> None:
    reading = read_dutch_date(typed, TODAY, "future")
    assert reading.day is None
    assert reading.problem == problem


def test_a_day_and_month_just_past_stays_in_this_year_so_it_can_be_refused() -> None:
    # On 2 December, "1 december" for a deadline is a slip, not December 2027.
    assert read_dutch_date("1 december", TODAY, "future").day == date(2026, 12, 1)
    assert read_dutch_date("1-12", TODAY, "future").day == date(2026, 12, 1)
    assert read_dutch_date("10 december", TODAY, "past").day == date(2026, 12, 10)
    # Further away it is the next (or last) such date.
    assert read_dutch_date("1 november", TODAY, "future").day == date(2027, 11, 1)
    assert read_dutch_date("20 december", TODAY, "past").day == date(2025, 12, 20)


def test_today_is_on_both_sides_and_the_other_side_is_wrong() -> None:
    assert not wrong_side(TODAY, TODAY, "past")
    assert not wrong_side(TODAY, TODAY, "future")
    assert wrong_side(date(2026, 12, 3), TODAY, "past")
    assert wrong_side(date(2026, 12, 1), TODAY, "future")
