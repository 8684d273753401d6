"""Formatted text for Telegram, split cleanly at the 4,096-character limit.

Telegram refuses a message whose text is longer than 4,096 characters *after*
its HTML is parsed, counted in UTF-16 code units (an emoji counts twice). The
engine's texts are plain, so a message is built here as a list of ``Span``
values (plain text plus an optional tag); splitting works on the plain text,
preferring a paragraph break, then a line break, then a space, and only then a
hard cut, and each part is escaped and wrapped in its tags afterwards. So a cut
can never fall inside an escape sequence such as ``&amp;`` or break a tag.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

TELEGRAM_TEXT_LIMIT = 4096
"""Longest message text Telegram accepts (UTF-16 code units, after parsing)."""

TELEGRAM_CAPTION_LIMIT = 1024
"""Longest caption of a document (UTF-16 code units, after parsing)."""

Tag = Literal["b", "i", "code", "pre", "blockquote"]


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of plain text, shown with ``tag`` (or unformatted when None)."""

    text: str
    tag: Tag | None = None


def escape(text: str) -> str:
    """Escape plain text for Telegram's HTML parse mode (``<``, ``>``, ``&``)."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP count twice."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def to_html(spans: Sequence[Span]) -> str:
    """Render spans as Telegram HTML: every text escaped, tags balanced."""
    parts: list[str] = []
    for span in spans:
        if not span.text:
            continue
        body = escape(span.text)
        parts.append(f"<{span.tag}>{body}</{span.tag}>" if span.tag else body)
    return "".join(parts)


def plain(spans: Sequence[Span]) -> str:
    """The text a user sees, without formatting."""
    return "".join(span.text for span in spans)


def _cut_point(text: str, start: int, limit: int) -> tuple[int, int]:
    """Where the part starting at ``start`` ends, and where the next one starts.

    The part is at most ``limit`` UTF-16 units long. Whitespace at the cut is
    dropped (it would only show as an empty line at the top of the next part).
    """
    units = 0
    end = start
    n = len(text)
    while end < n:
        width = 2 if ord(text[end]) > 0xFFFF else 1
        if units + width > limit:
            break
        units += width
        end += 1
    if end >= n:
        return n, n
    window = text[start:end]
    # Prefer a paragraph break, then a line break, then a space: but never make a
    # part shorter than a third of the limit just to find a nicer place.
    floor = len(window) // 3
    for sep in ("\n\n", "\n", " "):
        at = window.rfind(sep)
        if at > floor:
            cut = start + at
            nxt = cut + len(sep)
            while nxt < n and text[nxt] in "\n ":
                nxt += 1
            return cut, nxt
    return end, end


def split_ranges(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[tuple[int, int]]:
    """Cut ``text`` into ``(start, end)`` ranges of at most ``limit`` UTF-16 units."""
    if limit < 2:
        msg = "limit must be at least 2 (one character outside the BMP)"
        raise ValueError(msg)
    if len(text) <= limit // 2 or utf16_len(text) <= limit:
        return [(0, len(text))]
    ranges: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end, nxt = _cut_point(text, start, limit)
        if end > start:
            ranges.append((start, end))
        start = nxt
    return ranges


def _slice(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    out: list[Span] = []
    pos = 0
    for span in spans:
        s_start, s_end = pos, pos + len(span.text)
        pos = s_end
        lo, hi = max(start, s_start), min(end, s_end)
        if lo < hi:
            out.append(Span(span.text[lo - s_start : hi - s_start], span.tag))
    return out


def split_spans(spans: Sequence[Span], limit: int = TELEGRAM_TEXT_LIMIT) -> list[list[Span]]:
    """Split formatted text into messages that each fit Telegram's limit."""
    text = plain(spans)
    ranges = split_ranges(text, limit)
    if len(ranges) == 1 and ranges[0] == (0, len(text)):
        return [list(spans)]
    return [_slice(spans, start, end) for start, end in ranges]


def split_html(spans: Sequence[Span], limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split and render: a list of HTML message texts, none blank, each within ``limit``.

    Telegram refuses a message that is only whitespace, so such parts are left out.
    """
    return [to_html(part) for part in split_spans(spans, limit) if plain(part).strip()]
