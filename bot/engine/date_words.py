"""The Dutch words typed dates and ages are made of: day and month names with their
short forms, numbers and ordinals written out, units of time, fixed day words.

Tables only, kept apart from the rules that read dates (:mod:`bot.engine.dates`)
so each reads on its own; :func:`number_word` serves ages too.
"""

from __future__ import annotations

DAY_WORDS = {
    "maandag": 0,
    "ma": 0,
    "dinsdag": 1,
    "di": 1,
    "woensdag": 2,
    "wo": 2,
    "donderdag": 3,
    "do": 3,
    "vrijdag": 4,
    "vr": 4,
    "vrij": 4,
    "zaterdag": 5,
    "za": 5,
    "zat": 5,
    "zondag": 6,
    "zo": 6,
}
MONTH_WORDS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "febr": 2,
    "maart": 3,
    "mrt": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augustus": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_UNIT_WORDS = ("een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen")
NUMBER_WORDS: dict[str, int] = {
    "nul": 0,
    "een": 1,
    "eén": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "zeventien": 17,
    "achttien": 18,
    "negentien": 19,
    "twintig": 20,
    "dertig": 30,
}
for _n, _unit in enumerate(_UNIT_WORDS, start=1):
    NUMBER_WORDS[f"{_unit}entwintig"] = 20 + _n
    NUMBER_WORDS[f"{_unit}endertig"] = 30 + _n
NUMBER_WORDS["tweeentwintig"] = 22
NUMBER_WORDS["drieentwintig"] = 23
NUMBER_WORDS["tweeendertig"] = 32


def number_word(word: str) -> int | None:
    """A Dutch number written as a word ("veertien", "eenentwintig"), or None.
    One table for dates and ages alike."""
    return NUMBER_WORDS.get(word)


# Ordinals as typed: "de vijfde", "5e", "1ste".
ORDINAL_WORDS = {
    "eerste": 1,
    "tweede": 2,
    "derde": 3,
    "vierde": 4,
    "vijfde": 5,
    "zesde": 6,
    "zevende": 7,
    "achtste": 8,
    "negende": 9,
    "tiende": 10,
}

UNIT_DAYS = {
    "dag": 1,
    "dagen": 1,
    "week": 7,
    "weken": 7,
}
UNIT_MONTHS = {"maand": 1, "maanden": 1, "jaar": 12, "jaren": 12}


FIXED_DAYS: dict[str, int] = {
    "vandaag": 0,
    "nu": 0,
    "vanochtend": 0,
    "vanmiddag": 0,
    "vanavond": 0,
    "morgen": 1,
    "morgenochtend": 1,
    "morgenmiddag": 1,
    "morgenavond": 1,
    "overmorgen": 2,
    "gisteren": -1,
    "gister": -1,
    "gisterochtend": -1,
    "gistermiddag": -1,
    "gisteravond": -1,
    "eergisteren": -2,
    "eergister": -2,
}
