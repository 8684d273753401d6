"""Dates written the Dutch way: "23 november 2026", "vrijdag 27 november 2026".

The names come from the Unicode CLDR through ``babel.dates`` (locale ``nl``)
rather than from tables of our own. Pure and tiny, so both the engine
(answers, summaries) and the knowledge base (an article's peildatum) can use
it without importing each other; ``bot.identify`` reads the name lists.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from babel.dates import format_date, get_day_names, get_month_names

_LOCALE: Final = "nl"

DAYS: Final = tuple(str(get_day_names("wide", locale=_LOCALE)[n]) for n in range(7))
"""``maandag`` … ``zondag`` (Monday first, like :meth:`date.weekday`)."""
MONTHS: Final = tuple(str(get_month_names("wide", locale=_LOCALE)[n]) for n in range(1, 13))
"""``januari`` … ``december``."""


def day_month_year(day: date) -> str:
    """``23 november 2026``."""
    return format_date(day, "d MMMM y", locale=_LOCALE)


def weekday_day_month_year(day: date) -> str:
    """``maandag 23 november 2026``."""
    return format_date(day, "EEEE d MMMM y", locale=_LOCALE)
