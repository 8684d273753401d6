"""Dutch dates as professionals type them: "vrijdag", "morgen", "12-3", "12 maart".

Parsing is delegated to ``dateparser`` (Dutch language data, relative words,
day-month order); the engine passes its own clock as the relative base so
results are deterministic in tests.
"""

from __future__ import annotations

from datetime import date, datetime

import dateparser


def parse_dutch_date(text: str, now: datetime, prefer: str = "future") -> date | None:
    """The date meant by ``text`` relative to ``now``, or None if it is not a date."""
    cleaned = " ".join(text.strip().split())
    if not cleaned or len(cleaned) > 40:
        return None
    found = dateparser.parse(
        cleaned,
        languages=["nl"],
        settings={
            "PREFER_DATES_FROM": "past" if prefer == "past" else "future",
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "DATE_ORDER": "DMY",
            "PREFER_DAY_OF_MONTH": "first",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return found.date() if found else None
