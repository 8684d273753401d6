"""Runtime settings from environment variables (``VOORKOMEN_*``) and a ``.env`` file.

Organisation-specific *content* (contacts, partner lists, policy texts) lives
in ``flows/organisatie.yaml`` next to the flows, so it is versioned with them;
this module only holds how the bot runs: where the database is, which
channel credentials to use.

``pydantic-settings`` reads them: ``VOORKOMEN_`` and the field's name in
capitals (``VOORKOMEN_DATABASE_URL``), from the environment or else from a
``.env`` file in the working directory; an empty value counts as not set.
Passwords and tokens are kept as ``SecretStr`` (``repr`` and logs show
``**********``); the attributes of the same names (``telegram_token``, …) give
the text to the code that logs in with it. ``Settings(...)`` itself reads
nothing: only :meth:`Settings.from_env` looks at the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "VOORKOMEN_"

#: What a yes/no variable counts as yes; anything else set is no.
YES = frozenset({"1", "true", "yes", "ja", "on"})

#: The secrets: kept as ``SecretStr`` under ``secret_<name>``, read as ``VOORKOMEN_<NAME>``.
SECRETS = ("telegram_token", "telegram_webhook_secret", "matrix_password", "matrix_access_token")


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


def _yes(value: Any) -> Any:
    """``ja``, ``on``, ``1``, … are yes; any other text is no (as before pydantic)."""
    return value.strip().lower() in YES if isinstance(value, str) else value


def _comma_list(value: Any) -> Any:
    """``a.org, b.org`` as ``("a.org", "b.org")``."""
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    return value


Flag = Annotated[bool, BeforeValidator(_yes)]
CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)]


def _secret(name: str) -> Any:
    """A secret field, read from ``VOORKOMEN_<NAME>`` (given in Python as ``<name>``
    or ``secret_<name>``)."""
    return Field(default=None, validation_alias=f"{ENV_PREFIX}{name.upper()}")


class Revealed:
    """The text of the secret field ``secret_<name>`` (None if not set), as the
    attribute ``<name>``: for the code that logs in with it, never for logs."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = f"secret_{name}"

    def __get__(self, settings: object, owner: type | None = None) -> str | None:
        secret = getattr(settings, self.field)
        assert secret is None or isinstance(secret, SecretStr)
        return None if secret is None else secret.get_secret_value()


#: Where ``from_env`` reads: the given mapping, os.environ (None), or nothing (unset).
_READING: ContextVar[tuple[Mapping[str, str] | None] | None] = ContextVar(
    "voorkomen_settings_env", default=None
)


class _GivenEnvironment(EnvSettingsSource):
    """The environment source of pydantic-settings over a given mapping (tests, bench)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = {k.lower(): v for k, v in env.items() if v != ""}


class Settings(BaseSettings):
    """How this bot instance runs. Build with :meth:`from_env`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    database_url: str = Field(default_factory=default_database_url)
    flows_dir: Path = PROJECT_ROOT / "flows"
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    main_flow: str = "dilemma"
    secret_telegram_token: SecretStr | None = _secret("telegram_token")
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    secret_telegram_webhook_secret: SecretStr | None = _secret("telegram_webhook_secret")
    telegram_webhook_listen: str = "127.0.0.1:8080"
    # Several webhook workers on one listen address, the kernel spreading the
    # connections (SO_REUSEPORT; Linux, BSD, macOS).
    telegram_webhook_reuse_port: Flag = False
    telegram_bot_username: str | None = None  # for invitation deep links t.me/<bot>?start=CODE
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    secret_matrix_password: SecretStr | None = _secret("matrix_password")
    secret_matrix_access_token: SecretStr | None = _secret("matrix_access_token")
    matrix_require_encryption: Flag = True
    matrix_store_path: Path | None = None  # E2E key store; default: data/ next to the database
    matrix_device_name: str = "Voorkomen"
    matrix_allowed_servers: CommaList = ()  # accept invites only from these servers
    # Seconds a message waits for its missing room key before the user is asked to resend it.
    matrix_key_patience: float = Field(default=10.0, gt=0, le=600)
    # Names, places and schools in free text (deduce: ~1 GB, loaded in the background).
    name_check: Flag = True
    # /healthz and /metrics for long polling and Matrix (host:port; the webhook serves them itself).
    ops_listen: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _secrets_by_their_names(cls, data: Any) -> Any:
        """``Settings(telegram_token="…")`` as the settings took it before."""
        if isinstance(data, dict):
            for name in SECRETS:
                if name in data:
                    data = {k: v for k, v in data.items() if k != name} | {
                        f"secret_{name}": data[name]
                    }
        return data

    telegram_token: ClassVar[Revealed] = Revealed()
    telegram_webhook_secret: ClassVar[Revealed] = Revealed()
    matrix_password: ClassVar[Revealed] = Revealed()
    matrix_access_token: ClassVar[Revealed] = Revealed()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        reading = _READING.get()
        if reading is None:  # Settings(...): what is given, and the defaults
            return (init_settings,)
        (given,) = reading
        if given is None:  # from_env(): the environment, then .env
            return (init_settings, env_settings, dotenv_settings)
        return (init_settings, _GivenEnvironment(settings_cls, given))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from the environment and ``.env`` (or only from ``env``)."""
        token = _READING.set((env,))
        try:
            settings = cls()
        finally:
            _READING.reset(token)
        if env is not None and not env.get(f"{ENV_PREFIX}DATABASE_URL"):
            # The default follows the given XDG_DATA_HOME, not this process's.
            settings = settings.model_copy(update={"database_url": default_database_url(env)})
        return settings
