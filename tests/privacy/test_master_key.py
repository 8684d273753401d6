"""Without a master key the bot does not start (a clear Dutch and English message),
except the console demo, which makes a key file of its own next to its database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.settings import Settings, data_dir
from tests.support.chat import FIXTURES
from tests.support.env import bot_env


def env_without_key(db: Path) -> dict[str, str]:
    env = bot_env(
        DATABASE_URL=f"sqlite:///{db}",
        FLOWS_DIR=str(FIXTURES / "flows"),
        KNOWLEDGE_DIR=str(FIXTURES / "geen-kennis"),
        MAIN_FLOW="demo",
    )
    del env["VOORKOMEN_MASTER_KEY"]
    return env


def test_a_bot_without_a_master_key_refuses_to_start(tmp_path: Path) -> None:
    env: dict[str, str | None] = {**env_without_key(tmp_path / "v.db")}
    env["VOORKOMEN_MASTER_KEY"] = None
    result = CliRunner().invoke(main, ["purge"], env=env)
    assert result.exit_code == 2
    assert "De bot start niet: er is geen hoofdsleutel" in result.output
    assert "VOORKOMEN_MASTER_KEY" in result.output and "VOORKOMEN_KEY_FILE" in result.output
    assert "voorkomen keys new" in result.output
    assert not (tmp_path / "v.db").exists()  # nothing was made


def test_a_bad_key_file_is_named(tmp_path: Path) -> None:
    env: dict[str, str | None] = {**env_without_key(tmp_path / "v.db")}
    env["VOORKOMEN_MASTER_KEY"] = None
    env["VOORKOMEN_KEY_FILE"] = str(tmp_path / "missing.key")
    result = CliRunner().invoke(main, ["purge"], env=env)
    assert result.exit_code == 2
    assert "missing.key" in result.output and "hoofdsleutel" in result.output


def test_the_console_demo_makes_a_local_key_with_a_one_line_warning(tmp_path: Path) -> None:
    db = tmp_path / "demo" / "v.db"
    db.parent.mkdir()

    def chat(lines: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "chat", *args],
            input=lines,
            capture_output=True,
            text=True,
            env=env_without_key(db),
            timeout=60,
            check=False,
        )

    first = chat("C-7\n", "--new")
    assert first.returncode == 0, first.stderr
    key_file = db.parent / "voorkomen.key"
    assert key_file.is_file() and key_file.stat().st_mode & 0o077 == 0
    warnings = [line for line in first.stderr.splitlines() if "voorkomen.key" in line]
    assert len(warnings) == 1 and "Let op" in warnings[0]
    second = chat("3\n")  # the same key opens the conversation again
    assert second.returncode == 0, second.stderr
    assert "voorkomen.key" not in second.stderr
    assert "Vertel kort wat voor dilemma het is." in second.stdout


def test_the_default_database_is_in_the_per_user_data_directory(tmp_path: Path) -> None:
    assert data_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "voorkomen"
    assert data_dir({}) == Path.home() / ".local" / "share" / "voorkomen"
    settings = Settings.from_env({"XDG_DATA_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'voorkomen' / 'voorkomen.db'}"
