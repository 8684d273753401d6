"""Spot identifying details in free text before anything is stored.

A bot record is a working note, not the client file: it must hold no BSN,
e-mail address, phone number, postcode or IBAN. Names cannot be detected
reliably, so every free-text question also reminds the user not to type
them. A BSN is recognised by the "elfproef" so ordinary nine-digit numbers
are not refused without reason.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\d)(?:\+31|0031|0)[\s-]?(?:\d[\s-]?){9}(?!\d)")
_POSTCODE = re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b")
_IBAN = re.compile(r"\bNL\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b", re.IGNORECASE)
_NINE = re.compile(r"(?<![\d-])(\d{9})(?![\d-])|(?<![\d-])(\d{4}[.\s]\d{2}[.\s]\d{3})(?![\d-])")


def _is_bsn(digits: str) -> bool:
    if len(digits) != 9 or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0


def find_identifiers(text: str) -> list[str]:
    """Kinds of identifying detail found in ``text`` (Dutch words, for the user)."""
    found: list[str] = []
    for match in _NINE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if _is_bsn(digits):
            found.append("een BSN")
            break
    if _EMAIL.search(text):
        found.append("een e-mailadres")
    if _PHONE.search(text):
        found.append("een telefoonnummer")
    if _POSTCODE.search(text):
        found.append("een postcode")
    if _IBAN.search(text):
        found.append("een rekeningnummer")
    return found
