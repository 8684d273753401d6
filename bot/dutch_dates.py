"""Dates written the Dutch way: "23 november 2026", "vrijdag 27 november 2026".

Pure and tiny, so both the engine (answers, summaries) and the knowledge base
(an article's peildatum) can use it without importing each other.
"""

from __future__ import annotations

from datetime import date

DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def day_month_year(day: date) -> str:
    """``23 november 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def weekday_day_month_year(day: date) -> str:
    """``maandag 23 november 2026``."""
    return f"{DAYS[day.weekday()]} {day_month_year(day)}"
