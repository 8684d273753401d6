"""Schools, practices and other institutions named by their own name.

A professional writes "basisschool De Regenboog" or "Huisartsenpraktijk De
Linde": a kind of institution followed by a capitalised name. deduce knows
hospitals and care institutions from its lists, but not the thousands of
schools and day-care centres, so this pattern covers them. "De school" or
"de huisarts" alone is no name and passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.dutch_dates import DAYS, MONTHS
from bot.identify.findings import Finding, Kind

_TYPES = (
    "basisschool|middelbare school|school|lyceum|college|gymnasium|kindcentrum|"
    "kinderopvang|kinderdagverblijf|peuterspeelzaal|bso|gastouderbureau|"
    "huisartsenpraktijk|praktijk|tandartspraktijk|ziekenhuis|kliniek|"
    "jeugdinstelling|woongroep|zorgboerderij|sportclub|voetbalclub|moskee|kerk"
)
_NAME_WORD = r"(?:[A-Z][\w'’-]+)"
_LINK = r"(?:[Dd]e|[Hh]et|van|der|den|'t|St\.|Sint)"
_INSTITUTION = re.compile(
    rf"\b(?i:{_TYPES})\s+(?:{_LINK}\s+)?{_NAME_WORD}(?:\s+(?:{_LINK}\s+)?{_NAME_WORD})*"
    rf"|\b{_NAME_WORD}\s+(?:Lyceum|College|Gymnasium|Kindcentrum)\b"
)
_NOT_A_NAME = frozenset(w.capitalize() for w in (*DAYS, *MONTHS))


def find_institutions(text: str) -> Iterator[Finding]:
    """Institutions in ``text`` named by their own (capitalised) name."""
    for match in _INSTITUTION.finditer(text):
        if _NOT_A_NAME.intersection(match.group().split()):
            continue
        yield Finding(match.start(), match.end(), Kind.INSTITUTION, match.group())
