"""docs/deploy.md shows the files in deploy/ as they are, and they run real commands."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from bot.cli import main

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
DOC = ROOT / "docs" / "deploy.md"
SHOWN = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)\n```", re.S)
UNITS = ["voorkomen.service", "voorkomen@.service", "voorkomen-matrix.service"]


def test_every_file_shown_in_the_page_is_shown_as_it_is() -> None:
    shown = SHOWN.findall(DOC.read_text(encoding="utf-8"))
    assert {name for name, _ in shown} >= {
        "deploy/voorkomen.service",
        "deploy/voorkomen@.service",
        "deploy/compose.yaml",
        "deploy/nginx-voorkomen.conf",
        "deploy/voorkomen-admin",
    }
    for name, block in shown:
        assert block == (ROOT / name).read_text(encoding="utf-8").rstrip("\n"), name


def test_every_deploy_file_is_named_in_the_page() -> None:
    page = DOC.read_text(encoding="utf-8")
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in page, path.name


def _section(unit: Path, name: str) -> dict[str, list[str]]:
    """A unit file's section: every ``key=value`` line, a key may repeat (as systemd reads it)."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current == name and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def _command(args: list[str]) -> click.Command:
    """The click command ``voorkomen ARGS…`` runs, after checking its options parse."""
    context = click.Context(main)
    assert args[0] == "-v"
    command = main.get_command(context, args[1])
    assert command is not None, args
    command.make_context(args[1], args[2:])  # raises on an unknown option
    return command


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_start_a_real_command_as_an_unprivileged_user(unit: str) -> None:
    service = _section(DEPLOY / unit, "Service")
    assert service["User"] == ["voorkomen"]
    assert service["LoadCredential"] == ["master.key:/etc/voorkomen/master.key"]
    assert "VOORKOMEN_KEY_FILE=%d/master.key" in service["Environment"]
    (exec_start,) = service["ExecStart"]
    binary, *args = shlex.split(exec_start)
    assert binary == "/opt/voorkomen/.venv/bin/voorkomen"
    _command(args)


def test_the_compose_workers_run_real_commands_on_one_database() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    bots = {name: s for name, s in services.items() if name.startswith(("telegram", "matrix"))}
    assert set(bots) == {"telegram-1", "telegram-2", "matrix"}
    urls = {s["environment"]["VOORKOMEN_DATABASE_URL"] for s in bots.values()}
    assert urls == {"postgresql+psycopg://voorkomen@postgres/voorkomen"}
    for service in bots.values():
        assert service["secrets"] == ["master_key"]
        _command(["-v", *service["command"]])
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "telegram-1:8080 telegram-2:8080" in caddy
