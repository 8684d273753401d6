"""Dutch dates as professionals type them: "vrijdag", "volgende week dinsdag", "12-3".

``dateparser`` reads Dutch month names and many free forms, but on its own it
read "99" as 1 December 1999, "5 1" as 5 January and "volgende maand" as the
1st of next month, and refused "volgende week dinsdag". So the common forms
are read here by our own rules first (weekdays, relative words, numbers,
written numbers, day-month with or without a year), bare numbers and
ambiguous or impossible dates are refused with a reason, and only what is
left goes to ``dateparser``. The clock is always the caller's (the engine
context), never ``date.today()``, so results are deterministic in tests.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from bot.engine.date_words import (
    DAY_WORDS,
    FIXED_DAYS,
    MONTH_WORDS,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    UNIT_DAYS,
    UNIT_MONTHS,
)

Prefer = Literal["past", "future"]
Problem = Literal["unknown", "number", "ambiguous", "impossible"]

_SLIP_DAYS = 14
"""A day and month typed without a year, at most this many days on the wrong side
of today, is read in this year (and refused), not moved a year."""


@dataclass(frozen=True)
class DateReading:
    """What a typed date means: ``day``, or why it is not read (``problem``)."""

    day: date | None
    problem: Problem | None = None


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("a.s.", "aanstaande").replace("a.s", "aanstaande")
    plain = re.sub(r"[,!?;:()]", " ", plain)
    return " ".join(plain.strip().strip(".").split())


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word in ("een", "één", "1"):
        return 1
    return NUMBER_WORDS.get(word)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _next_weekday(today: date, weekday: int, *, include_today: bool) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not include_today:
        ahead = 7
    return today + timedelta(days=ahead)


def _last_weekday(today: date, weekday: int, *, include_today: bool) -> date:
    back = (today.weekday() - weekday) % 7
    if back == 0 and not include_today:
        back = 7
    return today - timedelta(days=back)


def _relative(text: str, today: date, prefer: Prefer) -> date | None:
    """Our own rules for the relative phrases people use."""
    if text in FIXED_DAYS:
        return today + timedelta(days=FIXED_DAYS[text])
    words = text.replace("-", " ").split()
    # Weekdays: "dinsdag", "komende dinsdag", "volgende week dinsdag", "vorige week vrijdag",
    # "dinsdag over een week", "dinsdag volgende week", "afgelopen vrijdag".
    days = [w for w in words if w in DAY_WORDS]
    if len(days) == 1 and not any(w in MONTH_WORDS or w.isdigit() for w in words):
        weekday = DAY_WORDS[days[0]]
        rest = " ".join(w for w in words if w != days[0])
        if rest in ("", "op"):
            # On a Thursday, "donderdag" means a week away: today would be "vandaag".
            if prefer == "past":
                return _last_weekday(today, weekday, include_today=False)
            return _next_weekday(today, weekday, include_today=False)
        if rest in ("komende", "aanstaande", "deze", "op komende", "eerstvolgende"):
            return _next_weekday(today, weekday, include_today=False)
        if rest in ("afgelopen", "jl", "j.l", "laatst", "afgelopen week", "vorige"):
            return _last_weekday(today, weekday, include_today=False)
        if rest in ("deze week", "van deze week"):
            return _week_start(today) + timedelta(days=weekday)
        if rest in ("volgende week", "van volgende week", "in de volgende week", "volgende"):
            return _week_start(today) + timedelta(days=7 + weekday)
        if rest in ("vorige week", "van vorige week", "vorige week op"):
            return _week_start(today) - timedelta(days=7 - weekday)
        if rest in ("over een week", "over 1 week", "over een weekje"):
            return _next_weekday(today, weekday, include_today=True) + timedelta(days=7)
        if rest in ("over twee weken", "over 2 weken"):
            return _next_weekday(today, weekday, include_today=True) + timedelta(days=14)
        return None
    # "over twee weken", "over 3 dagen", "over een maand", "over een half jaar"
    match = re.fullmatch(r"(?:over|binnen) (?:een )?half jaar", text)
    if match:
        return _add_months(today, 6)
    match = re.fullmatch(r"(?:over|binnen) (\S+) (dag|dagen|week|weken|maand|maanden|jaar)", text)
    if match:
        n = _count(match.group(1))
        if n is None:
            return None
        return _shift(today, n, match.group(2))
    match = re.fullmatch(r"(\S+) (dag|dagen|week|weken|maand|maanden|jaar) (?:geleden|terug)", text)
    if match:
        n = _count(match.group(1))
        if n is None:
            return None
        return _shift(today, -n, match.group(2))
    if text in ("volgende week", "komende week", "over een week"):
        return today + timedelta(days=7)
    if text in ("vorige week", "afgelopen week", "een week geleden"):
        return today - timedelta(days=7)
    if text in ("volgende maand", "komende maand", "over een maand"):
        return _add_months(today, 1)
    if text in ("vorige maand", "afgelopen maand"):
        return _add_months(today, -1)
    if text in ("volgend jaar", "over een jaar"):
        return _add_months(today, 12)
    if text in ("vorig jaar", "een jaar geleden"):
        return _add_months(today, -12)
    # Parts of a month, a week or the year.
    ends = r"\b(?:aan het einde van|aan het eind van|einde van|eind van|einde)\b"
    text = re.sub(ends, "eind", text)
    text = re.sub(r"\b(?:begin van|aan het begin van|start van|in het begin van)\b", "begin", text)
    text = re.sub(r"\b(?:half|halverwege|midden|medio)( van)?\b", "half", text)
    text = text.replace("eind de ", "eind deze ").replace("begin de ", "begin deze ")
    text = text.replace("half de ", "half deze ")
    part = re.fullmatch(r"(eind|begin|half) (?:deze |de |dit |het )?(maand|week|jaar)", text)
    if part:
        return _part(today, part.group(1), part.group(2), 0)
    part = re.fullmatch(r"(eind|begin|half) (volgende?|vorige?) (maand|week|jaar)", text)
    if part:
        offset = 1 if part.group(2).startswith("volgend") else -1
        return _part(today, part.group(1), part.group(3), offset)
    part = re.fullmatch(r"(eind|begin|half) (\w+)", text)
    if part and part.group(2) in MONTH_WORDS:
        month = MONTH_WORDS[part.group(2)]
        year = _year_for(today, month, 1, prefer)
        first = date(year, month, 1)
        return _part(first, part.group(1), "maand", 0)
    # Weekends.
    saturday = _next_weekday(today, 5, include_today=True)
    if text in ("na het weekend", "na het weekeinde", "na dit weekend", "na het komende weekend"):
        return (
            _next_weekday(today, 0, include_today=False)
            if today.weekday() >= 5
            else (_week_start(today) + timedelta(days=7))
        )
    if text in ("dit weekend", "in het weekend", "komend weekend", "het weekend", "weekend"):
        return today if today.weekday() >= 5 else saturday
    if text in ("volgend weekend", "het volgende weekend"):
        return _week_start(today) + timedelta(days=12)
    if text in ("vorig weekend", "afgelopen weekend", "het afgelopen weekend"):
        return _week_start(today) - timedelta(days=2)
    if text in ("voor het weekend", "voor het weekeinde"):
        return _week_start(today) + timedelta(days=4)
    return None


def _shift(today: date, n: int, unit: str) -> date:
    if unit in UNIT_DAYS:
        return today + timedelta(days=n * UNIT_DAYS[unit])
    return _add_months(today, n * UNIT_MONTHS[unit])


def _part(today: date, which: str, unit: str, offset: int) -> date:
    if unit == "maand":
        base = _add_months(today.replace(day=1), offset)
        if which == "begin":
            return base
        if which == "half":
            return base.replace(day=15)
        return _month_end(base)
    if unit == "week":
        monday = _week_start(today) + timedelta(days=7 * offset)
        return monday + timedelta(days={"begin": 0, "half": 2, "eind": 4}[which])
    year = today.year + offset
    return {"begin": date(year, 1, 1), "half": date(year, 7, 1), "eind": date(year, 12, 31)}[which]


def _year_for(today: date, month: int, day: int, prefer: Prefer) -> int:
    """The year of a day and month typed without one: the next (or last) such date."""
    year = today.year
    try:
        candidate = date(year, month, day)
    except ValueError:
        # 29 February in a year without it: the nearest leap year on the preferred side.
        step = -1 if prefer == "past" else 1
        while not calendar.isleap(year):
            year += step
        return year
    # A day-month just past (or just ahead) is a slip, not next (or last) year:
    # keep this year, so the question refuses it with a clear message.
    near = abs((candidate - today).days) <= _SLIP_DAYS
    if prefer == "past" and candidate > today and not near:
        return year - 1
    if prefer == "future" and candidate < today and not near:
        return year + 1
    return year


def _full_year(raw: str) -> int:
    year = int(raw)
    return 2000 + year if len(raw) <= 2 else year


def _day_number(word: str) -> int | None:
    word = re.sub(r"(?<=\d)(?:e|de|ste|st)$", "", word)
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word) or ORDINAL_WORDS.get(word)


def _absolute(text: str, today: date, prefer: Prefer) -> DateReading | None:
    """Numbers and month names: "5-1", "5/1/27", "2026-12-08", "5 januari", "vijf jan 2027"."""
    # A weekday in front of a date only confirms it: "dinsdag 8 december".
    words = [w for w in text.split() if w not in DAY_WORDS and w not in ("op", "de", "den")]
    body = " ".join(words)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", body)
    if iso:
        return _make(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = re.fullmatch(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{2}|\d{4}))?", body)
    if numeric:
        day, month = int(numeric.group(1)), int(numeric.group(2))
        if numeric.group(3):
            return _make(_full_year(numeric.group(3)), month, day)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return DateReading(None, "impossible")
        return _make(_year_for(today, month, day, prefer), month, day)
    named = re.fullmatch(r"(\S+) (\w+)(?: (\d{2}|\d{4}))?", body)
    if named and named.group(2) in MONTH_WORDS:
        day_n = _day_number(named.group(1))
        if day_n is None:
            return None
        month = MONTH_WORDS[named.group(2)]
        if named.group(3):
            return _make(_full_year(named.group(3)), month, day_n)
        if not 1 <= day_n <= 31:
            return DateReading(None, "impossible")
        return _make(_year_for(today, month, day_n, prefer), month, day_n)
    if re.fullmatch(r"\d+", body) or body in NUMBER_WORDS or body in ORDINAL_WORDS:
        return DateReading(None, "number")
    if re.fullmatch(r"\d{1,4}(?:\s+\d{1,4})+", body):
        return DateReading(None, "ambiguous")
    return None


def _make(year: int, month: int, day: int) -> DateReading:
    try:
        return DateReading(date(year, month, day))
    except ValueError:
        return DateReading(None, "impossible")


def read_dutch_date(text: str, today: date, prefer: Prefer = "future") -> DateReading:
    """What ``text`` means as a date relative to ``today``, or why it is not read.

    ``prefer`` decides between the last and the next occurrence where the text
    leaves it open ("dinsdag", "12 maart"); it does not refuse anything: the
    caller checks the side (see :func:`wrong_side`).
    """
    cleaned = _plain(text)
    if not cleaned or len(cleaned) > 40:
        return DateReading(None, "unknown")
    found = _relative(cleaned, today, prefer)
    if found is not None:
        return DateReading(found)
    reading = _absolute(cleaned, today, prefer)
    if reading is not None:
        return reading
    if not re.search(r"[a-z]", cleaned):
        return DateReading(None, "unknown")
    # Imported on the first date our own rules cannot read: dateparser (and its
    # ``regex``) costs about a tenth of ``voorkomen chat``'s start-up (issue 15).
    import dateparser

    parsed = dateparser.parse(
        cleaned,
        languages=["nl"],
        settings={
            "PREFER_DATES_FROM": prefer,
            "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12),
            "DATE_ORDER": "DMY",
            "PREFER_DAY_OF_MONTH": "first",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": False,
        },
    )
    if parsed is None:
        return DateReading(None, "unknown")
    return DateReading(parsed.date())


def wrong_side(day: date, today: date, prefer: Prefer) -> bool:
    """Is ``day`` on the side the question does not want? Today is always fine."""
    return day > today if prefer == "past" else day < today


def parse_dutch_date(text: str, now: datetime, prefer: Prefer = "future") -> date | None:
    """The date meant by ``text`` relative to ``now``, or None if it is not read."""
    return read_dutch_date(text, now.date(), prefer).day
