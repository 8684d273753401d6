"""Dates of birth and ages in Dutch free text.

A date alone is no identifier ("het overleg was op 3 mei"); a date of birth
is. So a full date counts when a word about birth stands just before it
("geboren op 3 mei 2012", "geboortedatum 14-02-2015"). An age counts when it
is said as an age ("14 jaar", "de 16-jarige"), not as a period ("al 3 jaar",
"over 2 jaar").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.dutch_dates import MONTHS
from bot.identify.findings import Finding, Kind

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_FULL_DATE = (
    rf"(?:\d{{1,2}}[-/.]\d{{1,2}}[-/.](?:19|20)\d{{2}}|\d{{1,2}} (?:{_MONTH}) (?:19|20)\d{{2}})"
)
_BIRTH = re.compile(
    rf"\b(?:geboren|geb\.|geboortedatum|geboortedag|jarig)\b[^.\n]{{0,12}}?({_FULL_DATE})",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\b(\d{1,2})(?:\s*(?:jaar|jr\.?)(?:\s+oud)?\b|-jarige\b)",
    re.IGNORECASE,
)
_PERIOD_WORDS = frozenset(
    {
        "al", "over", "sinds", "binnen", "na", "ruim", "per", "elke", "iedere", "afgelopen",
        "laatste", "komende", "tot", "gedurende", "duurt", "duurde", "nog", "ongeveer",
        "zo'n", "bijna",
    }
)  # fmt: skip


def find_birth_dates_and_ages(text: str) -> Iterator[Finding]:
    """Dates of birth and ages in ``text``."""
    for match in _BIRTH.finditer(text):
        yield Finding(match.start(1), match.end(1), Kind.BIRTH_DATE, match.group(1))
    for match in _AGE.finditer(text):
        before = text[: match.start()].split()
        if before and before[-1].lower() in _PERIOD_WORDS:
            continue
        yield Finding(match.start(), match.end(), Kind.AGE, match.group())
