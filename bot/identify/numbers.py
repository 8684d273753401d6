"""Numbers and addresses that identify a person: BSN, IBAN, phone, e-mail, postcode.

Candidates are found with loose patterns and then checked with the libraries
that know the rules (``python-stdnum``: the BSN "elfproef" and IBAN check
digits of every country; ``phonenumbers``: Dutch and international phone
numbers), so an ordinary nine-digit file number or an amount is not refused
without reason. Free service numbers (0800, 0900: Veilig Thuis is 0800-2000)
identify an organisation, not a person, and pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.identify.findings import Finding, Kind

_NINE_DIGITS = re.compile(r"(?<![\w.-])\d(?:[ .]?\d){8}(?![\w-]|\.\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_POSTCODE = re.compile(r"\b[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b")
# phonenumbers and python-stdnum are imported by the first check that needs them,
# not with the engine: a bot's start-up (issue 15) asks nothing of them.


def find_numbers(text: str) -> Iterator[Finding]:
    """Every BSN, IBAN, phone number, e-mail address and postcode in ``text``."""
    yield from _bsns(text)
    yield from _ibans(text)
    yield from _phones(text)
    for match in _EMAIL.finditer(text):
        yield Finding(match.start(), match.end(), Kind.EMAIL, match.group())
    for match in _POSTCODE.finditer(text):
        yield Finding(match.start(), match.end(), Kind.POSTCODE, match.group())


def _bsns(text: str) -> Iterator[Finding]:
    from stdnum.nl import bsn

    for match in _NINE_DIGITS.finditer(text):
        if bsn.is_valid(match.group()):
            yield Finding(match.start(), match.end(), Kind.BSN, match.group())


def _ibans(text: str) -> Iterator[Finding]:
    from stdnum import iban

    for match in _IBAN.finditer(text):
        candidate = match.group()
        # The pattern may run on into the next word; shorten until it checks out.
        while len(candidate.replace(" ", "")) >= 15:
            if iban.is_valid(candidate):
                start = match.start()
                yield Finding(start, start + len(candidate), Kind.IBAN, candidate)
                break
            candidate = candidate[:-1].rstrip()


def _phones(text: str) -> Iterator[Finding]:
    import phonenumbers
    from phonenumbers import PhoneNumberType

    not_a_person = {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
    }
    for match in phonenumbers.PhoneNumberMatcher(text, "NL"):
        if phonenumbers.number_type(match.number) in not_a_person:
            continue
        yield Finding(match.start, match.end, Kind.PHONE, match.raw_string)
