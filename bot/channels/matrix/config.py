"""What the Matrix channel needs to know to run, gathered in one value.

Built from :class:`bot.settings.Settings` by :meth:`MatrixConfig.from_settings`
(credentials, the E2E key store path and the key patience come from
``VOORKOMEN_MATRIX_*``);
tests build it directly. Durable run-time values (device id, sync token) are
not here: they live in the database through the ``KeyValueStore`` port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.matrix.ratelimit import RetryPolicy
from bot.settings import Settings


class MatrixConfigError(ValueError):
    """The settings do not describe a usable Matrix account."""


def default_store_path(database_url: str) -> Path:
    """A data dir next to the SQLite database (``./data`` for other databases)."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix):
        db_file = database_url[len(prefix) :]
        if db_file and db_file != ":memory:":
            return Path(db_file).resolve().parent / "data" / "matrix-store"
    return Path("data") / "matrix-store"


@dataclass(frozen=True)
class MatrixConfig:
    """How to reach the homeserver and how the bot behaves there.

    ``timeline_limit`` is asked for per room per ``/sync`` (Synapse sends 10
    by default); larger batches also amortise nio's per-event validation.
    """

    homeserver: str
    user_id: str
    password: str | None = None
    access_token: str | None = None
    device_name: str = "Voorkomen"
    store_path: Path = Path("data") / "matrix-store"
    require_encryption: bool = True
    allowed_servers: frozenset[str] = frozenset()
    timeline_limit: int = 250
    sync_timeout_ms: int = 30_000
    gap_page_size: int = 250
    max_gap_events: int = 5_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    key_patience: float = 10.0
    """Seconds a message waits for its missing room key before the user is
    asked to send it again (:mod:`bot.channels.matrix.keywait`)."""

    def __post_init__(self) -> None:
        if not self.homeserver:
            raise MatrixConfigError(
                "Set VOORKOMEN_MATRIX_HOMESERVER (e.g. https://matrix.example.org)"
            )
        if not self.user_id.startswith("@") or ":" not in self.user_id:
            raise MatrixConfigError(
                "Set VOORKOMEN_MATRIX_USER_ID to the bot's full id, e.g. @voorkomen:example.org"
            )
        if not self.password and not self.access_token:
            raise MatrixConfigError(
                "Set VOORKOMEN_MATRIX_PASSWORD or VOORKOMEN_MATRIX_ACCESS_TOKEN for the bot account"
            )

    @property
    def server_name(self) -> str:
        """The bot's own server, from its user id."""
        return self.user_id.split(":", 1)[1]

    def inviter_allowed(self, user_id: str) -> bool:
        """Whether an invite from ``user_id`` may be accepted (all, if no list is set)."""
        if not self.allowed_servers:
            return True
        return user_id.split(":", 1)[-1] in self.allowed_servers

    @classmethod
    def from_settings(cls, settings: Settings) -> MatrixConfig:
        """The configuration ``voorkomen matrix`` runs with."""
        store = settings.matrix_store_path or default_store_path(settings.database_url)
        return cls(
            homeserver=(settings.matrix_homeserver or "").rstrip("/"),
            user_id=settings.matrix_user_id or "",
            password=settings.matrix_password,
            access_token=settings.matrix_access_token,
            device_name=settings.matrix_device_name,
            store_path=Path(store),
            require_encryption=settings.matrix_require_encryption,
            allowed_servers=frozenset(settings.matrix_allowed_servers),
            key_patience=settings.matrix_key_patience,
        )
