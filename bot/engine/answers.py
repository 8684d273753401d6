"""Turning typed text into answers, and answers back into readable Dutch.

Choices are answered by number or by label (case-, accent- and
space-insensitive); yes/no accepts the usual Dutch and English words;
several choices are typed as numbers ("1 3 4") or labels separated by commas.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from bot.dutch_dates import weekday_day_month_year
from bot.engine import texts
from bot.engine.messages import Choice, QuestionKind

YES_WORDS = frozenset({"ja", "j", "yes", "y", "jawel", "klopt", "zeker", "1"})
NO_WORDS = frozenset({"nee", "n", "no", "neen", "nope", "2"})
NONE_WORDS = frozenset({"geen", "niemand", "niets", "-", "0"})
YES_NO = (Choice("ja", texts.YES), Choice("nee", texts.NO))


def normalize(text: str) -> str:
    """Casefold, drop accents and surrounding punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().strip().strip(".,!?;:'\"()[]").split())


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The choice meant by ``text``: its number, its label or its key."""
    norm = normalize(text)
    if norm.isdigit():
        n = int(norm)
        return choices[n - 1] if 1 <= n <= len(choices) else None
    for choice in choices:
        if normalize(choice.label) == norm or normalize(choice.key) == norm:
            return choice
    # A few words of one label only ("niet eens" for "Nee, we zijn het niet eens").
    words = _words(norm)
    if len(words) >= 4:
        found = [c for c in choices if f" {words} " in f" {_words(normalize(c.label))} "]
        if len(found) == 1:
            return found[0]
    return None


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def parse_yesno(text: str) -> str | None:
    norm = normalize(text)
    if norm in YES_WORDS:
        return "ja"
    if norm in NO_WORDS:
        return "nee"
    return None


_SPLIT_NUMBERS = re.compile(r"[\s,;/+&]+|\ben\b")
_SPLIT_LABELS = re.compile(r"\s*(?:[,;/+&]|\ben\b)\s*")


def parse_multi(text: str, choices: Sequence[Choice]) -> list[str] | None:
    """Keys chosen in ``text`` in choice order; ``[]`` for "geen"; None if unclear."""
    norm = normalize(text)
    if norm in NONE_WORDS:
        return []
    parts = [p for p in _SPLIT_NUMBERS.split(norm) if p]
    if not parts:
        return None
    picked: set[str] = set()
    if parts and all(p.isdigit() for p in parts):
        for p in parts:
            n = int(p)
            if not 1 <= n <= len(choices):
                return None
            picked.add(choices[n - 1].key)
    else:
        whole = match_choice(norm, choices)
        if whole is not None:
            picked.add(whole.key)
        else:
            for piece in (p for p in _SPLIT_LABELS.split(norm) if p):
                found = match_choice(piece, choices)
                if found is None:
                    return None
                picked.add(found.key)
    return [c.key for c in choices if c.key in picked]


def display(kind: QuestionKind | None, value: object, choices: Sequence[Choice] = ()) -> str:
    """An answer as the user would say it."""
    if value is None:
        return "—"
    labels = {c.key: c.label for c in choices}
    if kind is QuestionKind.YESNO:
        return texts.YES if value == "ja" else texts.NO
    if kind is QuestionKind.SINGLE:
        return labels.get(str(value), str(value))
    if kind is QuestionKind.MULTI and isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value) or "geen"
    if kind is QuestionKind.DATE and isinstance(value, str):
        try:
            return weekday_day_month_year(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
