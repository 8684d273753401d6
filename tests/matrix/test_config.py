"""The Matrix settings: from the environment to a checked configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.channels.matrix import MatrixConfig, MatrixConfigError
from bot.channels.matrix.config import default_store_path
from bot.settings import Settings


def test_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "VOORKOMEN_DATABASE_URL": "sqlite:////srv/voorkomen/voorkomen.db",
            "VOORKOMEN_MATRIX_HOMESERVER": "https://matrix.example.org/",
            "VOORKOMEN_MATRIX_USER_ID": "@voorkomen:example.org",
            "VOORKOMEN_MATRIX_PASSWORD": "geheim",
            "VOORKOMEN_MATRIX_ALLOWED_SERVERS": "example.org, gemeente.example",
            "VOORKOMEN_MATRIX_REQUIRE_ENCRYPTION": "false",
        }
    )
    config = MatrixConfig.from_settings(settings)
    assert config.homeserver == "https://matrix.example.org"
    assert config.server_name == "example.org"
    assert config.store_path == Path("/srv/voorkomen/data/matrix-store")
    assert config.require_encryption is False
    assert config.inviter_allowed("@anna:gemeente.example")
    assert not config.inviter_allowed("@eve:elders.example")
    assert config.timeline_limit > 10  # more than Synapse's default per sync


def test_the_store_path_can_be_set_and_defaults_next_to_the_database() -> None:
    settings = Settings.from_env(
        {
            "VOORKOMEN_MATRIX_HOMESERVER": "https://m.example.org",
            "VOORKOMEN_MATRIX_USER_ID": "@bot:example.org",
            "VOORKOMEN_MATRIX_ACCESS_TOKEN": "syt_x",
            "VOORKOMEN_MATRIX_STORE_PATH": "/var/lib/voorkomen/keys",
        }
    )
    assert MatrixConfig.from_settings(settings).store_path == Path("/var/lib/voorkomen/keys")
    assert default_store_path("postgresql+psycopg://db/voorkomen") == Path("data/matrix-store")
    assert MatrixConfig.from_settings(settings).require_encryption is True  # the default
    assert MatrixConfig("https://m", "@bot:m", password="x").inviter_allowed("@a:anywhere")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "VOORKOMEN_MATRIX_HOMESERVER"),
        ({"VOORKOMEN_MATRIX_HOMESERVER": "https://m"}, "VOORKOMEN_MATRIX_USER_ID"),
        (
            {"VOORKOMEN_MATRIX_HOMESERVER": "https://m", "VOORKOMEN_MATRIX_USER_ID": "bot"},
            "VOORKOMEN_MATRIX_USER_ID",
        ),
        (
            {"VOORKOMEN_MATRIX_HOMESERVER": "https://m", "VOORKOMEN_MATRIX_USER_ID": "@bot:m"},
            "VOORKOMEN_MATRIX_PASSWORD",
        ),
    ],
)
def test_missing_settings_say_what_to_set(env: dict[str, str], message: str) -> None:
    with pytest.raises(MatrixConfigError, match=message):
        MatrixConfig.from_settings(Settings.from_env(env))


def test_key_patience_comes_from_the_settings() -> None:
    base = {
        "VOORKOMEN_MATRIX_HOMESERVER": "https://m.example.org",
        "VOORKOMEN_MATRIX_USER_ID": "@bot:example.org",
        "VOORKOMEN_MATRIX_ACCESS_TOKEN": "syt_x",
    }
    assert MatrixConfig.from_settings(Settings.from_env(base)).key_patience == 10.0
    patient = Settings.from_env(base | {"VOORKOMEN_MATRIX_KEY_PATIENCE": "45.5"})
    assert MatrixConfig.from_settings(patient).key_patience == 45.5


@pytest.mark.parametrize("patience", ["0", "-3", "601", "lang"])
def test_a_key_patience_out_of_range_is_refused(patience: str) -> None:
    env = {"VOORKOMEN_MATRIX_KEY_PATIENCE": patience}
    with pytest.raises(ValidationError, match="matrix_key_patience"):
        Settings.from_env(env)
