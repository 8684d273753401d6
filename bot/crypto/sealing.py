"""Sealed text: AES-256-GCM with the organisation and the field as associated data.

A sealed value is text, so it fits the columns that held plain text:
``enc1.<key version>.<base64 of nonce + ciphertext>``. The associated data
binds it to its organisation and field, so a sealed answer copied into
another organisation's row, or into another column, does not open.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1."
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that does not open: wrong key, wrong place, or damaged."""


def is_sealed(value: str) -> bool:
    """Whether ``value`` is a sealed value (as opposed to plain text from before sealing)."""
    return value.startswith(PREFIX)


def seal(key: bytes, version: int, plain: str, associated: bytes) -> str:
    """``plain`` sealed with ``key`` (which is the organisation's key ``version``)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plain.encode("utf-8"), associated)
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{PREFIX}{version}.{body}"


def version_of(value: str) -> int:
    """The key version a sealed value needs."""
    try:
        return int(value[len(PREFIX) :].split(".", 1)[0])
    except ValueError as exc:
        raise SealError("not a sealed value") from exc


def unseal(key: bytes, value: str, associated: bytes) -> str:
    """The plain text of ``value``; :class:`SealError` if it does not open."""
    try:
        body = value[len(PREFIX) :].split(".", 1)[1]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated)
    except (IndexError, ValueError, InvalidTag) as exc:
        raise SealError("a sealed value did not open (wrong key or damaged)") from exc
    return plain.decode("utf-8")
