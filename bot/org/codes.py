"""One-time codes: to join an organisation (invite) or to add a channel (koppel).

A code is 80 random bits from ``secrets``, shown as four groups of four
base32 letters and digits (``K7QM-2XDA-...``), easy to type on a phone. Only
its SHA-256 hash is stored, so a copy of the database does not let anyone
join. Codes are single or limited use and expire.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.org.model import Role

CODE_BYTES = 10  # 80 bits
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_LENGTH = 16  # base32 of 10 bytes, no padding


class CodeKind(StrEnum):
    INVITE = "invite"  # join an organisation with a role
    LINK = "link"  # add a channel to an existing person (koppel)


@dataclass(frozen=True, slots=True)
class Code:
    """A code as stored: its hash and what it grants."""

    hash: str
    kind: CodeKind
    uses_left: int
    expires_at: datetime
    org_id: int | None = None
    role: Role | None = None
    person_id: int | None = None
    created_by: int | None = None


def new_code() -> str:
    """A fresh random code, e.g. ``K7QM-2XDA-PL4E-9WZT`` (80 bits)."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, _LENGTH, 4))


def normalise(text: str) -> str | None:
    """The code in ``text`` (any case, with or without dashes or spaces), or None.

    Accepts a leading ``start`` (Telegram's ``/start CODE`` deep link).
    """
    words = text.strip().split()
    if len(words) == 2 and words[0].lower().lstrip("/") == "start":
        words = words[1:]
    if len(words) != 1:  # one token: "hulp bij opvoeding" is an answer, not a code
        return None
    candidate = words[0].replace("-", "").upper()
    if len(candidate) == _LENGTH and set(candidate) <= _ALPHABET:
        return candidate
    return None


def hash_code(code: str) -> str:
    """The stored form of a code (hex SHA-256 of its normalised form)."""
    normal = normalise(code) or code
    return hashlib.sha256(normal.encode("ascii", "replace")).hexdigest()


def sender_hash(channel: str, external_id: str) -> str:
    """A stranger's counter key: a hash, so not even their id is stored in clear."""
    return hashlib.sha256(f"{channel}\x00{external_id}".encode()).hexdigest()
