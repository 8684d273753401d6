"""What the detector reports: a kind of identifying detail and where it stands.

Kept apart from the detectors so the engine, the channels and the tests can
talk about findings (describe them in Dutch, replace them by a neutral word)
without loading any lookup list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The kinds of identifying detail; the value is the neutral word that replaces it."""

    NAME = "naam"
    PLACE = "plaats"
    INSTITUTION = "instelling"
    BIRTH_DATE = "geboortedatum"
    AGE = "leeftijd"
    BSN = "bsn"
    PHONE = "telefoon"
    EMAIL = "email"
    POSTCODE = "postcode"
    IBAN = "iban"


# How one finding is named in the sentence the user reads: «Daan Jansen» lijkt een naam.
_NOUN: dict[Kind, str] = {
    Kind.NAME: "een naam",
    Kind.PLACE: "een plaats of adres",
    Kind.INSTITUTION: "een school of instelling",
    Kind.BIRTH_DATE: "een geboortedatum",
    Kind.AGE: "een leeftijd",
    Kind.BSN: "een BSN",
    Kind.PHONE: "een telefoonnummer",
    Kind.EMAIL: "een e-mailadres",
    Kind.POSTCODE: "een postcode",
    Kind.IBAN: "een rekeningnummer",
}


@dataclass(frozen=True, order=True)
class Finding:
    """``text[start:end]`` looks like ``kind``."""

    start: int
    end: int
    kind: Kind
    text: str


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in text order with overlaps removed (the longer one wins).

    Leading and trailing spaces and punctuation are trimmed from each finding first.
    """
    findings = [_trimmed(f) for f in findings]
    ordered = sorted(findings, key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for finding in ordered:
        if kept and finding.start < kept[-1].end:
            if finding.end - finding.start > kept[-1].end - kept[-1].start:
                kept[-1] = finding
            continue
        kept.append(finding)
    return kept


def _trimmed(finding: Finding) -> Finding:
    text = finding.text
    lead = len(text) - len(text.lstrip(" ,;:"))
    core = text.strip(" ,;:")
    if core == text:
        return finding
    return Finding(finding.start + lead, finding.start + lead + len(core), finding.kind, core)


def describe(findings: Sequence[Finding]) -> str:
    """One short Dutch sentence naming what was found.

    >>> describe([Finding(0, 11, Kind.NAME, "Daan Jansen")])
    '«Daan Jansen» lijkt een naam.'
    """
    parts = [f"«{f.text}» lijkt {_NOUN[f.kind]}" for f in findings[:3]]
    if len(parts) == 1:
        sentence = parts[0]
    else:
        sentence = ", ".join(parts[:-1]) + " en " + parts[-1]
    more = len(findings) - 3
    if more > 0:
        sentence += f" (en nog {more})"
    return sentence + "."


def redact(text: str, findings: Sequence[Finding]) -> str:
    """``text`` with every finding replaced by its neutral word in brackets: ``[naam]``."""
    out: list[str] = []
    position = 0
    for finding in merge(findings):
        out.append(text[position : finding.start])
        out.append(f"[{finding.kind.value}]")
        position = finding.end
    out.append(text[position:])
    return "".join(out)
