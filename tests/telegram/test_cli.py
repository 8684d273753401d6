"""``voorkomen telegram`` refuses to start, with a clear Dutch message, when it
is not configured (the happy path runs in the end-to-end tests)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from bot.cli.telegram import command


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("VOORKOMEN_")}
    result = CliRunner().invoke(
        command, list(args), env={**clean, "VOORKOMEN_NAME_CHECK": "off", **env}
    )
    return result.exit_code, result.output


def test_without_token() -> None:
    code, output = run({})
    assert code == 2
    assert "VOORKOMEN_TELEGRAM_TOKEN is niet gezet" in output
    assert "BotFather" in output


def test_with_a_malformed_token() -> None:
    code, output = run({"VOORKOMEN_TELEGRAM_TOKEN": "geen-token"})
    assert code == 2
    assert "geen geldig bot-token" in output


def test_webhook_needs_a_url() -> None:
    code, output = run({"VOORKOMEN_TELEGRAM_TOKEN": "123:abc"}, "--webhook")
    assert code == 2
    assert "VOORKOMEN_TELEGRAM_WEBHOOK_URL" in output


@pytest.mark.parametrize(
    ("url", "listen"),
    [("http://bot.example.org/hook", "127.0.0.1:8080"), ("https://bot.example.org", "8080")],
)
def test_webhook_settings_are_checked(url: str, listen: str) -> None:
    env = {
        "VOORKOMEN_TELEGRAM_TOKEN": "123:abc",
        "VOORKOMEN_TELEGRAM_WEBHOOK_URL": url,
        "VOORKOMEN_TELEGRAM_WEBHOOK_LISTEN": listen,
    }
    code, output = run(env)
    assert code == 2
    assert "De webhook is niet goed ingesteld" in output
