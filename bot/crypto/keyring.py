"""Per-organisation data keys, stored wrapped by the master key.

An organisation's first sealed value creates its data key version 1. Rotation
adds a newer version: new values are sealed with it at once, and older
values are re-sealed in the background (:meth:`KeyRing.reseal`) while they
keep opening with the version they name — no downtime. Rotating the master
key re-wraps every data key (:meth:`KeyRing.rewrap`); sealed values stay as
they are.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from bot.crypto.master import KEY_BYTES, MasterKey
from bot.crypto.sealing import is_sealed, seal, unseal, version_of


@dataclass(frozen=True)
class WrappedKey:
    """Data key ``version`` of organisation ``org``, sealed by the master key."""

    org: str
    version: int
    wrapped: str


class KeyStore(Protocol):
    """Where wrapped data keys are kept (the database; a dict in tests)."""

    def wrapped_keys(self, org: str) -> list[WrappedKey]:
        """Every key version of ``org``, oldest first."""

    def add_wrapped_key(self, key: WrappedKey) -> bool:
        """Keep a new key version; False if that version already exists (another process)."""

    def all_wrapped_keys(self) -> list[WrappedKey]:
        """Every wrapped key of every organisation."""

    def replace_wrapped_keys(self, keys: list[WrappedKey]) -> None:
        """Replace the wrapped form of these keys (same org and version), in one transaction."""


class MemoryKeyStore:
    """:class:`KeyStore` in a dict, for tests and the in-memory store."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, int], WrappedKey] = {}

    def wrapped_keys(self, org: str) -> list[WrappedKey]:
        """Every key version of ``org``, oldest first."""
        return sorted((k for k in self.keys.values() if k.org == org), key=lambda k: k.version)

    def add_wrapped_key(self, key: WrappedKey) -> bool:
        """Keep a new key version; False if it exists."""
        if (key.org, key.version) in self.keys:
            return False
        self.keys[(key.org, key.version)] = key
        return True

    def all_wrapped_keys(self) -> list[WrappedKey]:
        """Every wrapped key."""
        return list(self.keys.values())

    def replace_wrapped_keys(self, keys: list[WrappedKey]) -> None:
        """Replace the wrapped form of these keys."""
        for key in keys:
            self.keys[(key.org, key.version)] = key


#: Seconds a process trusts its idea of an organisation's newest key version; a
#: rotation by another process is picked up within this time.
REFRESH_AFTER = 30.0


def _wrap_context(org: str, version: int) -> bytes:
    return f"voorkomen data key\x1f{org}\x1f{version}".encode()


def _value_context(org: str, field: str) -> bytes:
    return f"voorkomen value\x1f{org}\x1f{field}".encode()


class KeyRing:
    """Seals and opens values of each organisation with its newest data key."""

    def __init__(
        self, master: MasterKey, store: KeyStore, *, refresh_after: float = REFRESH_AFTER
    ) -> None:
        self._master = master
        self._store = store
        self._keys: dict[tuple[str, int], bytes] = {}
        self._newest: dict[str, int] = {}
        self._checked: dict[str, float] = {}
        self._refresh_after = refresh_after
        self._lock = threading.Lock()

    # ------------------------------------------------------------ values

    def seal(self, org: str, field: str, plain: str) -> str:
        """``plain`` sealed for ``org``'s ``field`` (e.g. ``"answers.value"``)."""
        version = self._newest_version(org)
        return seal(self._key(org, version), version, plain, _value_context(org, field))

    def open(self, org: str, field: str, value: str) -> str:
        """The plain text of a sealed value; plain text from before sealing passes unchanged."""
        if not is_sealed(value):
            return value
        version = version_of(value)
        return unseal(self._key(org, version), value, _value_context(org, field))

    def reseal(self, org: str, field: str, value: str) -> str | None:
        """``value`` sealed with the newest key, or None when it already is."""
        if is_sealed(value) and version_of(value) == self._newest_version(org):
            return None
        return self.seal(org, field, self.open(org, field, value))

    # ------------------------------------------------------------ keys

    def rotate(self, org: str) -> int:
        """Add a newer data key for ``org``; new values use it at once. Returns its version."""
        with self._lock:
            current = self._load(org)
            version = current + 1
            self._create(org, version)
            self._newest[org] = version
            self._checked[org] = time.monotonic()
            return version

    def rewrap(self, master: MasterKey) -> KeyRing:
        """Wrap every data key with a new master key; returns the ring that uses it."""
        unwrapped = [(k, self._unwrap(k)) for k in self._store.all_wrapped_keys()]
        self._store.replace_wrapped_keys(
            [
                WrappedKey(k.org, k.version, _wrap(master, k.org, k.version, secret))
                for k, secret in unwrapped
            ]
        )
        return KeyRing(master, self._store, refresh_after=self._refresh_after)

    def newest_version(self, org: str) -> int:
        """The key version new values of ``org`` are sealed with (made on first use)."""
        return self._newest_version(org)

    def _newest_version(self, org: str) -> int:
        with self._lock:
            now = time.monotonic()
            if org not in self._newest or now - self._checked[org] >= self._refresh_after:
                # Another process (``voorkomen keys rotate``) may have added a newer
                # version: look again now and then, so this one starts using it.
                newest = self._load(org)
                if newest == 0:
                    self._create(org, 1)
                    newest = 1
                self._newest[org] = newest
                self._checked[org] = now
            return self._newest[org]

    def _load(self, org: str) -> int:
        """Read ``org``'s wrapped keys into memory; the newest version (0 if none)."""
        newest = 0
        for wrapped in self._store.wrapped_keys(org):
            self._keys[(org, wrapped.version)] = self._unwrap(wrapped)
            newest = max(newest, wrapped.version)
        return newest

    def _create(self, org: str, version: int) -> None:
        secret = secrets.token_bytes(KEY_BYTES)
        if self._store.add_wrapped_key(
            WrappedKey(org, version, _wrap(self._master, org, version, secret))
        ):
            self._keys[(org, version)] = secret
        else:  # another process made this version first: use theirs
            self._load(org)

    def _key(self, org: str, version: int) -> bytes:
        if (org, version) not in self._keys:
            with self._lock:
                self._load(org)
        try:
            return self._keys[(org, version)]
        except KeyError:
            raise KeyError(f"no data key version {version} for this organisation") from None

    def _unwrap(self, wrapped: WrappedKey) -> bytes:
        text = unseal(
            self._master.secret, wrapped.wrapped, _wrap_context(wrapped.org, wrapped.version)
        )
        return base64.urlsafe_b64decode(text)


def _wrap(master: MasterKey, org: str, version: int, secret: bytes) -> str:
    encoded = base64.urlsafe_b64encode(secret).decode("ascii")
    return seal(master.secret, 0, encoded, _wrap_context(org, version))
