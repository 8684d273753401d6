"""The master key: from the environment, a key file, or (console demo only) a new key file.

The master key never enters the database; it only wraps the organisations'
data keys. ``VOORKOMEN_MASTER_KEY`` holds it as 32 bytes in URL-safe base64;
``VOORKOMEN_KEY_FILE`` names a file holding the same. Without either, the bot
refuses to start, except the console demo, which creates a key file next to
its database (readable by the owner only) and says so in one line.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

KEY_BYTES = 32
ENV_KEY = "VOORKOMEN_MASTER_KEY"
ENV_FILE = "VOORKOMEN_KEY_FILE"


class MasterKeyMissingError(RuntimeError):
    """No master key was configured; the message says how to give one."""


@dataclass(frozen=True)
class MasterKey:
    """32 secret bytes; ``origin`` says where they came from (never the bytes)."""

    secret: bytes
    origin: str

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ValueError(f"a master key has {KEY_BYTES} bytes, not {len(self.secret)}")

    def __repr__(self) -> str:
        return f"MasterKey(origin={self.origin!r})"

    @staticmethod
    def generate() -> MasterKey:
        """A new random key (for tests and for ``voorkomen keys new``)."""
        return MasterKey(secrets.token_bytes(KEY_BYTES), "generated")

    def encoded(self) -> str:
        """The key as URL-safe base64, the form the environment and key files hold."""
        return base64.urlsafe_b64encode(self.secret).decode("ascii")

    @staticmethod
    def decode(text: str, origin: str) -> MasterKey:
        """Read a key written by :meth:`encoded`."""
        try:
            raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise MasterKeyMissingError(f"{origin}: not a base64 key") from exc
        if len(raw) != KEY_BYTES:
            raise MasterKeyMissingError(
                f"{origin}: a master key has {KEY_BYTES} bytes, not {len(raw)}"
            )
        return MasterKey(raw, origin)

    @staticmethod
    def from_environment(environ: Mapping[str, str] | None = None) -> MasterKey:
        """The key from ``VOORKOMEN_MASTER_KEY`` or the file ``VOORKOMEN_KEY_FILE``."""
        env = os.environ if environ is None else environ
        if env.get(ENV_KEY):
            return MasterKey.decode(env[ENV_KEY], ENV_KEY)
        if env.get(ENV_FILE):
            path = Path(env[ENV_FILE])
            if not path.is_file():
                raise MasterKeyMissingError(f"{ENV_FILE}: no file at {path}")
            return MasterKey.decode(path.read_text("ascii"), str(path))
        raise MasterKeyMissingError(
            f"no master key: set {ENV_KEY} (32 bytes, URL-safe base64; "
            f"`voorkomen keys new` prints one) or {ENV_FILE} (a file holding it)"
        )

    @staticmethod
    def local_file(path: Path) -> tuple[MasterKey, bool]:
        """The key in ``path``, created (owner-only) if missing; True when it was created."""
        if path.exists():
            return MasterKey.decode(path.read_text("ascii"), str(path)), False
        path.parent.mkdir(parents=True, exist_ok=True)
        key = MasterKey.generate()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key.encoded() + "\n")
        return MasterKey(key.secret, str(path)), True
