"""One detector for every kind of identifying detail, loaded once.

:class:`PatternDetector` needs no lookup lists and is ready at once: numbers
(BSN, IBAN, phone), e-mail, postcodes, dates of birth, ages and institutions
named by their own name. :class:`Detector` adds names of people and places
through ``deduce``, whose lookup lists take seconds to load and about a
gigabyte of memory: build it once per process, off the hot path. Both answer
``find(text)`` with findings in text order, overlaps merged.
"""

from __future__ import annotations

from pathlib import Path

from bot.identify.dates import find_birth_dates_and_ages
from bot.identify.findings import Finding, merge
from bot.identify.institutions import find_institutions
from bot.identify.numbers import find_numbers


class PatternDetector:
    """Everything that patterns and check digits find, without lookup lists."""

    def find(self, text: str) -> list[Finding]:
        """What in ``text`` identifies a person, in text order."""
        return merge(
            [*find_numbers(text), *find_birth_dates_and_ages(text), *find_institutions(text)]
        )


class Detector(PatternDetector):
    """Everything :class:`PatternDetector` finds, plus names of people and places."""

    def __init__(self, cache_dir: Path) -> None:
        from bot.identify.names import DeduceNames

        self._names = DeduceNames(cache_dir)

    def find(self, text: str) -> list[Finding]:
        """What in ``text`` identifies a person, in text order."""
        return merge([*super().find(text), *self._names.find(text)])
