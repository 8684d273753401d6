"""Turning typed text into answers, and answers back into readable Dutch.

Choices are answered by number or by label (case-, accent- and
space-insensitive), by the first words of one label ("ja" for "Ja, we zijn
het eens"), with a small typo (``rapidfuzz``), or, for options whose keys are
age ranges (``12-15``, ``16+``), by an age ("14 jaar", "veertien"). When two
options fit equally, the user is asked which one. Yes/no accepts the usual
Dutch and English words; several choices are typed as numbers ("1 3 4") or
labels separated by commas.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.dutch_dates import weekday_day_month_year
from bot.engine import texts
from bot.engine.date_words import number_word
from bot.engine.messages import Choice, QuestionKind

YES_WORDS = frozenset(
    {"ja", "j", "yes", "y", "jawel", "klopt", "zeker", "1", "jazeker", "ja hoor", "jep", "jaa"}
)
NO_WORDS = frozenset({"nee", "n", "no", "neen", "nope", "2", "nee hoor", "neej", "nah"})
NONE_WORDS = frozenset({"geen", "niemand", "niets", "-", "0"})
YES_NO = (Choice("ja", texts.YES), Choice("nee", texts.NO))


def normalize(text: str) -> str:
    """Casefold, drop accents and surrounding punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().strip().strip(".,!?;:'\"()[]").split())


@dataclass(frozen=True)
class ChoiceMatch:
    """What typed text picks: ``choice``, or the ``candidates`` it could mean."""

    choice: Choice | None
    candidates: tuple[Choice, ...] = ()


_FUZZY_MIN = 80
"""How alike (0-100) a typed word must be to a label to count as a typo of it."""

_RANGE = re.compile(r"^(\d{1,3})-(\d{1,3})$|^(\d{1,3})\+$|^onder-(\d{1,3})$")
_AGE = re.compile(r"^(\w+)(?:\s*(?:jaar|jr|jaar oud))?$")


def key_range(key: str) -> tuple[int, int] | None:
    """The ages a range key covers: ``12-15`` -> (12, 15), ``16+`` -> (16, 999),
    ``onder-12`` -> (0, 11); None for any other key."""
    found = _RANGE.match(key.strip())
    if found is None:
        return None
    low, high, plus, under = found.groups()
    if plus is not None:
        return int(plus), 999
    if under is not None:
        return 0, int(under) - 1
    return int(low), int(high)


def _age(norm: str) -> int | None:
    found = _AGE.match(norm)
    if found is None:
        return None
    word = found.group(1)
    if word.isdigit():
        return int(word)
    return number_word(word)


def pick_choice(text: str, choices: Sequence[Choice]) -> ChoiceMatch:
    """The choice meant by ``text``, the options it could mean, or nothing.

    In order: the option's number; its label or key; an age inside a range
    key; the first words of one label; a small typo of one label.
    """
    norm = normalize(text)
    if not norm:
        return ChoiceMatch(None)
    if norm.isdigit() and 1 <= int(norm) <= len(choices):
        return ChoiceMatch(choices[int(norm) - 1])
    for choice in choices:
        if normalize(choice.label) == norm or normalize(choice.key) == norm:
            return ChoiceMatch(choice)
    age = _age(norm)
    if age is not None:
        ranges = [(c, key_range(c.key)) for c in choices]
        if any(r is not None for _, r in ranges):
            hits = [c for c, r in ranges if r is not None and r[0] <= age <= r[1]]
            return ChoiceMatch(hits[0] if len(hits) == 1 else None, tuple(hits))
    if norm.isdigit():
        return ChoiceMatch(None)
    words = _words(norm)
    labels = [(c, _words(normalize(c.label))) for c in choices]
    # The first words of a label ("ja" for "Ja, we zijn het eens").
    starts = [c for c, label in labels if f"{label} ".startswith(f"{words} ")]
    if len(starts) == 1:
        return ChoiceMatch(starts[0])
    if len(starts) > 1:
        return ChoiceMatch(None, tuple(starts))
    # A few words of one label only ("niet eens" for "Nee, we zijn het niet eens").
    if len(words) >= 4:
        found = [c for c, label in labels if f" {words} " in f" {label} "]
        if len(found) == 1:
            return ChoiceMatch(found[0])
    # A typo: compare with the label (or with as many of its first words as were typed).
    if len(words) < 4:
        return ChoiceMatch(None)
    typed = len(words.split())
    scored = []
    for choice, label in labels:
        head = " ".join(label.split()[:typed])
        # OSA counts a swap of two letters ("deesl") as one typo.
        score = max(
            fuzz.ratio(words, label),
            fuzz.ratio(words, head),
            OSA.normalized_similarity(words, head) * 100,
        )
        if score >= _FUZZY_MIN:
            scored.append((score, choice))
    if not scored:
        return ChoiceMatch(None)
    scored.sort(key=lambda item: -item[0])
    best = scored[0][0]
    close = tuple(c for score, c in scored if best - score < 5)
    return ChoiceMatch(close[0] if len(close) == 1 else None, close)


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The choice meant by ``text`` (see :func:`pick_choice`), or None."""
    return pick_choice(text, choices).choice


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
