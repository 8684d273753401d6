"""``voorkomen chat`` starts without the libraries it does not need yet (issue 15:
the console's first question within a second). A second start, on a migrated
database, must not import Alembic, prometheus-client, dateparser, phonenumbers,
python-stdnum or the flow tools; the first question must still be there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.env import bot_env

PROJECT = Path(__file__).resolve().parents[2]
NOT_AT_START = (
    "alembic",
    "prometheus_client",
    "dateparser",
    "phonenumbers",
    "stdnum",
    "bot.cli.flowtools",
    "aiogram",
    "nio",
)
RUN = (
    "import sys\n"
    "from bot.cli import main\n"
    "main(['chat'], standalone_mode=False)\n"
    f"print('LOADED', [m for m in {NOT_AT_START!r} if m in sys.modules], file=sys.stderr)\n"
)


def _chat(database: Path) -> subprocess.CompletedProcess[str]:
    env = bot_env(DATABASE_URL=f"sqlite:///{database}")
    return subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=PROJECT,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_a_second_start_imports_only_what_the_first_question_needs(tmp_path: Path) -> None:
    database = tmp_path / "console.db"
    _chat(database)  # the first start migrates (Alembic) and makes "Demo"
    second = _chat(database)
    assert "Kies een nummer" in second.stdout  # the first question is there
    assert "LOADED []" in second.stderr, second.stderr[-2000:]
