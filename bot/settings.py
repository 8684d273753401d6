"""Runtime settings from environment variables (``VOORKOMEN_*``).

Organisation-specific *content* (contacts, partner lists, policy texts) lives
in ``flows/organisatie.yaml`` next to the flows, so it is versioned with them;
this module only holds how the bot runs: where the database is, which
channel credentials to use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user data directory (XDG): ``$XDG_DATA_HOME/voorkomen``, else
    ``~/.local/share/voorkomen``. Not the working directory, so the database is
    found again wherever the bot is started, and not left in a project folder."""
    e = os.environ if env is None else env
    base = e.get("XDG_DATA_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "voorkomen"


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    """SQLite in the data directory (the store makes the folder, owner-only, on first use)."""
    return f"sqlite:///{data_dir(env) / 'voorkomen.db'}"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "ja", "on"}


@dataclass(frozen=True)
class Settings:
    """How this bot instance runs. Build with :meth:`from_env`."""

    database_url: str = field(default_factory=default_database_url)
    flows_dir: Path = PROJECT_ROOT / "flows"
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    main_flow: str = "dilemma"
    telegram_token: str | None = None
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_listen: str = "127.0.0.1:8080"
    telegram_bot_username: str | None = None  # for invitation deep links t.me/<bot>?start=CODE
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: str | None = None
    matrix_access_token: str | None = None
    matrix_require_encryption: bool = True
    matrix_store_path: Path | None = None  # E2E key store; default: data/ next to the database
    matrix_device_name: str = "Voorkomen"
    matrix_allowed_servers: tuple[str, ...] = ()  # accept invites only from these servers
    # Names, places and schools in free text (deduce: ~1 GB, loaded in the background).
    name_check: bool = True
    # /healthz and /metrics for long polling and Matrix (host:port; the webhook serves them itself).
    ops_listen: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = e.get(f"VOORKOMEN_{name}")
            return value if value else None

        return cls(
            database_url=get("DATABASE_URL") or default_database_url(e),
            flows_dir=Path(get("FLOWS_DIR") or PROJECT_ROOT / "flows"),
            knowledge_dir=Path(get("KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge"),
            main_flow=get("MAIN_FLOW") or "dilemma",
            telegram_token=get("TELEGRAM_TOKEN"),
            telegram_api_url=get("TELEGRAM_API_URL"),
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_webhook_listen=get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1:8080",
            telegram_bot_username=get("TELEGRAM_BOT_USERNAME"),
            matrix_homeserver=get("MATRIX_HOMESERVER"),
            matrix_user_id=get("MATRIX_USER_ID"),
            matrix_password=get("MATRIX_PASSWORD"),
            matrix_access_token=get("MATRIX_ACCESS_TOKEN"),
            matrix_require_encryption=_flag(get("MATRIX_REQUIRE_ENCRYPTION"), True),
            matrix_store_path=Path(p) if (p := get("MATRIX_STORE_PATH")) else None,
            matrix_device_name=get("MATRIX_DEVICE_NAME") or "Voorkomen",
            matrix_allowed_servers=tuple(
                s.strip() for s in (get("MATRIX_ALLOWED_SERVERS") or "").split(",") if s.strip()
            ),
            name_check=_flag(get("NAME_CHECK"), True),
            ops_listen=get("OPS_LISTEN"),
        )
